"""The grid's request and response models (they also drive the web forms)."""

from datetime import date
from typing import Literal

from pydantic import Field, field_validator

from chalicelib.core.privacy import is_mobile, normalise_phone
from chalicelib.core.schemas import Out, Strict

LEVELS: tuple[str, ...] = ("city", "town", "village", "area", "group", "neighbourhood")
LEVEL_LABELS: dict[str, str] = {
    "city": "市",
    "town": "镇/乡/街道",
    "village": "村/社区",
    "area": "片",
    "group": "组",
    "neighbourhood": "邻",
}
Level = Literal["city", "town", "village", "area", "group", "neighbourhood"]
HeadRole = Literal["area_head", "group_head", "neighbour_head", "liaison_cadre"]
HEAD_ROLE_OF_LEVEL: dict[str, str] = {"area": "area_head", "group": "group_head", "neighbourhood": "neighbour_head"}
# A village's 联点干部 (the town cadre who serves it) is appointed like a head but is not one of the 三长: it
# is not counted in `heads`, and has its own sign-in (a town cadre's account).
LIAISON_ROLE = "liaison_cadre"
APPOINTED_ROLE_OF_LEVEL: dict[str, str] = {**HEAD_ROLE_OF_LEVEL, "village": LIAISON_ROLE}
HEAD_LABELS: dict[str, str] = {
    "area_head": "片长", "group_head": "组长", "neighbour_head": "邻长", LIAISON_ROLE: "联点干部",
}  # fmt: skip
SEGMENT = r"^[A-Z0-9]{1,12}$"
CODE = r"^[A-Z0-9]{1,12}(-[A-Z0-9]{1,12}){0,7}$"
NEIGHBOURHOOD_SIZE = (5, 15)


def _phone(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    phone = normalise_phone(value)
    if not is_mobile(phone):
        raise ValueError("须为11位手机号 / must be an 11-digit mainland mobile number")
    return phone


class UnitCreate(Strict):
    parent: str = Field(description="上级单元编码 / parent unit code", pattern=CODE)
    segment: str = Field(description="本级编码（大写字母或数字）/ code within the parent", pattern=SEGMENT)
    name: str = Field(description="中文名称 / Chinese name", min_length=1, max_length=40)


class UnitUpdate(Strict):
    name: str = Field(description="中文名称 / Chinese name", min_length=1, max_length=40)


class UnitMove(Strict):
    parent: str = Field(description="新的上级单元编码 / new parent unit code", pattern=CODE)


class HeadOut(Out):
    appointment_id: str
    role: str
    role_label: str
    person_name: str
    phone: str | None = Field(description="默认脱敏 / masked unless unmasked with a purpose")
    is_member: bool
    since: str


class CountsOut(Out):
    households: int
    residents: int
    members: int
    heads: int
    children: int
    tags: dict[str, int]


class UnitOut(Out):
    code: str
    segment: str
    name: str
    level: Level
    level_label: str
    parent: str | None
    path: str
    counts: CountsOut
    head: HeadOut | None
    version: int


class UnitPage(Out):
    items: list[UnitOut]
    next_cursor: str | None


class PageQuery(Strict):
    limit: int = Field(100, ge=1, le=500)
    cursor: str | None = Field(None, max_length=2000)


class TreeQuery(PageQuery):
    depth: int = Field(1, ge=1, le=5, description="向下几级 / levels below the unit")


class SearchQuery(Strict):
    q: str = Field(min_length=1, max_length=10, description="名称或拼音首字母前缀 / name or pinyin-initials prefix")
    limit: int = Field(20, ge=1, le=100)


class SearchHit(Out):
    code: str
    name: str
    level: Level
    path: str


class SearchOut(Out):
    items: list[SearchHit]


class HouseholdIn(Strict):
    unit: str = Field(description="所在邻的编码 / code of the neighbourhood", pattern=CODE)
    address: str = Field(min_length=1, max_length=100)
    head_name: str = Field(min_length=1, max_length=20, description="户主姓名 / head of household")
    residents: int = Field(ge=1, le=50, description="常住人口 / residents")
    phone: str | None = Field(None, max_length=20, description="手机号 / mobile phone")
    tags: list[str] = Field(default_factory=list, max_length=10, description="民情地图标签 / map tags")
    note: str | None = Field(None, max_length=200)

    _check_phone = field_validator("phone")(_phone)


class Notice(Out):
    code: str
    message: str
    message_en: str


class HouseholdOut(Out):
    id: str
    unit: str
    unit_path: str
    address: str
    head_name: str
    residents: int
    phone: str | None
    tags: list[str]
    note: str | None
    version: int
    warnings: list[Notice] = Field(default_factory=list)


class HouseholdPage(Out):
    items: list[HouseholdOut]
    next_cursor: str | None


class UnmaskIn(Strict):
    purpose: Literal["contact", "contact_card", "visit", "emergency", "verification"]


class UnmaskedPhoneOut(Out):
    phone: str | None
    purpose: str


class AppointmentIn(Strict):
    person_name: str = Field(min_length=1, max_length=20)
    phone: str = Field(max_length=20)
    is_member: bool = Field(False, description="是否党员 / party member (otherwise 自治力量)")
    member_id: str | None = Field(None, max_length=64)
    start: date
    create_account: bool = Field(False, description="同时开通登录账号 / also create the sign-in account")
    username: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9._-]{2,39}$")

    _check_phone = field_validator("phone")(_phone)


class AppointmentEnd(Strict):
    end: date


class AppointmentOut(Out):
    id: str
    unit: str
    role: HeadRole
    role_label: str
    person_name: str
    phone: str | None
    is_member: bool
    member_id: str | None
    start: str
    end: str | None
    account: str | None
    version: int


class AppointmentPage(Out):
    items: list[AppointmentOut]
    next_cursor: str | None


class AppointmentQuery(PageQuery):
    at: date | None = Field(None, description="在某日在任者 / who held the post on this date")


class HeadsQuery(Strict):
    purpose: Literal["contact_card"] | None = Field(None, description="印制明白卡时显示完整电话（记入审计）")


class HeadsOut(Out):
    unit: str
    chain: list[UnitOut]


class MapCell(Out):
    code: str
    name: str
    level: Level
    households: int
    residents: int
    tags: dict[str, int]


class MapOut(Out):
    unit: str
    tags: dict[str, str]
    cells: list[MapCell]


class CatalogueEntryOut(Out):
    code: str
    name_zh: str
    name_en: str
    active: bool


class CatalogueOut(Out):
    kind: str
    items: list[CatalogueEntryOut]


class CatalogueEntryIn(Strict):
    name_zh: str = Field(min_length=1, max_length=40)
    name_en: str = Field(min_length=1, max_length=80)
    active: bool = True
