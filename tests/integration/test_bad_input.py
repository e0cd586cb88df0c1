"""Bad input, over every declared route: oversized and deeply nested bodies, invalid UTF-8 and GBK, huge page
sizes, formula injection in the Excel exports and path traversal in file names. Each is refused with the error
shape of README "API conventions" (never a 500) or neutralised."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from chalicelib.core.api import MAX_BODY_BYTES, MAX_RAW_BODY_BYTES
from chalicelib.core.clock import china_today
from tests.generic import assert_error_shape, caller_for, json_body_routes, routes, url_for
from tests.support import ApiClient

L01 = "430182-DCQ-QS-P01-Z01-L01"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULAS = ('=HYPERLINK("http://evil.example","点我")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)")


def _each_body_route(api: ApiClient, raw: bytes, expected: set[int], code: str | None = None) -> None:
    """Send `raw` as the JSON body of every route that takes one; collect every answer out of `expected`."""
    wrong: list[str] = []
    for spec in json_body_routes():
        answer = api.request(spec.method, url_for(spec), user=caller_for(spec), raw=raw)
        if answer.status not in expected:
            wrong.append(f"{spec.route_id}: {answer.status} {answer.body[:200]!r}")
            continue
        assert_error_shape(answer.json, answer.status, code)
    assert wrong == [], "\n".join(wrong)


def test_every_json_route_refuses_a_body_over_1_mb_with_413(api: ApiClient) -> None:
    raw = b'{"name": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    _each_body_route(api, raw, {413}, "payload_too_large")


def test_every_json_route_refuses_deeply_nested_json_with_400_not_500(api: ApiClient) -> None:
    for raw in (b"[" * 10_000 + b"]" * 10_000, b'{"a":' * 10_000 + b"1" + b"}" * 10_000):
        _each_body_route(api, raw, {400}, "bad_request")


def test_every_json_route_refuses_invalid_utf8_and_gbk_with_400(api: ApiClient) -> None:
    for raw in (b'{"name": "\xff\xfe\xfa"}', '{"name": "胡明", "address": "鹊山村"}'.encode("gbk")):
        _each_body_route(api, raw, {400}, "bad_request")


def test_every_json_route_refuses_bodies_that_are_not_objects_with_422(api: ApiClient) -> None:
    for raw in (b"[]", b'"text"', b"12", b"true", b'{"a": NaN}'):
        _each_body_route(api, raw, {400, 422})


def test_a_file_over_10_mb_is_refused_with_413(api: ApiClient) -> None:
    for spec in (r for r in routes() if r.raw_body):
        answer = api.request(
            spec.method,
            url_for(spec) + "?kind=households",
            user=caller_for(spec),
            raw=b"a" * (MAX_RAW_BODY_BYTES + 1),
            headers={"Content-Type": spec.raw_body[0]},  # a media type the route takes, so only the size is wrong
        )
        assert answer.status == 413, (spec.route_id, answer.body[:200])
        assert_error_shape(answer.json, 413, "payload_too_large")


def _query_int_fields(spec: Any) -> list[str]:
    if spec.query is None:
        return []
    return [name for name, f in spec.query.model_fields.items() if f.annotation is int]


def test_huge_negative_and_non_numeric_page_sizes_are_422_on_every_listing(api: ApiClient) -> None:
    tried, wrong = 0, []
    for spec in routes():
        for name in _query_int_fields(spec):
            for value in ("1" + "0" * 40, "-1", "1e9", "NaN", "9" * 5000):
                tried += 1
                answer = api.get(f"{url_for(spec)}?{name}={value}", user=caller_for(spec))
                if answer.status != 422:
                    wrong.append(f"{spec.route_id} ?{name}={value[:12]}: {answer.status}")
                    continue
                assert_error_shape(answer.json, 422, "validation_failed")
                assert f"query.{name}" in {f["path"] for f in answer.json["error"]["fields"]}
    assert tried >= 10 and wrong == [], wrong


def _cells(data: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(data))
    out: list[str] = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    out.append(cell.value)
    return out


def test_formula_injection_is_neutralised_in_every_spreadsheet_export(api: ApiClient) -> None:
    households = []
    for i, formula in enumerate(FORMULAS):
        body = {"unit": L01, "address": formula, "head_name": formula[:20], "residents": 2, "note": formula}
        answer = api.post("/v1/households", user="qs-village", body=body | {"tags": []})
        assert answer.status == 201, answer.body
        households.append(answer.json["id"])
        member = {
            "name": formula[:20], "gender": "male", "id_number": _id(i), "phone": "13807310000",
            "branch": formula, "status": "full", "join_date": "2001-07-01", "household": answer.json["id"],
            "in_service": True, "workplace": formula, "workplace_branch": formula,
        }  # fmt: skip
        registered = api.post("/v1/members", user="qs-village", body=member)
        assert registered.status == 201, registered.body
    exports = [r for r in routes() if r.content_type == XLSX and "{code}" in r.path]
    assert len(exports) >= 2, [r.route_id for r in exports]
    today = china_today()
    required = {"period": f"{today.year}-Q{(today.month - 1) // 3 + 1}", "year": str(today.year)}
    for spec in exports:
        fields = spec.query.model_fields if spec.query is not None else {}
        query = "&".join(f"{k}={v}" for k, v in required.items() if k in fields and fields[k].is_required())
        url = url_for(spec) + (f"?{query}" if query else "")
        answer = api.get(url, user=caller_for(spec), headers={"Accept": XLSX})
        assert answer.status == 200, (spec.route_id, answer.body[:300])
        cells = _cells(answer.body)
        live = [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
        assert live == [], (spec.route_id, live)
        if spec.path.endswith("/export"):  # the exports that list these households and members show them quoted
            assert any(c == "'" + FORMULAS[0] or c == "'" + FORMULAS[0][:20] for c in cells), spec.route_id


def _id(i: int) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    first17 = f"4301821985010{i + 1}1{i}1"[:17]
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def test_path_traversal_in_file_names_is_refused(api: ApiClient) -> None:
    """File names come from path parameters (templates, exports): traversal finds nothing, names no file."""
    downloads = [r for r in routes() if r.content_type != "application/json" and r.method == "GET"]
    wrong = []
    for spec in downloads:
        for evil in ("..%2F..%2Fapp.py", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "..\\..\\app.py", "a%0D%0ASet-Cookie:x=1"):
            values = {name: evil for name in ("code", "kind", "id")}
            answer = api.get(url_for(spec, values), user=caller_for(spec), headers={"Accept": spec.content_type})
            disposition = answer.headers.get("content-disposition", "")
            if answer.status not in {400, 404, 422} or ".." in disposition or "\n" in disposition:
                wrong.append(f"{spec.route_id} {evil!r}: {answer.status} {disposition}")
                continue
            assert_error_shape(answer.json, answer.status)
    assert wrong == [], wrong


def test_an_import_never_uses_a_client_file_name(api: ApiClient) -> None:
    """The upload's name (Content-Disposition) is ignored: the record and answer carry none of it."""
    csv = "邻编码,地址,户主姓名,常住人口\n430182-DCQ-QS-P01-Z01-L01,鹊山村第一组9号,胡明,3\n".encode()
    for spec in (r for r in routes() if "text/csv" in r.raw_body):  # the spreadsheet uploads
        answer = api.request(
            spec.method,
            url_for(spec) + "?kind=households&mode=validate_only",
            user=caller_for(spec),
            raw=csv,
            headers={"Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="../../../etc/passwd"'},
        )
        assert answer.status in {200, 201, 422}, (spec.route_id, answer.body[:300])
        assert b"passwd" not in answer.body and b"../" not in answer.body
