"""Whistle rules as data and pure functions: the lifecycle's transition table, due-time arithmetic in
calendar or working hours, and the default catalogues (departments, categories, kinds). No I/O here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from chalicelib.core.clock import CHINA

KINDS: tuple[str, ...] = ("routine", "tough", "emergency")
KIND_LABELS: dict[str, str] = {"routine": "日常哨", "tough": "攻坚哨", "emergency": "应急哨"}

STATUSES: tuple[str, ...] = (
    "whistled",
    "dispatched",
    "reported_in",
    "in_progress",
    "extension_requested",
    "returned",
    "resolved",
    "reopened",
    "verified",
    "evaluated",
    "closed",
)
STATUS_LABELS: dict[str, str] = {
    "whistled": "已吹哨",
    "dispatched": "已派单",
    "reported_in": "已报到",
    "in_progress": "办理中",
    "extension_requested": "申请延期",
    "returned": "已退单",
    "resolved": "已办结",
    "reopened": "复核未通过，重办",
    "verified": "已核验",
    "evaluated": "已评价",
    "closed": "已销号",
}
OPEN_STATUSES = frozenset(STATUSES) - {"closed"}

# Ticket status -> action -> next status. "report_in" leads to reported_in once every dispatched department
# has acknowledged (until then the ticket stays dispatched); a decision on an extension goes back to the
# status the ticket had when it was asked (PREVIOUS). Anything not listed is refused with a 409.
PREVIOUS = "<previous>"
TRANSITIONS: dict[str, dict[str, str]] = {
    "whistled": {"dispatch": "dispatched"},
    "dispatched": {"dispatch": "dispatched", "report_in": "reported_in", "return": "returned"},
    "reported_in": {
        "progress": "in_progress",
        "resolve": "resolved",
        "return": "returned",
        "request_extension": "extension_requested",
    },
    "in_progress": {"progress": "in_progress", "resolve": "resolved", "request_extension": "extension_requested"},
    "extension_requested": {"grant_extension": PREVIOUS, "refuse_extension": PREVIOUS},
    "returned": {"dispatch": "dispatched"},
    "resolved": {"verify": "verified", "reject": "reopened"},
    "reopened": {"progress": "in_progress", "resolve": "resolved", "request_extension": "extension_requested"},
    "verified": {"evaluate": "evaluated"},
    "evaluated": {"close": "closed"},
    "closed": {},
}
ACTION_LABELS: dict[str, str] = {
    "whistle": "吹哨",
    "dispatch": "派单/改派",
    "report_in": "报到",
    "progress": "进展",
    "resolve": "办结",
    "return": "退单",
    "request_extension": "申请延期",
    "grant_extension": "同意延期",
    "refuse_extension": "不同意延期",
    "verify": "核验通过",
    "reject": "核验未通过",
    "evaluate": "评价",
    "close": "销号",
}


def next_status(status: str, action: str) -> str | None:
    """The status an action leads to from `status`, PREVIOUS, or None when the table does not allow it."""
    return TRANSITIONS.get(status, {}).get(action)


# -- due times -------------------------------------------------------------------------------------------
# Working hours (China time): 08:30-12:00 and 14:00-17:30, seven hours a day, Monday to Friday except the
# official public holidays, plus the weekend days worked in exchange (调休上班日): holidays_cn.json, as data.
WORKING_PERIODS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
HOLIDAYS_FILE = Path(__file__).with_name("holidays_cn.json")


@dataclass(frozen=True)
class OfficialCalendar:
    years: frozenset[int]  # the years whose 国务院办公厅 schedule is known
    holidays: dict[date, str]  # day -> holiday name (放假, weekends inside a holiday included)
    workdays: dict[date, str]  # weekend day -> the holiday it is worked for (调休上班)


def _day(value: str, year: int) -> date:
    day = date.fromisoformat(value)
    if day.year != year:
        raise ValueError(f"{value} is not in {year}")
    return day


@cache
def official_calendar() -> OfficialCalendar:
    """holidays_cn.json, read once and checked: dates in their year, ranges in order, workdays on weekends."""
    data = json.loads(HOLIDAYS_FILE.read_text(encoding="utf-8"))
    holidays: dict[date, str] = {}
    workdays: dict[date, str] = {}
    for key, spec in data["years"].items():
        year = int(key)
        for entry in spec["holidays"]:
            first, last = _day(entry["from"], year), _day(entry["to"], year)
            if last < first:
                raise ValueError(f"{entry['name']}: {first} after {last}")
            for n in range((last - first).days + 1):
                holidays[first + timedelta(days=n)] = str(entry["name"])
        for entry in spec["workdays"]:
            day = _day(entry["date"], year)
            if day.weekday() < 5 or day in holidays:
                raise ValueError(f"{day}: an adjusted workday must be a weekend day outside the holidays")
            workdays[day] = str(entry["for"])
    return OfficialCalendar(frozenset(int(y) for y in data["years"]), holidays, workdays)


def is_working_day(day: date) -> bool:
    """Monday to Friday unless an official holiday; Saturday or Sunday when it is an adjusted workday."""
    calendar = official_calendar()
    if day in calendar.workdays:
        return True
    return day.weekday() < 5 and day not in calendar.holidays


def add_working_seconds(start: datetime, seconds: int) -> datetime:
    """The instant `seconds` of working time after `start` (counting starts at the next working moment)."""
    local = start.astimezone(CHINA)
    remaining = timedelta(seconds=seconds)
    day = local.date()
    while True:
        if is_working_day(day):
            for begin, end in WORKING_PERIODS:
                lo = datetime.combine(day, begin, CHINA)
                hi = datetime.combine(day, end, CHINA)
                if hi <= local:
                    continue
                lo = max(lo, local)
                if lo + remaining <= hi:
                    return (lo + remaining).astimezone(UTC)
                remaining -= hi - lo
        day += timedelta(days=1)


def due_after(start: datetime, seconds: int, hours: str) -> datetime:
    if hours == "working":
        return add_working_seconds(start, seconds)
    return (start + timedelta(seconds=seconds)).astimezone(UTC)


def seconds_until(due: datetime, now: datetime) -> int:
    """Whole seconds from now to the due time, at least 1 (Step Functions wants a positive timeout)."""
    return max(1, int((due - now).total_seconds() + 0.999))


# -- default catalogues ------------------------------------------------------------------------------------
DEPARTMENTS: list[tuple[str, str, str]] = [
    ("water", "水利局", "Water Resources Bureau"),
    ("transport", "交通运输局", "Transport Bureau"),
    ("natural_resources", "自然资源局", "Natural Resources Bureau"),
    ("ecology", "生态环境局", "Ecology and Environment Bureau"),
    ("housing", "住建局", "Housing and Urban-Rural Development Bureau"),
    ("agriculture", "农业农村局", "Agriculture and Rural Affairs Bureau"),
    ("power", "供电公司", "Power Supply Company"),
    ("police", "公安局", "Public Security Bureau"),
    ("emergency", "应急管理局", "Emergency Management Bureau"),
    ("hotline12345", "12345政务服务便民热线", "12345 Government Service Hotline"),
]

HOUR = 3600
WORKING_DAY = 7 * HOUR
HANDOVER_SECONDS = 48 * HOUR


def _limits(
    emergency: tuple[int, int, int], tough: tuple[int, int, int], routine: tuple[int, int, int]
) -> dict[str, Any]:
    def one(values: tuple[int, int, int], hours: str) -> dict[str, Any]:
        report_in, resolve, grace = values
        return {"report_in_seconds": report_in, "resolve_seconds": resolve, "grace_seconds": grace, "hours": hours}

    return {"emergency": one(emergency, "calendar"), "tough": one(tough, "working"), "routine": one(routine, "working")}


STANDARD_LIMITS = _limits(
    (30 * 60, 4 * HOUR, 30 * 60), (4 * HOUR, 5 * WORKING_DAY, HOUR), (WORKING_DAY, 3 * WORKING_DAY, HOUR)
)

# code, 中文, English, lead department, co-departments
CATEGORY_ROWS: list[tuple[str, str, str, str, list[str]]] = [
    ("water_supply", "供水管网与水利设施", "Water mains and water works", "water", ["housing"]),
    ("flood_control", "防汛抗旱", "Flood and drought control", "water", ["emergency", "natural_resources"]),
    ("dangerous_building", "危房与房屋安全", "Dangerous buildings and walls", "housing", ["natural_resources"]),
    ("road_traffic", "道路交通与桥梁", "Roads, traffic and bridges", "transport", ["police"]),
    ("land_use", "土地与违法建设", "Land use and illegal building", "natural_resources", ["housing"]),
    ("pollution", "环境污染", "Pollution", "ecology", []),
    ("farmland", "农田水利与农业生产", "Farmland irrigation and farming", "agriculture", ["water"]),
    ("power_outage", "电力故障", "Power outage", "power", []),
    ("public_security", "治安隐患", "Public security hazard", "police", []),
]


def default_categories() -> dict[str, dict[str, Any]]:
    return {
        code: {
            "code": code,
            "name_zh": zh,
            "name_en": en,
            "lead": lead,
            "co": list(co),
            "limits": {k: dict(v) for k, v in STANDARD_LIMITS.items()},
            "handover_seconds": HANDOVER_SECONDS,
            "active": True,
        }
        for code, zh, en, lead, co in CATEGORY_ROWS
    }


# who may whistle per kind; whether the category's departments are dispatched at once; the whistler's window
def default_kind_rules() -> dict[str, dict[str, Any]]:
    cadres = ["village_cadre", "town_cadre", "city_admin"]
    return {
        "routine": {"kind": "routine", "whistlers": cadres, "auto_dispatch": False, "verify_seconds": 72 * HOUR},
        "tough": {"kind": "tough", "whistlers": ["town_cadre", "city_admin"], "auto_dispatch": False,
                  "verify_seconds": 72 * HOUR},
        "emergency": {"kind": "emergency", "whistlers": ["area_head", *cadres], "auto_dispatch": True,
                      "verify_seconds": 24 * HOUR},
    }  # fmt: skip
