"""Contact cards: for a household, its 邻长, 组长, 片长, the village's 联点干部 and the party members who cover
it (联户), with the heads' phones in full (they serve by publishing them) and members' phones masked.

Reads are proportional to the card: the household, one batch of its unit chain, the covering members. A
print sheet for a neighbourhood or group reads its households, its units and their coverage in key ranges.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from chalicelib.cards.schemas import CardContact, CardMember, ContactCardOut
from chalicelib.core.auth import Principal, path_within
from chalicelib.core.errors import field_error
from chalicelib.grid.schemas import HEAD_LABELS, LIAISON_ROLE
from chalicelib.grid.service import GridService
from chalicelib.grid.store import HouseholdModel, UnitModel

# from the household outwards: who to call first
CONTACT_LEVELS: tuple[tuple[str, str], ...] = (
    ("neighbourhood", "neighbour_head"),
    ("group", "group_head"),
    ("area", "area_head"),
    ("village", LIAISON_ROLE),
)
PLACE_LEVELS = ("village", "area", "group", "neighbourhood")
SHEET_LEVELS = frozenset({"neighbourhood", "group"})
SHEET_LIMIT = 600  # households on one print run (a large 组 has about 60)

# household ids -> their covering members (the showings slice's coverage)
Covering = Callable[[list[str]], Mapping[str, list[CardMember]]]


@dataclass(frozen=True)
class CardSheet:
    title: str
    cards: list[ContactCardOut]


def _contacts(household: HouseholdModel, units: Mapping[str, UnitModel]) -> tuple[str, list[CardContact]]:
    by_level = {u.level: u for u in units.values() if path_within(household.unit_path, u.path)}
    place = "".join(by_level[level].name for level in PLACE_LEVELS if level in by_level)
    contacts = []
    for level, role in CONTACT_LEVELS:
        unit = by_level.get(level)
        if unit is None:
            continue
        head = unit.head_info
        current = head is not None and head.get("role") == role
        contacts.append(
            CardContact(
                role=role,
                role_label=HEAD_LABELS[role],
                unit_name=unit.name,
                person_name=str(head["person_name"]) if current and head else None,
                phone=str(head["phone"]) if current and head else None,
                is_member=bool(head.get("is_member")) if current and head else False,
            )
        )
    return place, contacts


def card_of(household: HouseholdModel, units: Mapping[str, UnitModel], members: list[CardMember]) -> ContactCardOut:
    place, contacts = _contacts(household, units)
    return ContactCardOut(
        household=household.id,
        address=household.address,
        head_name=household.head_name,
        unit_path=household.unit_path,
        place=place,
        contacts=contacts,
        members=members,
    )


class CardService:
    def __init__(self, *, grid: GridService, covering: Covering) -> None:
        self.grid = grid
        self.covering = covering

    def card(self, principal: Principal, household_id: str) -> ContactCardOut:
        household = self.grid.visible_household(principal, household_id)
        unit = self.grid.store.unit(household.unit_code)
        chain = [household.unit_code] if unit is None else [*unit.chain]
        units = self.grid.store.units(chain)
        return card_of(household, units, self.covering([household.id]).get(household.id, []))

    def sheet(self, principal: Principal, code: str) -> CardSheet:
        unit = self.grid.visible_unit(principal, code)
        if unit.level not in SHEET_LEVELS:
            raise field_error(
                "path.code", "明白卡按邻或组打印，请选择一个邻或组", "Cards print per neighbourhood or group"
            )
        households, _ = self.grid.store.households_below(unit.root, unit.path, limit=SHEET_LIMIT)
        below, _ = self.grid.store.subtree(unit.root, unit.path)
        units = {**self.grid.store.units(unit.chain), **{u.code: u for u in below}}
        covering = self.covering([h.id for h in households])
        cards = [card_of(h, units, covering.get(h.id, [])) for h in households]
        named = [units[c] for c in unit.chain if c in units and units[c].level in PLACE_LEVELS]
        return CardSheet(title="".join(u.name for u in named), cards=cards)


def covering_members(household_ids: list[str]) -> dict[str, list[CardMember]]:
    """The members covering each household (联户), as the card shows them: posts by name, the pledge."""
    from chalicelib.core.audit import AuditStore  # noqa: PLC0415
    from chalicelib.showings.store import ShowingStore  # noqa: PLC0415

    found = ShowingStore(audit=AuditStore()).covering_of_many(household_ids)
    return {
        household: [
            CardMember(
                member_id=m.member, name=m.name, phone=m.phone or "", posts=[p.name for p in m.posts], pledge=m.pledge
            )
            for m in members
        ]
        for household, members in found.items()
    }


def default_service() -> CardService:
    from chalicelib.grid.service import default_service as grid_service  # noqa: PLC0415

    return CardService(grid=grid_service(), covering=covering_members)
