"""HTTP routes, one blueprint per module; each parses, calls a query, shapes the reply."""
