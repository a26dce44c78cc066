"""schemathesis against the service's OpenAPI document, every check on: each operation is
called over HTTP with generated (valid and invalid) parameters; responses must conform to
the document (status codes, content types, bodies, headers) and never be a 5xx.

One setting differs from schemathesis' defaults: a schema-valid request may be answered
400, because CQL2 filters, RFC 3339 datetimes and parameter combinations (bbox-crs needs
bbox) are grammars and rules a JSON schema cannot express. Invalid requests must still be
rejected, and every 400 must be the documented OGC exception."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig

from .ogc_support import bearer, planner_token  # noqa: F401

EXAMPLES = 30


def test_openapi_document_holds_for_every_operation(live_server, app, planner_token) -> None:  # noqa: ANN001, F811
    headers = bearer(planner_token)
    doc = app.test_client().get("/ogc/api?f=json", headers=headers).json
    config = SchemathesisConfig.from_dict(
        {
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2XX", "400", "401", "403", "404"]
                }
            }
        }
    )
    schema = schemathesis.openapi.from_dict(doc, config=config)
    checks = schemathesis.checks.CHECKS.get_all()
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 6
    for op in operations:

        @given(case=op.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def run(case) -> None:  # noqa: ANN001
            case.call_and_validate(base_url=live_server + "/ogc", headers=headers, checks=checks)

        run()
