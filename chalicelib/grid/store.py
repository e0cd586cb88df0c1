"""PynamoDB models and queries for the grid: units, households, 三长 appointments and name search.

Keys are designed for the questions asked:
- a unit by its stable code (hash key); its children by parent code (GSI by_parent);
- a subtree by materialised path (GSI by_path: the city code, then the path), one key-range query;
- households of a subtree the same way (GSI by_path on `path_key` = "<unit path>/#<id>");
- appointments of a unit, newest first (hash unit code, range "<start date>#<id>");
- a name or pinyin-initials prefix within a scope (search terms: hash the prefix, range the path).

Counts (households, residents, members, heads, tags, children) are subtree totals kept on every unit and
moved by the same transaction that changes a household or an appointment.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.db import BaseMeta, register_model, transaction
from chalicelib.core.profiles import ProfileModel
from chalicelib.grid.repath import PathTable, register_path_tables
from chalicelib.grid.schemas import LIAISON_ROLE

COUNTERS = ("households", "residents", "members", "heads")


class UnitPathIndex(GlobalSecondaryIndex["UnitModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_path"
        projection = AllProjection()

    root = UnicodeAttribute(hash_key=True)
    path = UnicodeAttribute(range_key=True)


class UnitParentIndex(GlobalSecondaryIndex["UnitModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_parent"
        projection = AllProjection()

    parent = UnicodeAttribute(hash_key=True)
    segment = UnicodeAttribute(range_key=True)


@register_model
class UnitModel(Model):
    class Meta(BaseMeta):
        table_suffix = "units"

    code = UnicodeAttribute(hash_key=True)  # stable, e.g. 430182-DCQ-QS; never changes, even when moved
    segment = UnicodeAttribute()  # the unit's own part of the path, e.g. QS
    name = UnicodeAttribute()
    level = UnicodeAttribute()
    parent = UnicodeAttribute(null=True)  # parent code
    ancestors = ListAttribute[str](default=list)  # codes, city first, parent last
    root = UnicodeAttribute()  # the city code: the partition of the path index
    path = UnicodeAttribute()  # 430182/DCQ/QS: segments, changes when a unit above moves
    depth = NumberAttribute()  # number of segments in the path: 1 for the city
    moving_from = UnicodeAttribute(null=True)  # set while the descendants of a moved unit are re-pathed
    initials = UnicodeAttribute(default="")  # pinyin initials of the name, e.g. qsc
    households = NumberAttribute(default=0)
    residents = NumberAttribute(default=0)
    members = NumberAttribute(default=0)
    heads = NumberAttribute(default=0)
    children = NumberAttribute(default=0)  # direct children: a unit with children cannot be deleted
    tag_counts = MapAttribute[str, Any](default=dict)  # type: ignore[no-untyped-call]  # household tag -> households in the subtree
    head = MapAttribute[str, Any](null=True)  # type: ignore[no-untyped-call]  # the current 片长/组长/邻长 of this unit
    version = VersionAttribute()
    by_path = UnitPathIndex()
    by_parent = UnitParentIndex()

    @property
    def tags(self) -> dict[str, int]:
        """Household counts by tag in the subtree (zeroes left out)."""
        raw: dict[str, Any] = self.tag_counts.as_dict()  # type: ignore[no-untyped-call]
        return {k: int(v) for k, v in raw.items() if int(v)}

    @property
    def head_info(self) -> dict[str, Any] | None:
        return None if self.head is None else dict(self.head.as_dict())  # type: ignore[no-untyped-call]

    @property
    def chain(self) -> list[str]:
        """Codes from the city down to this unit."""
        return [*self.ancestors, self.code]


class UnitSystemModel(Model):
    """The units table without optimistic locking, for system updates (subtree counters, the current
    head, re-pathing after a move) that must not invalidate a cadre's If-Match. Not registered: the table
    is UnitModel's."""

    class Meta(BaseMeta):
        table_suffix = "units"

    code = UnicodeAttribute(hash_key=True)
    path = UnicodeAttribute()
    root = UnicodeAttribute()
    ancestors = ListAttribute[str]()
    households = NumberAttribute()
    residents = NumberAttribute()
    members = NumberAttribute()
    heads = NumberAttribute()
    children = NumberAttribute()
    tag_counts = MapAttribute[str, Any]()  # type: ignore[no-untyped-call]
    head = MapAttribute[str, Any](null=True)  # type: ignore[no-untyped-call]
    moving_from = UnicodeAttribute(null=True)


class SearchTermModelIndex(GlobalSecondaryIndex["SearchTermModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_unit"
        projection = KeysOnlyProjection()

    unit_code = UnicodeAttribute(hash_key=True)


@register_model
class SearchTermModel(Model):
    """One item per (name or initials prefix, unit): search is a key query, never a scan."""

    class Meta(BaseMeta):
        table_suffix = "unit-search"

    term = UnicodeAttribute(hash_key=True)
    path = UnicodeAttribute(range_key=True)
    unit_code = UnicodeAttribute()
    name = UnicodeAttribute()
    level = UnicodeAttribute()
    by_unit = SearchTermModelIndex()


class HouseholdPathIndex(GlobalSecondaryIndex["HouseholdModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_path"
        projection = AllProjection()

    root = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


@register_model
class HouseholdModel(Model):
    class Meta(BaseMeta):
        table_suffix = "households"

    id = UnicodeAttribute(hash_key=True)
    unit_code = UnicodeAttribute()
    unit_path = UnicodeAttribute()
    root = UnicodeAttribute()
    path_key = UnicodeAttribute()  # "<unit path>/#<id>": the subtree of a unit is one begins_with
    address = UnicodeAttribute()
    head_name = UnicodeAttribute()
    residents = NumberAttribute()
    phone = UnicodeAttribute(null=True)  # shown masked; the clear value only through an audited unmask
    tags = ListAttribute[str](default=list)
    note = UnicodeAttribute(null=True)
    members = NumberAttribute(default=0)  # party members living here (the members slice keeps it)
    version = VersionAttribute()
    by_path = HouseholdPathIndex()


@register_model
class AppointmentModel(Model):
    """A 三长 appointment. History is kept: ended appointments stay, with their end date."""

    class Meta(BaseMeta):
        table_suffix = "appointments"

    unit_code = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)  # "<start date>#<id>"
    id = UnicodeAttribute()
    role = UnicodeAttribute()
    person_name = UnicodeAttribute()
    phone = UnicodeAttribute()
    is_member = BooleanAttribute(default=False)
    member_id = UnicodeAttribute(null=True)
    start = UnicodeAttribute()
    end = UnicodeAttribute(null=True)
    account_sub = UnicodeAttribute(null=True)
    version = VersionAttribute()


def unit_state(item: UnitModel) -> dict[str, Any]:
    return {
        "code": item.code,
        "path": item.path,
        "name": item.name,
        "level": item.level,
        "parent": item.parent,
        "head": item.head_info,
    }


EDITABLE_HOUSEHOLD = (
    "unit_code", "unit_path", "root", "path_key", "address", "head_name", "residents", "phone", "tags", "note",
)  # fmt: skip


# a unit move re-paths the households below it (grid.repath)
register_path_tables(PathTable(HouseholdModel, "household"))


def household_state(item: HouseholdModel) -> dict[str, Any]:
    return {
        k: getattr(item, k) for k in ("id", "unit_code", "address", "head_name", "residents", "phone", "tags", "note")
    }


def counter_actions(delta: dict[str, int], tags: dict[str, int]) -> list[Action]:
    actions: list[Action] = [getattr(UnitSystemModel, k).add(v) for k, v in delta.items() if v]
    actions += [UnitSystemModel.tag_counts[t].add(v) for t, v in tags.items() if v]
    return actions


class GridStore:
    """Every read and write of the grid tables; changes go with their audit events in one transaction."""

    def __init__(self, *, audit: AuditStore) -> None:
        self.audit = audit

    # -- units ------------------------------------------------------------------------------------
    def unit(self, code: str) -> UnitModel | None:
        try:
            return UnitModel.get(code)
        except UnitModel.DoesNotExist:
            return None

    def units(self, codes: Iterable[str]) -> dict[str, UnitModel]:
        return {u.code: u for u in UnitModel.batch_get(list(dict.fromkeys(codes)))}

    def children(self, parent: str, *, limit: int, after: dict[str, Any] | None) -> tuple[list[UnitModel], Any]:
        result = UnitModel.by_parent.query(parent, limit=limit, last_evaluated_key=after)
        items = list(result)
        return items, result.last_evaluated_key

    def subtree(
        self,
        root: str,
        path: str,
        *,
        limit: int | None = None,
        after: dict[str, Any] | None = None,
        max_depth: int | None = None,
    ) -> tuple[list[UnitModel], Any]:
        """Units strictly below `path`, in path order, down to `max_depth` (one key-range query, paged)."""
        result = UnitModel.by_path.query(
            root,
            UnitModel.path.startswith(path + "/"),
            filter_condition=None if max_depth is None else UnitModel.depth <= max_depth,
            limit=limit,
            last_evaluated_key=after,
        )
        items = list(result)
        return items, result.last_evaluated_key

    def create_unit(self, item: UnitModel, actor: Actor, terms: list[str]) -> UnitModel:
        """The unit, its parent's child count, its search terms and its audit event, all or nothing."""
        with transaction() as tx:
            tx.save(item, condition=UnitModel.code.does_not_exist())
            if item.parent is not None:
                tx.update(
                    UnitSystemModel(item.parent),
                    actions=[UnitSystemModel.children.add(1)],
                    condition=UnitModel.path == item.path.rsplit("/", 1)[0],
                )
            for term in terms:
                tx.save(self._term(term, item))
            self._audit_unit(tx, actor, "unit.create", item, None)
        return item

    def update_unit(
        self, item: UnitModel, before: dict[str, Any], actor: Actor, old_terms: list[str], terms: list[str]
    ) -> UnitModel:
        """Save with PynamoDB's version condition: a stale write fails and nothing is overwritten."""
        with transaction() as tx:
            tx.save(item)
            for term in set(old_terms) - set(terms):
                tx.delete(SearchTermModel(term, item.path))
            for term in set(terms) - set(old_terms):
                tx.save(self._term(term, item))
            self._audit_unit(tx, actor, "unit.update", item, before)
        return item

    def delete_unit(self, item: UnitModel, actor: Actor, terms: list[str]) -> None:
        """Only an empty leaf: no children, no households, no current head (DynamoDB conditions)."""
        with transaction() as tx:
            tx.delete(
                item,
                condition=(UnitModel.children == 0) & (UnitModel.households == 0) & UnitModel.head.does_not_exist(),
            )
            if item.parent is not None:
                tx.update(UnitSystemModel(item.parent), actions=[UnitSystemModel.children.add(-1)])
            for term in terms:
                tx.delete(SearchTermModel(term, item.path))
            self.audit.append(
                tx,
                actor,
                action="unit.delete",
                entity_type="unit",
                entity_id=item.code,
                unit_path=item.path,
                before=unit_state(item),
                after=None,
            )

    @staticmethod
    def _term(term: str, item: UnitModel) -> SearchTermModel:
        return SearchTermModel(term, item.path, unit_code=item.code, name=item.name, level=item.level)

    def _audit_unit(
        self, tx: TransactWrite, actor: Actor, action: str, item: UnitModel, before: dict[str, Any] | None
    ) -> None:
        self.audit.append(
            tx,
            actor,
            action=action,
            entity_type="unit",
            entity_id=item.code,
            unit_path=item.path,
            before=before,
            after=unit_state(item),
        )

    def search(self, term: str, scope: str, *, limit: int) -> list[SearchTermModel]:
        """Units whose name or pinyin initials start with `term`, inside `scope` (a key query)."""
        found = SearchTermModel.query(term, SearchTermModel.path.startswith(scope), limit=limit + 1)
        return [t for t in found if t.path == scope or t.path.startswith(scope + "/")][:limit]

    # -- moves ------------------------------------------------------------------------------------
    def move_unit(self, item: UnitModel, old_parent: UnitModel, new_parent: UnitModel, actor: Actor) -> UnitModel:
        """Re-hang the unit in one transaction: its own item (marked `moving_from` until its descendants
        follow), both parents' child counts, and the subtree totals of every ancestor that changes."""
        totals = {k: int(getattr(item, k)) for k in COUNTERS}
        tags = item.tags
        before = unit_state(item)
        old_chain, new_chain = old_parent.chain, new_parent.chain
        # levels are fixed, so the two parents are distinct units of one level: neither chain holds the
        # other parent, and the ancestors the chains share keep their totals
        with transaction() as tx:
            for code in old_chain:
                if code not in new_chain:
                    actions = counter_actions({k: -v for k, v in totals.items()}, {k: -v for k, v in tags.items()})
                    if code == old_parent.code:
                        actions.append(UnitSystemModel.children.add(-1))
                    tx.update(UnitSystemModel(code), actions=actions or [UnitSystemModel.children.add(0)])
            for code in new_chain:
                if code not in old_chain:
                    actions = counter_actions(totals, tags)
                    if code == new_parent.code:
                        actions.append(UnitSystemModel.children.add(1))
                        tx.update(UnitSystemModel(code), actions=actions, condition=UnitModel.path == new_parent.path)
                    else:
                        tx.update(UnitSystemModel(code), actions=actions or [UnitSystemModel.children.add(0)])
            item.moving_from = item.path
            item.parent = new_parent.code
            item.ancestors = new_chain
            item.root = new_parent.root
            item.path = f"{new_parent.path}/{item.segment}"
            item.depth = int(new_parent.depth) + 1
            tx.save(item)
            self._audit_unit(tx, actor, "unit.move", item, before)
        return item

    def repath_units(self, item: UnitModel, old_root: str, old_path: str) -> list[tuple[UnitModel, str]]:
        """Give every descendant its new path, ancestors and root; returns (unit, its old path) pairs."""
        moved: list[tuple[UnitModel, str]] = []
        base = item.chain
        for child in UnitModel.by_path.query(old_root, UnitModel.path.startswith(old_path + "/")):
            before = child.path
            rest = before[len(old_path) :]
            index = child.ancestors.index(item.code) if item.code in child.ancestors else len(child.ancestors)
            UnitSystemModel(child.code).update(
                actions=[
                    UnitSystemModel.path.set(item.path + rest),
                    UnitSystemModel.root.set(item.root),
                    UnitSystemModel.ancestors.set(base + child.ancestors[index + 1 :]),
                ],
                condition=UnitSystemModel.path == before,
            )
            child.path, child.root = item.path + rest, item.root
            moved.append((child, before))
        return moved

    def repath_terms(self, units: list[tuple[UnitModel, str]], terms_of: dict[str, list[str]]) -> None:
        with SearchTermModel.batch_write() as batch:
            for unit, old_path in units:
                for term in terms_of[unit.code]:
                    batch.delete(SearchTermModel(term, old_path))
                    batch.save(self._term(term, unit))

    def audit_read(self, actor: Actor, action: str, entity: tuple[str, str], unit_path: str, purpose: str) -> None:
        """A read of clear personal data: its own audit event, the purpose named in the action."""
        with transaction() as tx:
            self.audit.append(
                tx,
                actor,
                action=f"{action}:{purpose}",
                entity_type=entity[0],
                entity_id=entity[1],
                unit_path=unit_path,
                before=None,
                after={"purpose": purpose},
            )

    def finish_move(self, item: UnitModel) -> None:
        UnitSystemModel(item.code).update(actions=[UnitSystemModel.moving_from.remove()])

    # -- households -------------------------------------------------------------------------------
    def household(self, household_id: str) -> HouseholdModel | None:
        try:
            return HouseholdModel.get(household_id)
        except HouseholdModel.DoesNotExist:
            return None

    def households_below(
        self, root: str, path: str, *, limit: int | None = None, after: dict[str, Any] | None = None
    ) -> tuple[list[HouseholdModel], Any]:
        """Households of the unit at `path` and its subtree, in path order."""
        result = HouseholdModel.by_path.query(
            root, HouseholdModel.path_key.startswith(path + "/"), limit=limit, last_evaluated_key=after
        )
        items = list(result)
        return items, result.last_evaluated_key

    def save_household(
        self,
        item: HouseholdModel,
        actor: Actor,
        *,
        before: dict[str, Any] | None,
        changes: list[tuple[UnitModel, dict[str, int], dict[str, int]]],
        create: bool,
    ) -> HouseholdModel:
        """The household with the counter changes of every unit on its chain(s) and its audit event.

        `changes` lists (unit, counter deltas, tag deltas); the neighbourhood it lives in must still be at
        the path the household records (a concurrent move fails the transaction, nothing is written)."""
        with transaction() as tx:
            if create:
                tx.save(item, condition=HouseholdModel.id.does_not_exist())
            else:  # only the fields a cadre edits: counters kept by other slices (members) stay as they are
                tx.update(item, actions=[getattr(HouseholdModel, f).set(getattr(item, f)) for f in EDITABLE_HOUSEHOLD])
            for unit, delta, tags in changes:
                actions = counter_actions(delta, tags)
                condition = (UnitModel.path == item.unit_path) if unit.code == item.unit_code else None
                if actions:
                    tx.update(UnitSystemModel(unit.code), actions=actions, condition=condition)
                elif condition is not None:
                    tx.condition_check(UnitModel, unit.code, condition=condition)
            self.audit.append(
                tx,
                actor,
                action="household.create" if create else "household.update",
                entity_type="household",
                entity_id=item.id,
                unit_path=item.unit_path,
                before=before,
                after=household_state(item),
            )
        return item

    def delete_household(
        self, item: HouseholdModel, actor: Actor, changes: list[tuple[UnitModel, dict[str, int], dict[str, int]]]
    ) -> None:
        with transaction() as tx:
            # a member registered meanwhile keeps the household (the members slice counts on it)
            tx.delete(item, condition=(HouseholdModel.members == 0) | HouseholdModel.members.does_not_exist())
            for unit, delta, tags in changes:
                actions = counter_actions(delta, tags)
                if actions:
                    tx.update(UnitSystemModel(unit.code), actions=actions)
            self.audit.append(
                tx,
                actor,
                action="household.delete",
                entity_type="household",
                entity_id=item.id,
                unit_path=item.unit_path,
                before=household_state(item),
                after=None,
            )

    # -- appointments -----------------------------------------------------------------------------
    def appointments(
        self, unit_code: str, *, limit: int, after: dict[str, Any] | None
    ) -> tuple[list[AppointmentModel], Any]:
        result = AppointmentModel.query(unit_code, scan_index_forward=False, limit=limit, last_evaluated_key=after)
        items = list(result)
        return items, result.last_evaluated_key

    def appointment(self, unit_code: str, appointment_id: str) -> AppointmentModel | None:
        for item in AppointmentModel.query(unit_code, filter_condition=AppointmentModel.id == appointment_id):
            return item
        return None

    def appoint(
        self,
        item: AppointmentModel,
        unit: UnitModel,
        head: dict[str, Any],
        actor: Actor,
        *,
        profile: ProfileModel | None,
    ) -> AppointmentModel:
        """One current head per unit: the unit's `head` must be empty (a DynamoDB condition). Only the 三长
        count in `heads` (a village's 联点干部 does not)."""
        counted = item.role != LIAISON_ROLE
        with transaction() as tx:
            tx.save(item, condition=AppointmentModel.key.does_not_exist())
            tx.update(
                UnitSystemModel(unit.code),
                actions=[UnitSystemModel.head.set(head), UnitSystemModel.heads.add(int(counted))],
                condition=UnitSystemModel.head.does_not_exist() & (UnitSystemModel.path == unit.path),
            )
            for code in unit.ancestors if counted else ():
                tx.update(UnitSystemModel(code), actions=[UnitSystemModel.heads.add(1)])
            if profile is not None:
                tx.save(profile, condition=ProfileModel.sub.does_not_exist())
            self.audit.append(
                tx,
                actor,
                action="appointment.create",
                entity_type="appointment",
                entity_id=item.id,
                unit_path=unit.path,
                before=None,
                after=appointment_state(item),
            )
        return item

    def end_appointment(
        self, item: AppointmentModel, unit: UnitModel, actor: Actor, *, profile_sub: str | None
    ) -> AppointmentModel:
        before = appointment_state(item)
        profile = ProfileModel.get(profile_sub) if profile_sub is not None else None
        counted = item.role != LIAISON_ROLE
        with transaction() as tx:
            tx.save(item)
            tx.update(
                UnitSystemModel(unit.code),
                actions=[UnitSystemModel.head.remove(), UnitSystemModel.heads.add(-int(counted))],
                condition=UnitSystemModel.head["appointment_id"] == item.id,
            )
            for code in unit.ancestors if counted else ():
                tx.update(UnitSystemModel(code), actions=[UnitSystemModel.heads.add(-1)])
            if profile is not None:  # the account ends with the post (its version guards a concurrent edit)
                tx.update(profile, actions=[ProfileModel.active.set(False)])
            self.audit.append(
                tx,
                actor,
                action="appointment.end",
                entity_type="appointment",
                entity_id=item.id,
                unit_path=unit.path,
                before=before,
                after=appointment_state(item),
            )
        return item


def appointment_state(item: AppointmentModel) -> dict[str, Any]:
    keys = ("id", "unit_code", "role", "person_name", "phone", "is_member", "member_id", "start", "end")
    return {k: getattr(item, k) for k in keys}
