"""Open311 GeoReport v2 over whistle tickets: categories are services, tickets are service requests.

Status: Open311 `open` or `closed`, with our state in `status_notes`; `agency_responsible` is the lead
department; `expected_datetime` the resolve due time; `jurisdiction_id` a town code; `address_id` a grid unit
code. Reads need no key and carry no personal data (no whistler, no reporter); creating needs an agency's
`api_key`. Errors are the spec's `[{"code", "description"}]`.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from chalicelib.core.apikeys import ApiKeyStore
from chalicelib.core.audit import Actor
from chalicelib.core.clock import CHINA
from chalicelib.core.errors import ApiError
from chalicelib.core.profiles import ProfileStore
from chalicelib.open311.schemas import Open311Query
from chalicelib.open311.store import TokenStore
from chalicelib.whistle import rules
from chalicelib.whistle.schemas import TicketIn
from chalicelib.whistle.service import WhistleService
from chalicelib.whistle.service import default_service as whistle_service
from chalicelib.whistle.store import TicketModel

SPEC = "http://wiki.open311.org/GeoReport_v2"
MAX_DAYS = 90
MAX_RESULTS = 1000
# our state -> the mySociety updates extension's status
UPDATE_STATUS: dict[str, str] = {
    "whistled": "open", "dispatched": "open", "reported_in": "investigating", "in_progress": "in_progress",
    "extension_requested": "in_progress", "returned": "action_scheduled", "resolved": "fixed", "reopened": "open",
    "verified": "fixed", "evaluated": "fixed", "closed": "closed",
}  # fmt: skip


class Open311Error(Exception):
    def __init__(self, status: int, zh: str, en: str) -> None:
        super().__init__(en)
        self.status, self.zh, self.en = status, zh, en

    def body(self) -> list[dict[str, Any]]:
        return [{"code": self.status, "description": f"{self.zh} / {self.en}"}]


def from_api_error(e: ApiError) -> Open311Error:
    status = {401: 403, 422: 400, 409: 400}.get(e.status, e.status)
    detail = "; ".join(f.message for f in e.fields)
    return Open311Error(status, e.message + (f"（{detail}）" if detail else ""), e.message_en)


def _parse_time(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as e:
        raise Open311Error(400, f"{name} 须为 ISO 8601 时间", f"{name} must be an ISO 8601 date-time") from e
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


def _months(start: datetime, end: datetime) -> list[str]:
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _within(town: str, jurisdiction: str) -> bool:
    """A town's requests belong to its own jurisdiction and to the city's (a client set up for 宁乡市 as a
    whole sends `jurisdiction_id=430182` with every call)."""
    return town == jurisdiction or town.startswith(jurisdiction + "-")


class Open311Service:
    def __init__(
        self, *, whistle: WhistleService, tokens: TokenStore, keys: ApiKeyStore, profiles: ProfileStore
    ) -> None:
        self.whistle = whistle
        self.tokens = tokens
        self.keys = keys
        self.profiles = profiles

    # -- services ------------------------------------------------------------------------------------------
    def _department_names(self) -> dict[str, str]:
        return {e.code: e.name_zh for e in self.whistle.catalogue.recent_entries("department")}

    def services(self) -> list[dict[str, Any]]:
        names = self._department_names()
        return [
            {
                "service_code": c.code,
                "service_name": c.name_zh,
                "description": f"{c.name_zh} / {c.name_en}",
                "metadata": True,
                "type": "realtime",
                "keywords": c.code.replace("_", ","),
                "group": names.get(c.lead, c.lead),
            }
            for c in self.whistle.categories().items
        ]

    def definition(self, code: str) -> dict[str, Any]:
        category = self.whistle.category_map().get(code)
        if category is None or not category.get("active", True):
            raise Open311Error(404, "没有这个服务类别", "No such service_code")
        return {
            "service_code": code,
            "attributes": [
                {
                    "variable": True,
                    "code": "kind",
                    "datatype": "singlevaluelist",
                    "required": False,
                    "datatype_description": "日常哨/攻坚哨/应急哨，默认日常哨 / routine (default), tough or emergency",
                    "order": 1,
                    "description": "哨种 / Whistle kind",
                    "values": [{"key": k, "name": rules.KIND_LABELS[k]} for k in rules.KINDS],
                }
            ],
        }

    # -- requests ------------------------------------------------------------------------------------------
    def request_out(self, item: TicketModel, names: dict[str, str]) -> dict[str, Any]:
        """The GeoReport fields only: no whistler, no reporter, no notes."""
        category = self.whistle.category_map().get(item.category, {})
        return {
            "service_request_id": item.id,
            "status": "closed" if item.status == "closed" else "open",
            "status_notes": f"{rules.STATUS_LABELS[item.status]} / {item.status}",
            "service_name": category.get("name_zh", item.category),
            "service_code": item.category,
            "description": item.description,
            "agency_responsible": names.get(item.lead or "", item.lead or ""),
            "service_notice": "",
            "requested_datetime": item.created_at,
            "updated_datetime": item.updated_at,
            "expected_datetime": item.resolve_due,
            "address": item.address,
            "address_id": item.unit_code,
            "zipcode": None,
            "lat": float(item.lat) if item.lat is not None else None,
            "long": float(item.long) if item.long is not None else None,
            "media_url": item.photos[0] if item.photos else None,
        }

    def request(self, ticket_id: str) -> list[dict[str, Any]]:
        item = self.whistle.store.ticket(ticket_id)
        if item is None:
            raise Open311Error(404, "没有这个服务请求", "No such service_request_id")
        return [self.request_out(item, self._department_names())]

    def requests(self, q: Open311Query, *, now: datetime | None = None) -> list[dict[str, Any]]:
        names = self._department_names()
        if q.service_request_id:  # the spec: other filters are ignored
            ids = [i.strip() for i in q.service_request_id.split(",") if i.strip()][:MAX_RESULTS]
            found = self.whistle.store.tickets(ids)
            return [self.request_out(found[i], names) for i in ids if i in found]
        start, end = self._window(q, now)
        statuses = {s.strip() for s in (q.status or "open,closed").split(",") if s.strip()}
        if not statuses <= {"open", "closed"}:
            raise Open311Error(400, "status 须为 open 或 closed", "status must be open or closed")
        codes = {c.strip() for c in q.service_code.split(",")} if q.service_code else None
        start_key = start.astimezone(UTC).isoformat(timespec="seconds")
        end_key = end.astimezone(UTC).isoformat(timespec="seconds")
        out: list[dict[str, Any]] = []
        for month in reversed(_months(start.astimezone(UTC), end.astimezone(UTC))):
            items = self.whistle.store.in_month(month, start_key, end_key, limit=MAX_RESULTS)
            for item in sorted(items, key=lambda t: t.time_key, reverse=True):
                if q.jurisdiction_id and not _within(item.town, q.jurisdiction_id):
                    continue
                if codes is not None and item.category not in codes:
                    continue
                if ("closed" if item.status == "closed" else "open") not in statuses:
                    continue
                out.append(self.request_out(item, names))
                if len(out) >= MAX_RESULTS:
                    return out
        return out

    def updates(self, q: Open311Query, *, now: datetime | None = None) -> list[dict[str, Any]]:
        """The mySociety extension: each step of a ticket's history between the dates (≤ 90 days), found
        through the tickets whose latest change falls in the window."""
        start, end = self._window(q, now)
        start_key = start.astimezone(UTC).isoformat(timespec="seconds")
        end_key = end.astimezone(UTC).isoformat(timespec="seconds")
        out: list[dict[str, Any]] = []
        for month in _months(start.astimezone(UTC), end.astimezone(UTC)):
            for item in self.whistle.store.updated_in_month(month, start_key, end_key, limit=MAX_RESULTS):
                for i, step in enumerate(item.history or []):
                    at = str(step.get("at") or "")
                    if start_key <= at <= end_key:
                        out.append({
                            "update_id": f"{item.id}-{i + 1}",
                            "service_request_id": item.id,
                            "status": UPDATE_STATUS.get(str(step.get("to")), "open"),
                            "external_status_code": step.get("to"),
                            "updated_datetime": at,
                            "description": f"{step.get('label', '')} / {step.get('action', '')}",
                            "media_url": None,
                        })  # fmt: skip
        out.sort(key=lambda u: (u["updated_datetime"], u["update_id"]))
        return out[:MAX_RESULTS]

    def _window(self, q: Open311Query, now: datetime | None) -> tuple[datetime, datetime]:
        moment = now or datetime.now(UTC)
        span = timedelta(days=MAX_DAYS)
        first = _parse_time(q.start_date, "start_date") if q.start_date else None
        # the spec's default is the most recent 90 days; a start alone reads the 90 days from it (up to now)
        if q.end_date:
            end = _parse_time(q.end_date, "end_date")
        else:
            end = min(moment, first + span) if first is not None else moment
        start = first if first is not None else end - span
        if end < start or end - start > span:
            raise Open311Error(400, "起止时间须在90天以内", "start_date to end_date must span at most 90 days")
        return start, end

    def create(self, form: dict[str, str], request_id: str) -> list[dict[str, Any]]:
        client_sub = self.keys.client_for(form.get("api_key", "")) if form.get("api_key") else None
        agency = self.profiles.get_principal(client_sub) if client_sub else None
        if agency is None:
            raise Open311Error(403, "api_key 无效或缺失", "Missing or invalid api_key")
        code = form.get("service_code", "")
        if not code:
            raise Open311Error(400, "缺少 service_code", "service_code is required")
        self.definition(code)
        kind = form.get("attribute[kind]", "routine")
        if kind not in rules.KINDS:
            raise Open311Error(400, "attribute[kind] 须为 routine/tough/emergency", "attribute[kind] is invalid")
        unit_code = form.get("address_id") or form.get("jurisdiction_id")
        if not unit_code:
            raise Open311Error(400, "须给出 address_id（网格单元）或 jurisdiction_id（镇街）",
                               "address_id (a grid unit) or jurisdiction_id (a town) is required")  # fmt: skip
        unit = self.whistle.grid.unit(unit_code)
        if unit is None:
            raise Open311Error(
                400, "address_id/jurisdiction_id 不是已知的网格单元", "Unknown address_id or jurisdiction_id"
            )
        location: dict[str, Any] = {"unit": unit.code, "address": form.get("address_string") or unit.name}
        for name in ("lat", "long"):
            if form.get(name):
                try:
                    location[name] = float(form[name])
                except ValueError as e:
                    raise Open311Error(400, f"{name} 须为数字", f"{name} must be a number") from e
        media = form.get("media_url")
        try:
            data = TicketIn(
                kind=kind,
                category=code,
                description=form.get("description") or self.whistle.category(code)["name_zh"],
                location=location,
                photos=[media] if media else [],
                source=f"open311:{agency.scope}",
            )
        except ValidationError as e:
            fields = ", ".join(".".join(str(p) for p in err["loc"]) for err in e.errors(include_url=False))
            raise Open311Error(400, f"请求参数有误：{fields}", f"Invalid parameters: {fields}") from e
        token = secrets.token_urlsafe(16)
        actor = Actor(sub=agency.sub, role=agency.role, scope=agency.scope, request_id=request_id)
        rule = self.whistle.kind_rules()[kind]
        ticket = self.whistle.whistle(
            actor, data, unit_code=unit.code, unit_path=unit.path, whistler=(agency.sub, agency.role,
            agency.display_name), auto_dispatch=bool(rule["auto_dispatch"]),
            extra=lambda tx, item: self.tokens.add(tx, token, item.id, agency.sub),
        )  # fmt: skip
        return [{"service_request_id": ticket.id, "token": token, "service_notice": "已受理，由镇（街道）派单 / "
                 "accepted; the town dispatches it", "account_id": None}]  # fmt: skip

    def token(self, token: str) -> list[dict[str, Any]]:
        ticket_id = self.tokens.ticket_for(token)
        if ticket_id is None:
            raise Open311Error(404, "没有这个令牌", "No such token")
        return [{"service_request_id": ticket_id, "token": token}]

    def discovery(self, base: str) -> dict[str, Any]:
        return {
            "changeset": "2026-11-26T00:00:00+08:00",
            "contact": "宁乡市 基层治理服务 / Ningxiang grassroots governance service",
            "key_service": "向宁乡市12345热线申请机构密钥 / ask the 12345 hotline office for an agency key",
            "endpoints": [
                {"specification": SPEC, "url": base, "changeset": "2026-11-26T00:00:00+08:00", "type": "production",
                 "formats": ["application/json", "text/xml"]},
            ],
        }  # fmt: skip


# -- XML -------------------------------------------------------------------------------------------------------
def _xml_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    from xml.sax.saxutils import escape  # noqa: PLC0415 - XML answers only

    return escape(str(value))


def _xml_element(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        return f"<{tag}>" + "".join(_xml_element(k, v) for k, v in value.items()) + f"</{tag}>"
    if isinstance(value, list):
        singular = {"values": "value", "attributes": "attribute", "endpoints": "endpoint", "formats": "format"}
        inner = "".join(_xml_element(singular.get(tag, "item"), v) for v in value)
        return f"<{tag}>{inner}</{tag}>"
    return f"<{tag}>{_xml_value(value)}</{tag}>"


def to_xml(root: str, item: str, data: list[dict[str, Any]] | dict[str, Any]) -> str:
    """The spec's XML: <services><service>..., <service_requests><request>..., <errors><error>..."""
    body = _xml_element(root, data) if isinstance(data, dict) else (
        f"<{root}>" + "".join(_xml_element(item, d) for d in data) + f"</{root}>"
    )  # fmt: skip
    return '<?xml version="1.0" encoding="utf-8"?>' + body


def default_service() -> Open311Service:
    return Open311Service(whistle=whistle_service(), tokens=TokenStore(), keys=ApiKeyStore(), profiles=ProfileStore())
