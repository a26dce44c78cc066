"""schemathesis against the OpenAPI document of the map's own JSON API and vector tiles
(``GET /api/openapi.json``, built by ``geo_service/api_openapi.py``), every check on: each
operation is called over HTTP with generated valid and invalid parameters; responses must
conform to the document (status codes, content types, bodies, headers), invalid requests
must be rejected, authentication must be enforced, and nothing may answer 5xx.

One setting is configured, as in test_schemathesis.py: the statuses a schema-valid request
may get (positive_data_acceptance). 400 is allowed because some rules cannot be expressed
in JSON Schema: bbox corners in order with latitudes in [-90, 90] (the array's items share
one schema), tile x and y below 2^z, ``year:YYYY`` up to this year, the search needing
``q`` or ``community``, the patch's buildings needing ``compound`` in an area of more than
30 compounds. 304 because a generated If-None-Match may match (``*`` always does). 403 because the POST actions run as a role that may not mark complaints
(below), and 404 because a well-formed id may name no row (or one outside the caller's
area). Invalid requests must still be rejected (negative_data_rejection), every 400 must
be the documented error body, and 5xx fails not_a_server_error.

The shared demo database must not change: every operation is a read, except the two POST
actions on complaints, which are fuzzed as a district leader -- a role the service refuses
(403) before it reads or writes anything -- and the boundary upload, which is documented
but not fuzzed (admin only; it writes)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.definitions import OPENAPI_30_VALIDATOR

from geo_service import api_openapi, patch

from .ogc_support import bearer, make_token

EXAMPLES = 30
# Rules under /api or /tiles deliberately left out of the document (endpoint: why). A new
# endpoint must be documented in api_openapi.py or named here, or the coverage test fails.
UNDOCUMENTED: dict[str, str] = {}


@pytest.fixture(scope="module")
def leader_token(demo_engine) -> str:  # noqa: ANN001
    """An API token of a district leader (whole district)."""
    return make_token(demo_engine, "district_leader")


def _document(app, token: str) -> dict:  # noqa: ANN001
    r = app.test_client().get(api_openapi.OPENAPI_PATH, headers=bearer(token))
    assert r.status_code == 200, r.data
    return r.json


def _refs(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def test_document_is_valid_and_covers_every_api_rule(app, leader_token, client) -> None:  # noqa: ANN001
    doc = _document(app, leader_token)
    OPENAPI_30_VALIDATOR.validate(doc)  # the OpenAPI 3.0 JSON Schema (raises if invalid)
    schemathesis.openapi.from_dict(doc).validate()
    for ref in _refs(doc):
        section, name = ref.removeprefix("#/components/").split("/")
        assert name in doc["components"][section], ref
    op_ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(op_ids) == len(set(op_ids))

    # Every documented operation is a route of the app (path parameters as templated) ...
    adapter = app.url_map.bind("localhost")
    documented: set[tuple[str, str]] = set()
    for path, item in doc["paths"].items():
        assert path.startswith(("/api/", "/tiles/")), path
        for method, op in item.items():
            declared = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), (method, path)
            endpoint, _ = adapter.match(re.sub(r"{\w+}", "1", path), method=method.upper())
            documented.add((endpoint, method.upper()))
    # ... and every route under /api and /tiles is documented or deliberately left out.
    missing = [
        f"{method} {rule.rule} ({rule.endpoint})"
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/api/", "/tiles/")) and rule.endpoint not in UNDOCUMENTED
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        if (rule.endpoint, method) not in documented
    ]
    assert not missing, f"undocumented in geo_service/api_openapi.py: {missing}"

    # Linked from the layer list; login required like the rest of /api.
    links = client.get("/api/layers").json["links"]
    assert {"rel": "service-desc", "href": api_openapi.OPENAPI_PATH}.items() <= links[0].items()
    assert app.test_client().get(api_openapi.OPENAPI_PATH).status_code == 401


def test_openapi_document_holds_for_every_operation(live_server, app, leader_token) -> None:  # noqa: ANN001
    # The POST actions are fuzzed as a district leader: refused before any query.
    assert "district_leader" not in patch.MARK_ROLES
    doc = _document(app, leader_token)
    # The token as schemathesis auth (not a header of our own): cases are marked as
    # authenticated, and the invalid ones it makes by dropping or mangling the credentials
    # must get 401.
    config = SchemathesisConfig.from_dict(
        {
            "auth": {"openapi": {"bearer": {"bearer": leader_token}}},
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2XX", "304", "400", "403", "404"]
                }
            },
        }
    )
    schema = schemathesis.openapi.from_dict(doc, config=config)
    checks = schemathesis.checks.CHECKS.get_all()
    operations = [r.ok() for r in schema.get_all_operations()]
    fuzzed = [
        op
        for op in operations
        if op.definition.raw["operationId"] not in api_openapi.WRITE_OPERATIONS
    ]
    assert len(fuzzed) == len(operations) - len(api_openapi.WRITE_OPERATIONS) >= 35
    statuses: dict[str, Counter[int]] = {}
    for op in fuzzed:
        # Invalid requests need a parameter to make invalid (a header alone will not do:
        # any string is a valid If-None-Match).
        params = {p["in"] for p in op.definition.raw["parameters"]}
        modes = [GenerationMode.POSITIVE]
        if params & {"path", "query"}:
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            seen = statuses.setdefault(f"{mode.value} {op.label}", Counter())

            @given(case=op.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            def run(case) -> None:  # noqa: ANN001
                r = case.call_and_validate(base_url=live_server, checks=checks)
                seen[r.status_code] += 1  # noqa: B023 (run() is called in this iteration)

            run()
    for key, seen in statuses.items():
        print(key, dict(sorted(seen.items())))
    total = sum(sum(c.values()) for c in statuses.values())
    print(f"{len(fuzzed)} operations, {len(statuses)} runs, {total} requests checked")


@pytest.mark.parametrize(
    "url",
    [
        # "²".isdigit() holds but int("²") raises: these were 500s.
        "/api/heat/petitions?bbox=120,30,120.3,30.5&window=year:²⁰²⁵",
        "/api/patch/compounds?compound=²",
    ],
)
def test_non_ascii_digits_are_400(client, url: str) -> None:  # noqa: ANN001
    r = client.get(url)
    assert r.status_code == 400, r.data
    assert r.json["error"] == "invalid parameter"


def test_what_schemathesis_found_stays_fixed(client) -> None:  # noqa: ANN001
    # A repeated parameter was read as its first value (here: empty, so no filter at all).
    r = client.get("/api/boundaries/problems?kind=&kind=overlap")
    assert r.status_code == 400 and r.json["parameter"] == "kind"
    # A tile URL naming no tile layer (or no route) was answered with an HTML page.
    for url in ("/tiles/residents/15/1/1.pbf", "/tiles/compounds/1/-1/0.pbf"):
        r = client.get(url)
        assert r.status_code == 404 and r.json["error"] == "not found", url
