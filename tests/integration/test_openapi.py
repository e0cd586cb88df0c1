"""The OpenAPI document is generated from the registered routes and their Pydantic models."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

import app as app_module
from chalicelib.core.api import ROUTES
from tests.support import ApiClient


def _app_routes() -> set[tuple[str, str]]:
    return {(path, method) for path, methods in app_module.app.routes.items() for method in methods}


def test_every_route_is_documented_and_every_documented_path_is_a_route(api: ApiClient) -> None:
    answer = api.get("/openapi.json")
    assert answer.status == 200
    doc = answer.json
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    assert documented == _app_routes()


def test_document_is_valid_openapi_3_1(api: ApiClient) -> None:
    doc = api.get("/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def test_request_schemas_come_from_the_validating_models(api: ApiClient) -> None:
    doc = api.get("/openapi.json").json
    create = doc["paths"]["/v1/units"]["post"]
    schema_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][schema_ref.rsplit("/", 1)[-1]]
    assert set(schema["required"]) == {"parent", "segment", "name"}
    assert schema["additionalProperties"] is False
    assert re.fullmatch(schema["properties"]["segment"]["pattern"], "P07")
    assert {p["name"] for p in create["parameters"]} == {"Idempotency-Key"}
    assert create["security"] == [{"bearerAuth": []}]
    assert create["x-roles"] == ["city_admin", "town_cadre", "village_cadre"]


def test_public_routes_need_no_security_and_private_ones_do(api: ApiClient) -> None:
    doc = api.get("/openapi.json").json
    for spec in ROUTES:
        op = doc["paths"][spec.path][spec.method.lower()]
        assert (op["security"] == []) == (spec.permission == "public"), spec.route_id
        assert "401" in op["responses"] or spec.permission == "public"


def test_file_upload_routes_document_their_media_types(api: ApiClient) -> None:
    doc = api.get("/openapi.json").json
    body = doc["paths"]["/v1/imports"]["post"]["requestBody"]["content"]
    assert "text/csv" in body
    assert body["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]["schema"]["format"] == "binary"


def test_open311_routes_document_georeport_errors_beside_the_framework_s(api: ApiClient) -> None:
    """An agency's bad date answers GeoReport's [{code, description}]; the document says so (schemathesis
    found the undocumented shape), and a bad request the framework refuses still answers Error."""
    doc = api.get("/openapi.json").json
    bad = api.get("/open311/v2/servicerequestupdates.json?start_date=x&end_date=y")
    assert bad.status == 400 and bad.json[0]["code"] == 400
    documented = doc["paths"]["/open311/v2/servicerequestupdates.json"]["get"]["responses"]["400"]
    refs = [s["$ref"] for s in documented["content"]["application/json"]["schema"]["anyOf"]]
    assert refs == ["#/components/schemas/Error", "#/components/schemas/Open311Errors"]
    item = doc["components"]["schemas"]["Open311Errors"]["items"]
    assert set(item["required"]) <= set(bad.json[0]) and set(item["required"]) == {"code", "description"}
    members = doc["paths"]["/v1/members"]["post"]["responses"]["400"]["content"]["application/json"]["schema"]
    assert members == {"$ref": "#/components/schemas/Error"}
