"""The showings slice's request and response models (三亮: 亮身份 plaques and stickers, 亮立场 pledges,
亮作风 duty posts and covered households)."""

import re
from typing import Literal

from pydantic import Field, field_validator

from chalicelib.core.schemas import Out, Strict
from chalicelib.grid.schemas import PageQuery

PLEDGE_TEXT = (10, 300)  # characters of a pledge
MAX_POSTS = 5  # duty posts one member holds at once
COVERAGE = (1, 9)  # households one member covers (联户)
PLEDGE_LABELS: dict[str, str] = {"submitted": "待审核", "approved": "已审核公开", "rejected": "已退回"}
# 湘A12345, 湘A·12345, 湘AD12345 (new energy): a province character, a letter, 5 or 6 letters and digits
PLATE = re.compile(r"^[\u4e00-\u9fa5][A-Z][A-Z0-9]{5,6}$")


class PlaqueIn(Strict):
    note: str | None = Field(None, max_length=100, description="备注 / note")


class RevokeIn(Strict):
    reason: str = Field(min_length=2, max_length=200, description="撤销原因 / reason for revoking")


class PlaqueOut(Out):
    household: str
    number: str
    unit: str
    unit_path: str
    address: str
    head_name: str
    member: str = Field(description="使该户具备挂牌条件的正式党员 / the full member the plaque was issued for")
    issued_at: str
    issued_by_role: str
    note: str | None


class PlaquePage(Out):
    items: list[PlaqueOut]
    next_cursor: str | None


class StickerIn(Strict):
    plate: str = Field(min_length=7, max_length=12, description="车牌号，如 湘A12345 / number plate")

    @field_validator("plate")
    @classmethod
    def _plate(cls, value: str) -> str:
        plate = re.sub(r"[\s·.\-]", "", value).upper()
        if not PLATE.fullmatch(plate):
            raise ValueError("车牌号格式不正确 / not a number plate such as 湘A12345")
        return plate


class StickerOut(Out):
    member: str
    member_name: str
    number: str
    plate: str
    unit: str
    unit_path: str
    issued_at: str


class StickerPage(Out):
    items: list[StickerOut]
    next_cursor: str | None


class PledgeIn(Strict):
    year: int = Field(ge=2020, le=2100, description="承诺年度 / year of the pledge")
    text: str = Field(
        min_length=PLEDGE_TEXT[0], max_length=PLEDGE_TEXT[1], description="承诺内容（10–300字）/ the pledge"
    )


class RejectIn(Strict):
    reason: str = Field(min_length=2, max_length=200, description="退回原因 / reason")


class PledgeOut(Out):
    member: str
    member_name: str
    year: int
    text: str
    status: Literal["submitted", "approved", "rejected"]
    status_label: str
    unit: str
    unit_path: str
    submitted_at: str
    decided_at: str | None
    decided_by_role: str | None
    reject_reason: str | None
    rejections: int = Field(description="此前被退回的次数 / times rejected before")


class PledgeQuery(PageQuery):
    year: int = Field(ge=2020, le=2100, description="承诺年度 / year")


class PledgePage(Out):
    items: list[PledgeOut]
    next_cursor: str | None


class PostsIn(Strict):
    posts: list[str] = Field(max_length=MAX_POSTS, description="认领的岗位编码（duty_post 目录）/ duty post codes")


class PostOut(Out):
    code: str
    name: str
    name_en: str


class CoverageIn(Strict):
    household: str = Field(min_length=1, max_length=64, description="联系的住户编号 / the household covered")


class CoveredHousehold(Out):
    id: str
    address: str
    head_name: str
    unit: str


class ShowingsOut(Out):
    """A member's three showings in one answer."""

    member: str
    member_name: str
    status: str
    unit: str
    plaque: PlaqueOut | None = Field(description="所在户的党员户牌 / the home household's plaque")
    sticker: StickerOut | None
    pledges: list[PledgeOut] = Field(description="各年度承诺，新的在前 / pledges, newest year first")
    posts: list[PostOut]
    households: list[CoveredHousehold] = Field(description="联户 / covered households")
    version: int


class CoveringMember(Out):
    member: str
    name: str
    phone: str | None = Field(description="脱敏 / masked")
    unit: str
    posts: list[PostOut]
    pledge: str | None = Field(description="当年已公开的承诺 / this year's published pledge")
    pledge_year: int | None


class CoveringOut(Out):
    household: str
    members: list[CoveringMember]
