"""Demo data for `make run` and the tests: a slice of 宁乡 (people and places from the source article)
and one account per role. Idempotent: running it again changes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from chalicelib.core.apikeys import ApiKeyStore
from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.auth import Principal
from chalicelib.core.catalogue import CatalogueStore
from chalicelib.core.profiles import ProfileStore
from chalicelib.grid import search_terms
from chalicelib.grid.store import GridStore, UnitModel
from chalicelib.scoring.store import ensure_defaults as scoring_defaults

CITY = "430182"

# (path, name, level); a unit's code is its path at creation with "-" for "/"
DEMO_UNITS: tuple[tuple[str, str, str], ...] = (
    (CITY, "宁乡市", "city"),
    (f"{CITY}/DCQ", "大成桥镇", "town"),
    (f"{CITY}/DCQ/QS", "鹊山村", "village"),
    (f"{CITY}/DCQ/QS/P01", "鹊山村第一片", "area"),
    (f"{CITY}/DCQ/QS/P01/Z01", "第一组", "group"),
    (f"{CITY}/DCQ/QS/P01/Z01/L01", "第一邻", "neighbourhood"),
    (f"{CITY}/DCQ/QS/P01/Z01/L02", "第二邻", "neighbourhood"),
    (f"{CITY}/DCQ/QS/P01/Z02", "第二组", "group"),
    (f"{CITY}/DCQ/QS/P02", "鹊山村第二片", "area"),
    (f"{CITY}/DCQ/SS", "石山村", "village"),
    (f"{CITY}/DCQ/SS/P02", "石山村第二片区", "area"),
    (f"{CITY}/ZF", "资福镇", "town"),
    (f"{CITY}/ZF/QQH", "清泉河村", "village"),
    (f"{CITY}/ZF/QQH/P01", "清泉河村第一片", "area"),
    (f"{CITY}/ZF/QQH/P01/Z01", "第一组", "group"),
    (f"{CITY}/ZF/QQH/P01/Z01/L01", "第一邻", "neighbourhood"),
    # 城郊街道梅家田社区: where a 邻长 found a dangerous wall and the whistle closed the loop in 4 h (seeds/)
    (f"{CITY}/CJ", "城郊街道", "town"),
    (f"{CITY}/CJ/MJT", "梅家田社区", "village"),
    (f"{CITY}/CJ/MJT/P01", "梅家田社区第一片", "area"),
    (f"{CITY}/CJ/MJT/P01/Z01", "第一组", "group"),
    (f"{CITY}/CJ/MJT/P01/Z01/L01", "第一邻", "neighbourhood"),
    # 夏铎铺镇: two groups of one village quarrel over irrigation water; 民情三会 brings tap water (seeds/).
    # The article names no village: 新塘村 and its 屋场 are demo names.
    (f"{CITY}/XDP", "夏铎铺镇", "town"),
    (f"{CITY}/XDP/XT", "新塘村", "village"),
    (f"{CITY}/XDP/XT/P01", "新塘村第一片", "area"),
    (f"{CITY}/XDP/XT/P01/Z01", "第一组（周家屋场，上游）", "group"),
    (f"{CITY}/XDP/XT/P01/Z02", "第二组（李家屋场，下游）", "group"),
    (f"{CITY}/XDP/XT/P01/Z01/L01", "第一邻", "neighbourhood"),
    (f"{CITY}/XDP/XT/P01/Z02/L01", "第一邻", "neighbourhood"),
)


def code_of(path: str) -> str:
    return path.replace("/", "-")


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: str
    scope_kind: str
    scope: str
    machine: bool = False

    @property
    def sub(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ningxiang-local:{self.username}"))

    def principal(self) -> Principal:
        return Principal(self.sub, self.username, self.display_name, self.role, self.scope_kind, self.scope)


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("zhang-liangke", "张良科（鹊山村第一邻 邻长）", "neighbour_head", "unit", f"{CITY}/DCQ/QS/P01/Z01/L01"),
    DemoAccount("qs-group", "鹊山村第一组 组长", "group_head", "unit", f"{CITY}/DCQ/QS/P01/Z01"),
    DemoAccount("qs-area", "鹊山村第一片 片长", "area_head", "unit", f"{CITY}/DCQ/QS/P01"),
    DemoAccount("qs-village", "鹊山村 村干部", "village_cadre", "unit", f"{CITY}/DCQ/QS"),
    DemoAccount("jiang-dan", "姜丹（石山村 村干部）", "village_cadre", "unit", f"{CITY}/DCQ/SS"),
    DemoAccount("dcq-town", "大成桥镇 镇干部", "town_cadre", "unit", f"{CITY}/DCQ"),
    DemoAccount("zf-town", "资福镇 镇干部", "town_cadre", "unit", f"{CITY}/ZF"),
    DemoAccount("city-admin", "宁乡市 管理员", "city_admin", "unit", CITY),
    DemoAccount("water-bureau", "宁乡市水利局 工作人员", "department", "department", "water"),
    DemoAccount("auditor", "宁乡市 审计员", "auditor", "unit", CITY),
    # 梅家田社区's 邻长 and 片长, 城郊街道's cadre, and the housing department (住建局) for the whistle story
    DemoAccount(
        "mjt-neighbour", "周秀英（梅家田社区第一邻 邻长）", "neighbour_head", "unit", f"{CITY}/CJ/MJT/P01/Z01/L01"
    ),
    DemoAccount("mjt-area", "谢建华（梅家田社区第一片 片长）", "area_head", "unit", f"{CITY}/CJ/MJT/P01"),
    DemoAccount("cj-town", "城郊街道 街道干部", "town_cadre", "unit", f"{CITY}/CJ"),
    DemoAccount("housing-bureau", "宁乡市住建局 工作人员", "department", "department", "housing"),
    # 夏铎铺镇's water dispute through 民情三会 (scripts/water_dispute.py)
    DemoAccount("xdp-group", "新塘村第一组 组长", "group_head", "unit", f"{CITY}/XDP/XT/P01/Z01"),
    DemoAccount("xdp-area", "新塘村第一片 片长", "area_head", "unit", f"{CITY}/XDP/XT/P01"),
    DemoAccount("xdp-village", "新塘村 村干部", "village_cadre", "unit", f"{CITY}/XDP/XT"),
    DemoAccount("xdp-town", "夏铎铺镇 镇干部", "town_cadre", "unit", f"{CITY}/XDP"),
)
AGENCY_CLIENT = DemoAccount(
    "agency-12345", "12345 政务服务便民热线（机器客户端）", "department", "department", "hotline12345", machine=True
)
SYSTEM_ACTOR = Actor(sub="system:seed", role="city_admin", scope=CITY, request_id="seed")


def demo_unit(path: str, name: str, level: str) -> UnitModel:
    segments = path.split("/")
    ancestors = [code_of("/".join(segments[:i])) for i in range(1, len(segments))]
    return UnitModel(
        code_of(path),
        segment=segments[-1],
        name=name,
        level=level,
        parent=ancestors[-1] if ancestors else None,
        ancestors=ancestors,
        root=segments[0],
        path=path,
        depth=len(segments),
        initials=search_terms.initials(name),
        tag_counts={},
    )


def seed_demo(api_key: str) -> None:
    """Create the catalogues, the demo units (with audit events), profiles and the agency's API key."""
    CatalogueStore().ensure_defaults()
    scoring_defaults(CITY)
    store = GridStore(audit=AuditStore())
    for path, name, level in DEMO_UNITS:
        if store.unit(code_of(path)) is None:
            store.create_unit(demo_unit(path, name, level), SYSTEM_ACTOR, search_terms.terms(name))
    profiles = ProfileStore()
    for account in (*DEMO_ACCOUNTS, AGENCY_CLIENT):
        profiles.ensure(account.principal())
    ApiKeyStore().register(api_key, client_sub=AGENCY_CLIENT.sub, label=AGENCY_CLIENT.display_name)


# Households and 三长 of the demo, from the source article (the tests start without them).
DEMO_HOUSEHOLDS: tuple[tuple[str, str, str, int, str, tuple[str, ...]], ...] = (
    ("430182-DCQ-QS-P01-Z01-L01", "鹊山村第一组1号", "胡明", 3, "13807310001", ("elderly_alone",)),
    ("430182-DCQ-QS-P01-Z01-L01", "鹊山村第一组2号", "张良科", 4, "13807310002", ("party_member_household",)),
    ("430182-DCQ-QS-P01-Z01-L01", "鹊山村第一组3号", "李桂香", 2, "13807310003", ("low_income",)),
    ("430182-DCQ-QS-P01-Z01-L01", "鹊山村第一组4号", "周建国", 5, "13807310004", ("veteran",)),
    ("430182-DCQ-QS-P01-Z01-L01", "鹊山村第一组5号", "刘春梅", 3, "13807310005", ("left_behind_child",)),
    ("430182-DCQ-QS-P01-Z01-L02", "鹊山村第一组6号", "陈志强", 4, "13807310006", ()),
    ("430182-DCQ-QS-P01-Z01-L02", "鹊山村第一组7号", "王秀兰", 1, "13807310007", ("elderly_alone", "disabled")),
)
DEMO_HEADS: tuple[tuple[str, str, str, bool], ...] = (
    ("430182-DCQ-QS-P01-Z01-L01", "张良科", "13907310001", True),  # 党员邻长, ten years of fire-fighting
    ("430182-DCQ-QS-P01-Z01", "杨志强", "13907310002", True),
    ("430182-DCQ-SS-P02", "姜丹", "13907310003", True),  # 石山村 cadre and 第二片区 片长
    ("430182-DCQ-QS-P01", "谈美文", "13907310004", True),  # 片长 who drew a 民情地图 of 87 households
    ("430182-DCQ-QS", "刘晓华", "13907310005", True),  # 大成桥镇 cadre, 鹊山村's 联点干部
    # 梅家田社区 (the article names none of them: demo names)
    ("430182-CJ-MJT-P01", "谢建华", "13907310011", True),  # 片长 who blows the 应急哨
    ("430182-CJ-MJT-P01-Z01", "罗立新", "13907310012", False),
    ("430182-CJ-MJT-P01-Z01-L01", "周秀英", "13907310013", True),  # 邻长 who found the dangerous wall
    # 夏铎铺镇新塘村 (the article counts 73 片长 and 1,226 邻长 in the town but names none: demo names)
    ("430182-XDP-XT-P01", "彭建军", "13907310021", True),
    ("430182-XDP-XT-P01-Z01", "周海林", "13907310022", True),  # 周家屋场 (upstream)
    ("430182-XDP-XT-P01-Z02", "李正平", "13907310023", False),  # 李家屋场 (downstream), 自治力量
)
# The heads above who are party members on the roll of 梅家田社区 and 新塘村, so that 三比 credits them (a whistle
# closed on time credits the nearest 组长 or 片长 who is one): head unit -> (home 邻, address, gender, birth
# date, ID sequence, branch, join date). Their ID numbers are made up, with a valid check digit.
DEMO_PARTY_HEADS: dict[str, tuple[str, str, str, str, str, str, str]] = {
    "430182-CJ-MJT-P01": ("430182-CJ-MJT-P01-Z01-L01", "梅家田社区第一组8号", "male", "19710306", "031",
                          "中共梅家田社区第一支部委员会", "1998-07-01"),
    "430182-CJ-MJT-P01-Z01-L01": ("430182-CJ-MJT-P01-Z01-L01", "梅家田社区第一组3号", "female", "19680915", "042",
                                  "中共梅家田社区第一支部委员会", "2005-06-20"),
    "430182-XDP-XT-P01": ("430182-XDP-XT-P01-Z01-L01", "新塘村周家屋场12号", "male", "19750512", "015",
                          "中共新塘村支部委员会", "2001-07-01"),
    "430182-XDP-XT-P01-Z01": ("430182-XDP-XT-P01-Z01-L01", "新塘村周家屋场3号", "male", "19660221", "053",
                              "中共新塘村支部委员会", "1994-10-01"),
}  # fmt: skip


def demo_id_number(birth: str, sequence: str) -> str:
    from chalicelib.members.idcard import check_digit  # noqa: PLC0415

    first17 = f"{CITY}{birth}{sequence}"
    return first17 + check_digit(first17)


def seed_demo_people() -> None:
    """Households and heads for the demo stack, through the grid service (counts and audit included)."""
    from datetime import date  # noqa: PLC0415

    from chalicelib.grid.schemas import AppointmentIn, HouseholdIn  # noqa: PLC0415
    from chalicelib.grid.service import default_service  # noqa: PLC0415

    service = default_service()
    admin = next(a for a in DEMO_ACCOUNTS if a.role == "city_admin").principal()
    village = service.store.unit("430182-DCQ-QS")
    if village is None or int(village.households) > 0:
        return
    for unit, address, head, residents, phone, tags in DEMO_HOUSEHOLDS:
        household = HouseholdIn(
            unit=unit, address=address, head_name=head, residents=residents, phone=phone, tags=list(tags)
        )
        service.create_household(admin, SYSTEM_ACTOR, household)
    for unit, name, phone, member in DEMO_HEADS:
        member_id = _demo_party_member(admin, unit, name, phone) if unit in DEMO_PARTY_HEADS else None
        appointment = AppointmentIn(
            person_name=name, phone=phone, is_member=member, member_id=member_id, start=date(2024, 3, 1)
        )
        service.appoint(admin, SYSTEM_ACTOR, unit, appointment)
    from chalicelib.deliberation.demo import seed_demo_concerns  # noqa: PLC0415

    seed_demo_concerns()  # 夏铎铺's water dispute, ready for a courtyard meeting


def _demo_party_member(admin: Principal, head_unit: str, name: str, phone: str) -> str:
    """A party-member head's household and member record on the roll; the member id their appointment links."""
    from datetime import date  # noqa: PLC0415

    from chalicelib.grid.schemas import HouseholdIn  # noqa: PLC0415
    from chalicelib.grid.service import default_service as grid_service  # noqa: PLC0415
    from chalicelib.members.schemas import MemberIn  # noqa: PLC0415
    from chalicelib.members.service import default_service as member_service  # noqa: PLC0415

    leaf, address, gender, birth, sequence, branch, joined = DEMO_PARTY_HEADS[head_unit]
    household = HouseholdIn(unit=leaf, address=address, head_name=name, residents=3, phone=phone, tags=[
        "party_member_household"])  # fmt: skip
    home = grid_service().create_household(admin, SYSTEM_ACTOR, household)
    member = MemberIn(
        name=name, gender=gender, id_number=demo_id_number(birth, sequence), phone=phone, branch=branch,
        status="full", join_date=date.fromisoformat(joined), household=home.id,
    )  # fmt: skip
    return member_service().create(admin, SYSTEM_ACTOR, member).id
