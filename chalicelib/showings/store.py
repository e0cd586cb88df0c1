"""The showings' tables and every write with its conditions and audit event.

- `plaques`: one item per household holding a plaque (hash: the household id); by_path (root, path_key)
  lists a unit's plaques. A revoked plaque's item is deleted; its number stays taken.
- `stickers`: one item per member holding a vehicle sticker (hash: the member id), listed the same way.
- `showing-keys`: counters and uniqueness items. `counter#<kind>#<root>` holds the last number issued in a
  county; `plaque-no#<root>#<n>`, `sticker-no#<root>#<n>` and `plate#<plate>` are taken once. A number is
  issued by a transaction that moves the counter from the value it read to the next one (a condition), so
  two concurrent issues never share a number and a failed issue leaves no gap.
- `pledges`: hash member id, range year: one pledge per member per year (a condition); an approved pledge
  enters the sparse index by_unit (root, "<year>|<unit path>/#<member id>"), the unit's published list.
- `member-showings`: per member, the claimed duty posts, the covered households (a string set) and their
  count, which a condition keeps at 9 at most.
- `coverage`: hash household id, range member id: who covers a household (`covering_of`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.catalogue import CatalogueStore
from chalicelib.core.clock import china_today
from chalicelib.core.db import BaseMeta, register_model, transaction
from chalicelib.core.privacy import mask_phone
from chalicelib.grid.repath import Move, PathTable, register_move_hook, register_path_tables, update_unversioned
from chalicelib.members.store import MemberModel
from chalicelib.showings.schemas import CoveringMember, PostOut

FIRST_PLEDGE_YEAR = 2020


def pledge_years() -> range:
    """The years a published pledge can carry: a unit move re-paths each (one query per year)."""
    return range(FIRST_PLEDGE_YEAR, china_today().year + 2)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- models --------------------------------------------------------------------------------------------
class PlaquePathIndex(GlobalSecondaryIndex["PlaqueModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_path"
        projection = AllProjection()

    root = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


@register_model
class PlaqueModel(Model):
    class Meta(BaseMeta):
        table_suffix = "plaques"

    id = UnicodeAttribute(hash_key=True)  # the household id
    number = UnicodeAttribute()
    member_id = UnicodeAttribute()
    unit_code = UnicodeAttribute()
    unit_path = UnicodeAttribute()
    root = UnicodeAttribute()
    path_key = UnicodeAttribute()  # "<unit path>/#<household id>"
    address = UnicodeAttribute()
    head_name = UnicodeAttribute()
    issued_at = UnicodeAttribute()
    issued_by_role = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    by_path = PlaquePathIndex()


class StickerPathIndex(GlobalSecondaryIndex["StickerModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_path"
        projection = AllProjection()

    root = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


@register_model
class StickerModel(Model):
    class Meta(BaseMeta):
        table_suffix = "stickers"

    id = UnicodeAttribute(hash_key=True)  # the member id
    number = UnicodeAttribute()
    plate = UnicodeAttribute()
    member_name = UnicodeAttribute()
    unit_code = UnicodeAttribute()
    unit_path = UnicodeAttribute()
    root = UnicodeAttribute()
    path_key = UnicodeAttribute()
    issued_at = UnicodeAttribute()
    by_path = StickerPathIndex()


@register_model
class ShowingKeyModel(Model):
    """Counters (`value`) and uniqueness items (`owner`) of the showings."""

    class Meta(BaseMeta):
        table_suffix = "showing-keys"

    key = UnicodeAttribute(hash_key=True)
    value = NumberAttribute(null=True)
    owner = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)  # a number: issued, revoked


class PledgeUnitIndex(GlobalSecondaryIndex["PledgeModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_unit"
        projection = AllProjection()

    pub_root = UnicodeAttribute(hash_key=True)
    pub_key = UnicodeAttribute(range_key=True)


@register_model
class PledgeModel(Model):
    class Meta(BaseMeta):
        table_suffix = "pledges"

    member_id = UnicodeAttribute(hash_key=True)
    year = NumberAttribute(range_key=True)
    text = UnicodeAttribute()
    status = UnicodeAttribute()  # submitted, approved, rejected
    member_name = UnicodeAttribute()
    unit_code = UnicodeAttribute()
    unit_path = UnicodeAttribute()
    root = UnicodeAttribute()
    submitted_at = UnicodeAttribute()
    decided_at = UnicodeAttribute(null=True)
    decided_by_role = UnicodeAttribute(null=True)
    reject_reason = UnicodeAttribute(null=True)
    rejections = ListAttribute[dict[str, Any]](default=list)  # {text, reason, at}
    pub_root = UnicodeAttribute(null=True)  # set when approved: the published list is a sparse index
    pub_key = UnicodeAttribute(null=True)
    version = VersionAttribute()
    by_unit = PledgeUnitIndex()


@register_model
class MemberShowingModel(Model):
    class Meta(BaseMeta):
        table_suffix = "member-showings"

    id = UnicodeAttribute(hash_key=True)  # the member id
    posts = ListAttribute[str](default=list)
    households = UnicodeSetAttribute(null=True)  # covered households (联户)
    covered = NumberAttribute(default=0)
    version = NumberAttribute(default=0)  # moved by every change; If-Match on the posts


@register_model
class CoverageModel(Model):
    class Meta(BaseMeta):
        table_suffix = "coverage"

    household_id = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute(range_key=True)
    since = UnicodeAttribute()


# -- states for the audit ------------------------------------------------------------------------------
def plaque_state(item: PlaqueModel) -> dict[str, Any]:
    return {"household": item.id, "number": item.number, "member": item.member_id, "unit": item.unit_code}


def sticker_state(item: StickerModel) -> dict[str, Any]:
    return {"member": item.id, "number": item.number, "plate": item.plate, "unit": item.unit_code}


def pledge_state(item: PledgeModel) -> dict[str, Any]:
    return {"member": item.member_id, "year": int(item.year), "text": item.text, "status": item.status}


class ShowingStore:
    def __init__(self, *, audit: AuditStore) -> None:
        self.audit = audit

    # -- reads ---------------------------------------------------------------------------------------
    def plaque(self, household_id: str) -> PlaqueModel | None:
        try:
            return PlaqueModel.get(household_id)
        except PlaqueModel.DoesNotExist:
            return None

    def sticker(self, member_id: str) -> StickerModel | None:
        try:
            return StickerModel.get(member_id)
        except StickerModel.DoesNotExist:
            return None

    def pledge(self, member_id: str, year: int) -> PledgeModel | None:
        try:
            return PledgeModel.get(member_id, year)
        except PledgeModel.DoesNotExist:
            return None

    def pledges_of(self, member_id: str) -> list[PledgeModel]:
        return list(PledgeModel.query(member_id, scan_index_forward=False))

    def member_showing(self, member_id: str) -> MemberShowingModel | None:
        try:
            return MemberShowingModel.get(member_id)
        except MemberShowingModel.DoesNotExist:
            return None

    def counter(self, kind: str, root: str) -> int:
        try:
            return int(ShowingKeyModel.get(f"counter#{kind}#{root}", consistent_read=True).value or 0)
        except ShowingKeyModel.DoesNotExist:
            return 0

    def full_member_of(self, household_id: str, unit_path: str, root: str) -> MemberModel | None:
        """A full member living in the household: one query on the members of its 邻 (5-15 households)."""
        condition = (MemberModel.household_id == household_id) & (MemberModel.status == "full")
        for item in MemberModel.by_path.query(
            root, MemberModel.path_key.startswith(unit_path + "/"), filter_condition=condition
        ):
            return item
        return None

    def plaques_below(
        self, root: str, path: str, *, limit: int, after: dict[str, Any] | None
    ) -> tuple[list[PlaqueModel], Any]:
        result = PlaqueModel.by_path.query(
            root, PlaqueModel.path_key.startswith(path + "/"), limit=limit, last_evaluated_key=after
        )
        return list(result), result.last_evaluated_key

    def stickers_below(
        self, root: str, path: str, *, limit: int, after: dict[str, Any] | None
    ) -> tuple[list[StickerModel], Any]:
        result = StickerModel.by_path.query(
            root, StickerModel.path_key.startswith(path + "/"), limit=limit, last_evaluated_key=after
        )
        return list(result), result.last_evaluated_key

    def pledges_below(
        self, root: str, path: str, year: int, *, limit: int, after: dict[str, Any] | None
    ) -> tuple[list[PledgeModel], Any]:
        result = PledgeModel.by_unit.query(
            root, PledgeModel.pub_key.startswith(f"{year}|{path}/"), limit=limit, last_evaluated_key=after
        )
        return list(result), result.last_evaluated_key

    def covering_members(self, household_id: str) -> list[str]:
        return [c.member_id for c in CoverageModel.query(household_id)]

    def members(self, ids: Iterable[str]) -> dict[str, MemberModel]:
        keys = list(dict.fromkeys(ids))
        return {m.id: m for m in MemberModel.batch_get(keys)} if keys else {}

    def member_showings(self, ids: Iterable[str]) -> dict[str, MemberShowingModel]:
        keys = list(dict.fromkeys(ids))
        return {m.id: m for m in MemberShowingModel.batch_get(keys)} if keys else {}

    def pledges(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], PledgeModel]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        return {(p.member_id, int(p.year)): p for p in PledgeModel.batch_get(wanted)}

    def covering_of(self, household_id: str) -> list[CoveringMember]:
        """Who covers a household (联户), with their duty posts and their published pledge (this year's,
        else last year's): one query and three batch reads, proportional to the covering members."""
        return self.covering_of_many([household_id]).get(household_id, [])

    def covering_of_many(self, household_ids: Iterable[str]) -> dict[str, list[CoveringMember]]:
        """The same for many households (a sheet of contact cards): one query per household, then the
        members, their showings and their pledges in three batch reads shared by all of them."""
        coverage = {h: self.covering_members(h) for h in dict.fromkeys(household_ids)}
        ids = list(dict.fromkeys(m for members in coverage.values() for m in members))
        if not ids:
            return {}
        members = self.members(ids)
        showings = self.member_showings(ids)
        year = china_today().year
        pledges = self.pledges((m, y) for m in ids for y in (year, year - 1))
        names = post_names()
        cards: dict[str, CoveringMember] = {}
        for member_id in ids:
            member = members.get(member_id)
            if member is None or member.status == "left":
                continue
            showing = showings.get(member_id)
            posts = list(showing.posts) if showing is not None else []
            pledge = next(
                (p for y in (year, year - 1) if (p := pledges.get((member_id, y))) and p.status == "approved"), None
            )
            cards[member_id] = CoveringMember(
                member=member.id,
                name=member.name,
                phone=mask_phone(member.phone),
                unit=member.unit_code,
                posts=[PostOut(code=c, name=names.get(c, (c, c))[0], name_en=names.get(c, (c, c))[1]) for c in posts],
                pledge=pledge.text if pledge is not None else None,
                pledge_year=int(pledge.year) if pledge is not None else None,
            )
        return {h: [cards[m] for m in members_of if m in cards] for h, members_of in coverage.items()}

    # -- numbered items: plaques and stickers --------------------------------------------------------
    def _number(self, tx: TransactWrite, kind: str, root: str, seen: int, owner: str) -> int:
        """Move the county's counter from `seen` to `seen + 1` (a condition) and take that number."""
        counter = ShowingKeyModel(f"counter#{kind}#{root}")
        number = seen + 1
        if seen == 0:
            tx.save(ShowingKeyModel(counter.key, value=number), condition=ShowingKeyModel.key.does_not_exist())
        else:
            tx.update(counter, actions=[ShowingKeyModel.value.set(number)], condition=ShowingKeyModel.value == seen)
        tx.save(
            ShowingKeyModel(f"{kind}-no#{root}#{number}", owner=owner, status="issued"),
            condition=ShowingKeyModel.key.does_not_exist(),
        )
        return number

    def issue_plaque(self, item: PlaqueModel, seen: int, actor: Actor, number_of: Any) -> PlaqueModel:
        """The plaque (one per household), its number, the qualifying full member (still full and still
        living there: a condition) and the audit event, all or nothing."""
        with transaction() as tx:
            number = self._number(tx, "plaque", item.root, seen, item.id)
            item.number = number_of(number)
            tx.save(item, condition=PlaqueModel.id.does_not_exist())
            tx.condition_check(
                MemberModel,
                item.member_id,
                condition=(MemberModel.status == "full") & (MemberModel.household_id == item.id),
            )
            self._audit(
                tx, actor, "plaque.issue", ("plaque", item.id, item.unit_path), before=None, after=plaque_state(item)
            )
        return item

    def revoke_plaque(self, item: PlaqueModel, actor: Actor, reason: str) -> None:
        with transaction() as tx:
            tx.delete(item, condition=PlaqueModel.number == item.number)
            tx.update(
                ShowingKeyModel(f"plaque-no#{item.root}#{_serial(item.number)}"),
                actions=[ShowingKeyModel.status.set("revoked")],
            )
            after = plaque_state(item) | {"revoked": reason}
            self._audit(
                tx, actor, "plaque.revoke", ("plaque", item.id, item.unit_path), before=plaque_state(item), after=after
            )

    def issue_sticker(self, item: StickerModel, seen: int, actor: Actor, number_of: Any) -> StickerModel:
        with transaction() as tx:
            number = self._number(tx, "sticker", item.root, seen, item.id)
            item.number = number_of(number)
            tx.save(item, condition=StickerModel.id.does_not_exist())
            tx.save(
                ShowingKeyModel(f"plate#{item.plate}", owner=item.id), condition=ShowingKeyModel.key.does_not_exist()
            )
            tx.condition_check(MemberModel, item.id, condition=MemberModel.status != "left")
            self._audit(
                tx, actor, "sticker.issue", ("sticker", item.id, item.unit_path), before=None, after=sticker_state(item)
            )
        return item

    def plate_owner(self, plate: str) -> str | None:
        try:
            return ShowingKeyModel.get(f"plate#{plate}").owner
        except ShowingKeyModel.DoesNotExist:
            return None

    def revoke_sticker(self, item: StickerModel, actor: Actor, reason: str) -> None:
        with transaction() as tx:
            tx.delete(item, condition=StickerModel.number == item.number)
            tx.delete(ShowingKeyModel(f"plate#{item.plate}"), condition=ShowingKeyModel.owner == item.id)
            tx.update(
                ShowingKeyModel(f"sticker-no#{item.root}#{_serial(item.number)}"),
                actions=[ShowingKeyModel.status.set("revoked")],
            )
            after = sticker_state(item) | {"revoked": reason}
            self._audit(
                tx,
                actor,
                "sticker.revoke",
                ("sticker", item.id, item.unit_path),
                before=sticker_state(item),
                after=after,
            )

    # -- pledges -------------------------------------------------------------------------------------
    def submit_pledge(self, item: PledgeModel, actor: Actor, before: dict[str, Any] | None) -> PledgeModel:
        """A first pledge for the year (the key must be free) or a resubmission after a rejection (the
        stored one must still be the rejected one: its version)."""
        with transaction() as tx:
            if before is None:
                tx.save(item, condition=PledgeModel.member_id.does_not_exist())
            else:
                tx.save(item, condition=PledgeModel.status == "rejected")
            key = f"{item.member_id}/{int(item.year)}"
            self._audit(
                tx, actor, "pledge.submit", ("pledge", key, item.unit_path), before=before, after=pledge_state(item)
            )
        return item

    def decide_pledge(self, item: PledgeModel, actor: Actor, action: str) -> PledgeModel:
        """Approve or reject: only a pledge still `submitted` (the stored status and version)."""
        with transaction() as tx:
            before = pledge_state(item) | {"status": "submitted"}
            tx.save(item, condition=PledgeModel.status == "submitted")
            key = f"{item.member_id}/{int(item.year)}"
            self._audit(tx, actor, action, ("pledge", key, item.unit_path), before=before, after=pledge_state(item))
        return item

    # -- posts and coverage --------------------------------------------------------------------------
    def set_posts(
        self, member: MemberModel, posts: list[str], seen: int | None, actor: Actor, before: list[str]
    ) -> MemberShowingModel:
        """Replace the member's posts; `seen` is the version read (None: no item yet)."""
        condition = MemberShowingModel.id.does_not_exist() if seen is None else MemberShowingModel.version == seen
        item = MemberShowingModel(member.id)
        with transaction() as tx:
            tx.update(
                item,
                actions=[MemberShowingModel.posts.set(posts), MemberShowingModel.version.add(1)],
                condition=condition,
            )
            self._audit(
                tx,
                actor,
                "posts.set",
                ("member_showings", member.id, member.unit_path),
                before={"posts": before},
                after={"posts": posts},
            )
        return item

    def cover(self, member: MemberModel, household_id: str, actor: Actor, limit: int) -> None:
        """Add a covered household: the coverage item (once) and the member's set and count, which must stay
        at `limit` or below (a condition)."""
        with transaction() as tx:
            tx.save(
                CoverageModel(household_id, member.id, since=now_iso()),
                condition=CoverageModel.member_id.does_not_exist(),
            )
            tx.update(
                MemberShowingModel(member.id),
                actions=[
                    MemberShowingModel.households.add({household_id}),
                    MemberShowingModel.covered.add(1),
                    MemberShowingModel.version.add(1),
                ],
                condition=MemberShowingModel.covered.does_not_exist() | (MemberShowingModel.covered < limit),
            )
            self._audit(
                tx,
                actor,
                "coverage.add",
                ("member_showings", member.id, member.unit_path),
                before=None,
                after={"household": household_id},
            )

    def uncover(self, member: MemberModel, household_id: str, actor: Actor) -> None:
        with transaction() as tx:
            tx.delete(CoverageModel(household_id, member.id), condition=CoverageModel.member_id.exists())
            tx.update(
                MemberShowingModel(member.id),
                actions=[
                    MemberShowingModel.households.delete({household_id}),
                    MemberShowingModel.covered.add(-1),
                    MemberShowingModel.version.add(1),
                ],
            )
            self._audit(
                tx,
                actor,
                "coverage.remove",
                ("member_showings", member.id, member.unit_path),
                before={"household": household_id},
                after=None,
            )

    def _audit(
        self,
        tx: TransactWrite,
        actor: Actor,
        action: str,
        entity: tuple[str, str, str],
        *,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        """The change's audit event, in its transaction; `entity` is (type, id, unit path)."""
        entity_type, entity_id, unit_path = entity
        self.audit.append(
            tx,
            actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            unit_path=unit_path,
            before=before,
            after=after,
        )


def _pledge_prefixes() -> list[str]:
    return [f"{year}|" for year in pledge_years()]


def unpublished_pledges_follow(move: Move) -> int:
    """Pledges not published (submitted, rejected) are in no path index: those of the members now below the
    new path follow them (one query per member; the members were re-pathed first)."""
    count, audit = 0, AuditStore()
    members = MemberModel.by_path.query(move.new_root, MemberModel.path_key.startswith(move.new_path + "/"))
    for member in members:
        for pledge in PledgeModel.query(member.id):
            if pledge.pub_key is not None or not move.within(pledge.unit_path):
                continue
            path = move.rebase(pledge.unit_path)
            with transaction() as tx:
                update_unversioned(
                    tx,
                    pledge,
                    [PledgeModel.unit_path.set(path), PledgeModel.root.set(move.new_root)],
                    (PledgeModel.unit_path == pledge.unit_path) & PledgeModel.pub_key.does_not_exist(),
                )
                audit.append(
                    tx,
                    move.actor,
                    action="pledge.repath",
                    entity_type="pledge",
                    entity_id=f"{pledge.member_id}/{int(pledge.year)}",
                    unit_path=path,
                    before={"unit_path": pledge.unit_path},
                    after={"unit_path": path},
                )
            count += 1
    return count


# a unit move re-paths the plaques, stickers and pledges below it (grid.repath)
register_path_tables(
    PathTable(PlaqueModel, "plaque"),
    PathTable(StickerModel, "sticker"),
    PathTable(
        PledgeModel,
        "pledge",
        index="by_unit",
        index_root="pub_root",
        key="pub_key",
        roots=("root", "pub_root"),
        key_prefixes=_pledge_prefixes,
    ),
)
register_move_hook("unpublished_pledges", unpublished_pledges_follow)


def post_names() -> dict[str, tuple[str, str]]:
    """Duty post code -> (Chinese, English) names, read at most once a minute per process."""
    return {e.code: (e.name_zh, e.name_en) for e in CatalogueStore().recent_entries("duty_post")}


def post_list(codes: Iterable[str], names: dict[str, tuple[str, str]]) -> list[PostOut]:
    return [PostOut(code=c, name=names.get(c, (c, c))[0], name_en=names.get(c, (c, c))[1]) for c in codes]


def covering_of(household_id: str) -> list[CoveringMember]:
    """The members covering a household, for the household's contact card (明白卡). The caller checks the
    household is in scope; phones come masked (a card that prints them unmasks through the members slice)."""
    return ShowingStore(audit=AuditStore()).covering_of(household_id)


def _serial(number: str) -> int:
    return int(number.rsplit("-", 1)[1])
