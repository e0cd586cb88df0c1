"""The members slice's request and response models (三亮: identity registration of party members)."""

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from chalicelib.core.schemas import Out, Strict
from chalicelib.grid.schemas import PageQuery, _phone
from chalicelib.members import idcard

MemberStatus = Literal["probationary", "full"]
Gender = Literal["male", "female"]
STATUS_LABELS: dict[str, str] = {"probationary": "预备党员", "full": "正式党员", "left": "已转出/离开"}


def _id_number(value: str) -> str:
    return idcard.parse(value).number


class MemberIn(Strict):
    name: str = Field(min_length=1, max_length=20, description="姓名 / name")
    gender: Gender = Field(description="性别 / gender")
    id_number: str = Field(max_length=30, description="居民身份证号码 / resident ID number")
    birth_date: date | None = Field(None, description="出生日期（须与身份证一致）/ birth date (must match the ID)")
    phone: str = Field(max_length=20, description="手机号 / mobile phone")
    branch: str = Field(min_length=1, max_length=60, description="所在党支部 / party branch")
    status: MemberStatus = Field(description="预备党员或正式党员 / probationary or full member")
    join_date: date = Field(description="入党日期 / date joined")
    probation_end: date | None = Field(None, description="预备期满日期 / end of probation")
    household: str = Field(min_length=1, max_length=64, description="居住户的编号 / the home household's id")
    in_service: bool = Field(False, description="在职党员 / member employed elsewhere (在职党员)")
    workplace: str | None = Field(None, max_length=60, description="工作单位 / workplace")
    workplace_branch: str | None = Field(None, max_length=60, description="单位党组织 / workplace party branch")

    _check_id = field_validator("id_number")(_id_number)

    @field_validator("phone")
    @classmethod
    def _check_phone(cls, value: str) -> str:
        phone = _phone(value)
        if phone is None:
            raise ValueError("必填 / required")
        return phone

    @model_validator(mode="after")
    def _dates(self) -> "MemberIn":
        if self.probation_end is not None and self.probation_end < self.join_date:
            raise ValueError("预备期满日期不能早于入党日期 / probation cannot end before joining")
        return self


class MemberUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=20)
    phone: str | None = Field(None, max_length=20)
    branch: str | None = Field(None, min_length=1, max_length=60)
    in_service: bool | None = None
    workplace: str | None = Field(None, max_length=60)
    workplace_branch: str | None = Field(None, max_length=60)

    _check_phone = field_validator("phone")(_phone)


class StatusChange(Strict):
    change: Literal["full", "transfer", "left"] = Field(
        description="转正 / full; 转移到本辖区另一户 / transfer; 离开 / left"
    )
    date: date
    household: str | None = Field(None, max_length=64, description="转移的目标户（仅 transfer）/ target household")
    note: str | None = Field(None, max_length=200)


class MemberUnmaskIn(Strict):
    purpose: Literal["contact", "contact_card", "visit", "emergency", "verification"]
    field: Literal["id_number", "phone"]


class UnmaskedOut(Out):
    field: str
    value: str | None
    purpose: str


class MemberQuery(PageQuery):
    status: Literal["probationary", "full", "left"] | None = None
    in_service: bool | None = None
    post: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{1,39}$", description="设岗定责岗位编码 / duty post code")


class HistoryOut(Out):
    model_config = ConfigDict(defer_build=True, serialize_by_alias=True)

    at: str
    kind: str
    from_: str | None = Field(serialization_alias="from")
    to: str | None
    by_role: str
    note: str | None


class MemberOut(Out):
    id: str
    name: str
    gender: str
    birth_date: str
    id_number: str | None = Field(description="脱敏 / masked (first 6, last 4)")
    phone: str | None = Field(description="脱敏 / masked")
    branch: str
    status: str
    status_label: str
    join_date: str
    probation_end: str | None
    household: str | None
    unit: str
    unit_path: str
    in_service: bool
    workplace: str | None
    workplace_branch: str | None
    history: list[HistoryOut]
    version: int


class MemberPage(Out):
    items: list[MemberOut]
    next_cursor: str | None
