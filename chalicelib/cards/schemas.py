"""Contact cards (联系服务群众明白卡): who serves a household, and how to reach them."""

from pydantic import Field

from chalicelib.core.schemas import Out


class CardContact(Out):
    role: str = Field(description="neighbour_head / group_head / area_head / liaison_cadre")
    role_label: str = Field(description="邻长 / 组长 / 片长 / 联点干部")
    unit_name: str
    person_name: str | None = Field(description="空缺时为 null / null while the post is vacant")
    phone: str | None = Field(description="三长与联点干部的电话公开 / heads publish their phones in full")
    is_member: bool = False


class CardMember(Out):
    member_id: str
    name: str
    phone: str = Field(description="党员电话脱敏 / a member's phone stays masked")
    posts: list[str] = Field(description="所设岗位（中文名）/ the duty posts the member claimed")
    pledge: str | None = Field(description="本年度已公开的承诺 / this year's published pledge")


class ContactCardOut(Out):
    household: str
    address: str
    head_name: str
    unit_path: str
    place: str = Field(description="村、片、组、邻的名称 / the village, area, group and neighbourhood names")
    contacts: list[CardContact]
    members: list[CardMember] = Field(description="联户党员 / the party members covering this household")
    hotline: str = "12345"
