"""Row-level security: the application's database role and the policies that scope it.

The web application runs as ``geo_app``: it owns no table and has no BYPASSRLS, so every
row it reads passes a policy. Each request's transaction says whose request it is with
``set_config(..., true)`` (``SET LOCAL``): ``geo.district`` and ``geo.kind`` (district,
street, community or compounds) and the scope expanded to lists of street codes,
community codes and compound ids (``geo_scope_expand`` computes the expansion). The
policies compare those settings with plain indexed columns. With no scope set (or after
the transaction ends, when the settings read as empty) every policy is false: no rows.

Which column a table is scoped by follows from the columns it has (finest first):
``compound_id`` (``id`` for ``compound`` itself), ``community_code``, ``street_code``,
``district_code``. Tables above the compound level (streets, communities, grids) are
visible when they contain part of the scope: a commissioner sees the community their
compound lies in. Migrations that add an area table call ``enable_statements``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa

APP_ROLE = "geo_app"

# Tables that are not district data (accounts, sessions, the audit log): granted
# individually, without area policies.
NOT_AREA_TABLES = frozenset(
    {"account", "api_token", "login_session", "login_attempt", "audit_log", "alembic_version",
     "spatial_ref_sys"}
)  # fmt: skip

FUNCTIONS = """
CREATE OR REPLACE FUNCTION geo_scope_district() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT current_setting('geo.district', true) $$;
CREATE OR REPLACE FUNCTION geo_scope_all() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('geo.kind', true) = 'district', false) $$;
CREATE OR REPLACE FUNCTION geo_scope_streets() RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT string_to_array(nullif(current_setting('geo.streets', true), ''), ',') $$;
CREATE OR REPLACE FUNCTION geo_scope_communities() RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT string_to_array(nullif(current_setting('geo.communities', true), ''), ',') $$;
CREATE OR REPLACE FUNCTION geo_scope_compounds() RETURNS integer[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT string_to_array(nullif(current_setting('geo.compounds', true), ''), ',')::integer[] $$;

-- The expansion of an account's area into streets, communities and compounds. SECURITY
-- DEFINER: it reads the area tables as their owner, before any scope is set.
CREATE OR REPLACE FUNCTION geo_scope_expand(p_kind text, p_codes text[], p_district text)
    RETURNS TABLE (streets text[], communities text[], compounds integer[])
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH c AS (
        SELECT id, street_code, community_code FROM compound
        WHERE district_code = p_district AND CASE p_kind
            WHEN 'street' THEN street_code = ANY (p_codes)
            WHEN 'community' THEN community_code = ANY (p_codes)
            WHEN 'compounds' THEN id::text = ANY (p_codes)
            ELSE false END
    )
    SELECT
        (SELECT coalesce(array_agg(DISTINCT s), '{}') FROM (
            SELECT street_code FROM c UNION
            SELECT unnest(p_codes) WHERE p_kind = 'street' UNION
            SELECT street_code FROM community
            WHERE p_kind = 'community' AND community_code = ANY (p_codes)) x(s)),
        (SELECT coalesce(array_agg(DISTINCT m), '{}') FROM (
            SELECT community_code FROM c UNION
            SELECT unnest(p_codes) WHERE p_kind = 'community' UNION
            SELECT community_code FROM community
            WHERE p_kind = 'street' AND street_code = ANY (p_codes)) y(m)),
        (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM c)
$$;
"""

DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS geo_scope_expand(text, text[], text);
DROP FUNCTION IF EXISTS geo_scope_compounds();
DROP FUNCTION IF EXISTS geo_scope_communities();
DROP FUNCTION IF EXISTS geo_scope_streets();
DROP FUNCTION IF EXISTS geo_scope_all();
DROP FUNCTION IF EXISTS geo_scope_district();
"""

# Tables whose visibility is not a plain column comparison.
_SPECIAL = {
    # A commissioner row (a name and phone) is visible where one of their compounds is.
    "commissioner": "id IN (SELECT commissioner_id FROM compound"
    " WHERE id = ANY (geo_scope_compounds()))",
}


def policy_expression(
    table: str, columns: Iterable[str], nullable: Iterable[str] = ()
) -> str | None:
    """The USING expression for ``table`` given its columns (and which of them may be
    NULL), or None if the table has no area columns (then it needs no policy). A row whose
    nullable ``compound_id`` is NULL (e.g. a gap between compounds) falls back to its
    community."""
    cols = set(columns)
    if "district_code" not in cols:
        return None
    if table in _SPECIAL:
        area = _SPECIAL[table]
    elif table == "compound":
        area = "id = ANY (geo_scope_compounds())"
    elif "compound_id" in cols:
        area = "compound_id = ANY (geo_scope_compounds())"
        if "compound_id" in set(nullable) and "community_code" in cols:
            area = (f"({area} OR compound_id IS NULL"
                    " AND community_code = ANY (geo_scope_communities()))")  # fmt: skip
    elif "community_code" in cols:
        area = "community_code = ANY (geo_scope_communities())"
    elif "street_code" in cols:
        area = "street_code = ANY (geo_scope_streets())"
    else:  # the district itself
        return "district_code = geo_scope_district()"
    return f"district_code = geo_scope_district() AND (geo_scope_all() OR {area})"


def enable_statements(
    table: str, columns: Iterable[str], nullable: Iterable[str] = ()
) -> list[str]:
    """SQL that grants ``geo_app`` read access to an area table behind its policy."""
    expr = policy_expression(table, columns, nullable)
    out = [f'GRANT SELECT ON "{table}" TO {APP_ROLE}']
    if expr is not None:
        out += [
            f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
            f'DROP POLICY IF EXISTS area_scope ON "{table}"',
            f'CREATE POLICY area_scope ON "{table}" USING ({expr}) WITH CHECK ({expr})',
        ]
    return out


def disable_statements(table: str) -> list[str]:
    return [
        f'DROP POLICY IF EXISTS area_scope ON "{table}"',
        f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
        f'REVOKE ALL ON "{table}" FROM {APP_ROLE}',
    ]


def area_tables(conn: sa.Connection) -> dict[str, tuple[list[str], list[str]]]:
    """Every table of the public schema (except the non-area ones): its columns and those
    of them that may be NULL."""
    rows = conn.execute(
        sa.text(
            """SELECT c.table_name,
                      array_agg(c.column_name::text ORDER BY c.ordinal_position),
                      coalesce(array_agg(c.column_name::text) FILTER (WHERE c.is_nullable = 'YES'), '{}')
               FROM information_schema.columns c
               JOIN information_schema.tables t USING (table_schema, table_name)
               WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
               GROUP BY c.table_name ORDER BY c.table_name"""
        )
    )
    return {name: (cols, nullable) for name, cols, nullable in rows if name not in NOT_AREA_TABLES}


# -- per transaction ---------------------------------------------------------------------
def scope_settings(
    district: str, kind: str, streets: Sequence[str], communities: Sequence[str],
    compounds: Sequence[int],
) -> dict[str, str]:  # fmt: skip
    """The ``geo.*`` settings for one scope (lists as comma-separated text)."""
    return {
        "geo.district": district,
        "geo.kind": kind,
        "geo.streets": ",".join(streets),
        "geo.communities": ",".join(communities),
        "geo.compounds": ",".join(str(int(i)) for i in compounds),
    }


def set_local(conn: sa.Connection, settings: Mapping[str, str]) -> None:
    """Apply the settings to the connection's current transaction only (``SET LOCAL``)."""
    names = list(settings)
    if not names:  # no principal: nothing is set, every policy is false
        return
    conn.execute(
        sa.text(
            "SELECT " + ", ".join(f"set_config(:n{i}, :v{i}, true)" for i in range(len(names)))
        ),
        {
            **{f"n{i}": n for i, n in enumerate(names)},
            **{f"v{i}": settings[n] for i, n in enumerate(names)},
        },
    )
