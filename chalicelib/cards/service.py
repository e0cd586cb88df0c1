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

# household id -> its covering members; the showings slice supplies these
CoverOne = Callable[[str], list[CardMember]]
CoverBelow = Callable[[str, str], Mapping[str, list[CardMember]]]


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
    def __init__(self, *, grid: GridService, cover_one: CoverOne, cover_below: CoverBelow) -> None:
        self.grid = grid
        self.cover_one = cover_one
        self.cover_below = cover_below

    def card(self, principal: Principal, household_id: str) -> ContactCardOut:
        household = self.grid.visible_household(principal, household_id)
        unit = self.grid.store.unit(household.unit_code)
        chain = [household.unit_code] if unit is None else [*unit.chain]
        units = self.grid.store.units(chain)
        return card_of(household, units, self.cover_one(household.id))

    def sheet(self, principal: Principal, code: str) -> CardSheet:
        unit = self.grid.visible_unit(principal, code)
        if unit.level not in SHEET_LEVELS:
            raise field_error(
                "path.code", "明白卡按邻或组打印，请选择一个邻或组", "Cards print per neighbourhood or group"
            )
        households, _ = self.grid.store.households_below(unit.root, unit.path, limit=SHEET_LIMIT)
        below, _ = self.grid.store.subtree(unit.root, unit.path)
        units = {**self.grid.store.units(unit.chain), **{u.code: u for u in below}}
        covering = self.cover_below(unit.root, unit.path)
        cards = [card_of(h, units, covering.get(h.id, [])) for h in households]
        named = [units[c] for c in unit.chain if c in units and units[c].level in PLACE_LEVELS]
        return CardSheet(title="".join(u.name for u in named), cards=cards)


def default_service() -> CardService:
    from chalicelib.grid.service import default_service as grid_service  # noqa: PLC0415

    return CardService(grid=grid_service(), cover_one=lambda _h: [], cover_below=lambda _r, _p: {})
