"""Showings rules (三亮): plaques only for households with a full member, numbers without gaps or
duplicates, one pledge per member per year approved by the branch, duty posts from the catalogue, and 1-9
covered households of the member's own group."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.auth import Principal, path_within
from chalicelib.core.catalogue import CatalogueStore
from chalicelib.core.clock import china_today
from chalicelib.core.errors import Conflict, FieldError, Unavailable, check_version, field_error, not_found
from chalicelib.core.paging import decode_cursor, encode_cursor
from chalicelib.grid.service import GridService
from chalicelib.grid.service import default_service as grid_service
from chalicelib.grid.store import HouseholdModel
from chalicelib.members.service import MemberService
from chalicelib.members.service import default_service as member_service
from chalicelib.members.store import MemberModel
from chalicelib.showings.schemas import (
    COVERAGE,
    PLEDGE_LABELS,
    CoverageIn,
    CoveredHousehold,
    CoveringOut,
    PlaqueIn,
    PlaqueOut,
    PlaquePage,
    PledgeIn,
    PledgeOut,
    PledgePage,
    PostsIn,
    ShowingsOut,
    StickerIn,
    StickerOut,
    StickerPage,
)
from chalicelib.showings.store import (
    MemberShowingModel,
    PlaqueModel,
    PledgeModel,
    ShowingStore,
    StickerModel,
    now_iso,
    post_list,
    post_names,
)

ATTEMPTS = 12  # tries to take the next number while other issues race for it
T = TypeVar("T")


def plaque_out(item: PlaqueModel) -> PlaqueOut:
    return PlaqueOut(
        household=item.id,
        number=item.number,
        unit=item.unit_code,
        unit_path=item.unit_path,
        address=item.address,
        head_name=item.head_name,
        member=item.member_id,
        issued_at=item.issued_at,
        issued_by_role=item.issued_by_role,
        note=item.note,
    )


def sticker_out(item: StickerModel) -> StickerOut:
    return StickerOut(
        member=item.id,
        member_name=item.member_name,
        number=item.number,
        plate=item.plate,
        unit=item.unit_code,
        unit_path=item.unit_path,
        issued_at=item.issued_at,
    )


def pledge_out(item: PledgeModel) -> PledgeOut:
    return PledgeOut(
        member=item.member_id,
        member_name=item.member_name,
        year=int(item.year),
        text=item.text,
        status=item.status,
        status_label=PLEDGE_LABELS[item.status],
        unit=item.unit_code,
        unit_path=item.unit_path,
        submitted_at=item.submitted_at,
        decided_at=item.decided_at,
        decided_by_role=item.decided_by_role,
        reject_reason=item.reject_reason,
        rejections=len(item.rejections),
    )


class AlreadyHeld(Conflict):
    """A conflict that retrying cannot settle (the household or member already holds one)."""


def _current(member: MemberModel) -> MemberModel:
    if member.status == "left":
        raise Conflict("该党员已离开，不能再登记三亮", "The member has left; no further showings")
    return member


class ShowingService:
    def __init__(
        self, *, store: ShowingStore, members: MemberService, grid: GridService, catalogue: CatalogueStore
    ) -> None:
        self.store = store
        self.members = members
        self.grid = grid
        self.catalogue = catalogue

    def _county(self, root: str) -> str:
        """宁乡市 -> 宁乡: the prefix of the county's plaque and sticker numbers."""
        unit = self.grid.store.unit(root)
        if unit is None:
            return root
        return unit.name.removesuffix("市").removesuffix("县") or unit.name

    @staticmethod
    def _numbered(issue: Callable[[], T]) -> T:
        """Issue under a number taken from the county's counter; a lost race reads the counter again."""
        for attempt in range(ATTEMPTS):
            try:
                return issue()
            except AlreadyHeld:
                raise
            except Conflict:
                if attempt == ATTEMPTS - 1:
                    break
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # noqa: S311 - jitter, not a secret
        raise Unavailable("编号发放繁忙，请稍后重试", "Numbers are busy; retry shortly", headers={"Retry-After": "1"})

    # -- 亮身份: plaques -----------------------------------------------------------------------------
    def issue_plaque(self, principal: Principal, actor: Actor, household_id: str, data: PlaqueIn) -> PlaqueOut:
        household = self.grid.visible_household(principal, household_id)
        prefix = self._county(household.root)

        def issue() -> PlaqueOut:
            existing = self.store.plaque(household.id)
            if existing is not None:
                raise AlreadyHeld(f"该户已挂党员户牌（{existing.number}）", f"This household holds {existing.number}")
            member = self.store.full_member_of(household.id, household.unit_path, household.root)
            if member is None:
                raise field_error(
                    "path.id",
                    "该户没有正式党员，不能挂党员户牌（预备党员转正后可挂牌）",
                    "No full party member lives in this household; a plaque needs one",
                )
            item = PlaqueModel(
                household.id,
                number="",
                member_id=member.id,
                unit_code=household.unit_code,
                unit_path=household.unit_path,
                root=household.root,
                path_key=f"{household.unit_path}/#{household.id}",
                address=household.address,
                head_name=household.head_name,
                issued_at=now_iso(),
                issued_by_role=actor.role,
                note=data.note,
            )
            seen = self.store.counter("plaque", household.root)
            return plaque_out(self.store.issue_plaque(item, seen, actor, lambda n: f"{prefix}党员户-{n:06d}"))

        return self._numbered(issue)

    def plaque(self, principal: Principal, household_id: str) -> PlaqueOut:
        household = self.grid.visible_household(principal, household_id)
        item = self.store.plaque(household.id)
        if item is None:
            raise not_found("党员户牌", "Plaque")
        return plaque_out(item)

    def revoke_plaque(self, principal: Principal, actor: Actor, household_id: str, reason: str) -> PlaqueOut:
        household = self.grid.visible_household(principal, household_id)
        item = self.store.plaque(household.id)
        if item is None:
            raise not_found("党员户牌", "Plaque")
        self.store.revoke_plaque(item, actor, reason)
        return plaque_out(item)

    def plaques(self, principal: Principal, code: str, *, limit: int, cursor: str | None) -> PlaquePage:
        unit = self.grid.visible_unit(principal, code)
        items, last = self.store.plaques_below(unit.root, unit.path, limit=limit, after=decode_cursor(cursor))
        return PlaquePage(items=[plaque_out(i) for i in items], next_cursor=encode_cursor(last))

    # -- 亮身份: vehicle stickers --------------------------------------------------------------------
    def issue_sticker(self, principal: Principal, actor: Actor, member_id: str, data: StickerIn) -> StickerOut:
        member = _current(self.members.visible(principal, member_id))
        prefix = self._county(member.root)
        plate_taken = FieldError("body.plate", "该车牌已领取车贴 / this plate already has a sticker")

        def issue() -> StickerOut:
            existing = self.store.sticker(member.id)
            if existing is not None:
                raise AlreadyHeld(f"该党员已领取车贴（{existing.number}）", f"This member holds {existing.number}")
            if self.store.plate_owner(data.plate) is not None:
                raise AlreadyHeld("该车牌已领取车贴", "This number plate already has a sticker", [plate_taken])
            item = StickerModel(
                member.id,
                number="",
                plate=data.plate,
                member_name=member.name,
                unit_code=member.unit_code,
                unit_path=member.unit_path,
                root=member.root,
                path_key=f"{member.unit_path}/#{member.id}",
                issued_at=now_iso(),
            )
            seen = self.store.counter("sticker", member.root)
            return sticker_out(self.store.issue_sticker(item, seen, actor, lambda n: f"{prefix}党员车-{n:06d}"))

        return self._numbered(issue)

    def revoke_sticker(self, principal: Principal, actor: Actor, member_id: str, reason: str) -> StickerOut:
        member = self.members.visible(principal, member_id)
        item = self.store.sticker(member.id)
        if item is None:
            raise not_found("车贴", "Sticker")
        self.store.revoke_sticker(item, actor, reason)
        return sticker_out(item)

    def stickers(self, principal: Principal, code: str, *, limit: int, cursor: str | None) -> StickerPage:
        unit = self.grid.visible_unit(principal, code)
        items, last = self.store.stickers_below(unit.root, unit.path, limit=limit, after=decode_cursor(cursor))
        return StickerPage(items=[sticker_out(i) for i in items], next_cursor=encode_cursor(last))

    # -- 亮立场: pledges -----------------------------------------------------------------------------
    def submit_pledge(self, principal: Principal, actor: Actor, member_id: str, data: PledgeIn) -> PledgeOut:
        member = _current(self.members.visible(principal, member_id))
        this_year = china_today().year
        if not this_year - 1 <= data.year <= this_year + 1:
            raise field_error(
                "body.year", f"承诺年度须在 {this_year - 1}–{this_year + 1} 之间", "The year must be last, this or next"
            )
        existing = self.store.pledge(member.id, data.year)
        before = None
        if existing is None:
            item = PledgeModel(member.id, data.year, rejections=[])
        elif existing.status == "rejected":
            before = {"member": member.id, "year": data.year, "text": existing.text, "status": "rejected"}
            item = existing
            item.rejections = [
                *item.rejections,
                {"text": item.text, "reason": item.reject_reason, "at": item.decided_at},
            ]
        else:
            raise Conflict(
                f"该党员 {data.year} 年度已有承诺（{PLEDGE_LABELS[existing.status]}）",
                f"This member already has a pledge for {data.year} ({existing.status})",
                [FieldError("body.year", "每人每年一份承诺 / one pledge per member per year")],
            )
        item.text = data.text
        item.status = "submitted"
        item.member_name = member.name
        item.unit_code, item.unit_path, item.root = member.unit_code, member.unit_path, member.root
        item.submitted_at = now_iso()
        item.decided_at = item.decided_by_role = item.reject_reason = None
        return pledge_out(self.store.submit_pledge(item, actor, before))

    def _submitted(self, principal: Principal, member_id: str, year: int) -> tuple[MemberModel, PledgeModel]:
        member = _current(self.members.visible(principal, member_id))
        item = self.store.pledge(member.id, year)
        if item is None:
            raise not_found("承诺", "Pledge")
        if item.status != "submitted":
            raise Conflict(
                f"该承诺{PLEDGE_LABELS[item.status]}，不能再审核", f"The pledge is {item.status}; nothing to decide"
            )
        return member, item

    def approve_pledge(self, principal: Principal, actor: Actor, member_id: str, year: int) -> PledgeOut:
        member, item = self._submitted(principal, member_id, year)
        item.status, item.decided_at, item.decided_by_role = "approved", now_iso(), actor.role
        # published where the member lives now: the unit's list is the sparse index by_unit
        item.unit_code, item.unit_path, item.root = member.unit_code, member.unit_path, member.root
        item.pub_root, item.pub_key = member.root, f"{int(item.year)}|{member.unit_path}/#{member.id}"
        return pledge_out(self.store.decide_pledge(item, actor, "pledge.approve"))

    def reject_pledge(self, principal: Principal, actor: Actor, member_id: str, year: int, reason: str) -> PledgeOut:
        _, item = self._submitted(principal, member_id, year)
        item.status, item.decided_at, item.decided_by_role = "rejected", now_iso(), actor.role
        item.reject_reason = reason
        return pledge_out(self.store.decide_pledge(item, actor, "pledge.reject"))

    def pledges(self, principal: Principal, code: str, *, year: int, limit: int, cursor: str | None) -> PledgePage:
        unit = self.grid.visible_unit(principal, code)
        items, last = self.store.pledges_below(unit.root, unit.path, year, limit=limit, after=decode_cursor(cursor))
        return PledgePage(items=[pledge_out(i) for i in items], next_cursor=encode_cursor(last))

    # -- 亮作风: duty posts and covered households ---------------------------------------------------
    def set_posts(
        self, principal: Principal, actor: Actor, member_id: str, data: PostsIn, if_match: int | None
    ) -> ShowingsOut:
        member = _current(self.members.visible(principal, member_id))
        posts = list(dict.fromkeys(data.posts))
        unknown = [p for p in posts if p not in self.catalogue.codes("duty_post")]
        if unknown:
            raise field_error(
                "body.posts", f"未知岗位：{'、'.join(unknown)}", f"Unknown duty posts: {', '.join(unknown)}"
            )
        current = self.store.member_showing(member.id)
        check_version(if_match, current.version if current is not None else 0)
        seen = None if current is None else int(current.version)
        before = list(current.posts) if current is not None else []
        self.store.set_posts(member, posts, seen, actor, before)
        return self._showings(member)

    def cover(self, principal: Principal, actor: Actor, member_id: str, data: CoverageIn) -> ShowingsOut:
        member = _current(self.members.visible(principal, member_id))
        household = self.grid.store.household(data.household)
        if household is None or not principal.sees_unit(household.unit_path):
            raise field_error(
                "body.household", "住户不存在或不在您的管辖范围内", "Household not found or outside your scope"
            )
        group = member.unit_path.rsplit("/", 1)[0]
        if not path_within(household.unit_path, group):
            raise field_error(
                "body.household",
                "只能联系本邻或同组相邻各邻的住户",
                "A member covers households of their own neighbourhood or its neighbours in the group",
            )
        current = self.store.member_showing(member.id)
        if current is not None and household.id in (current.households or set()):
            raise Conflict("该党员已联系此户", "The member already covers this household")
        self._check_room(current)
        try:
            self.store.cover(member, household.id, actor, COVERAGE[1])
        except Conflict:
            self._check_room(self.store.member_showing(member.id))
            raise
        return self._showings(member)

    @staticmethod
    def _check_room(current: MemberShowingModel | None) -> None:
        if current is not None and int(current.covered or 0) >= COVERAGE[1]:
            raise field_error(
                "body.household",
                f"每名党员联系 {COVERAGE[0]}–{COVERAGE[1]} 户，已满 {COVERAGE[1]} 户",
                f"A member covers {COVERAGE[0]}-{COVERAGE[1]} households; this one already covers {COVERAGE[1]}",
            )

    def uncover(self, principal: Principal, actor: Actor, member_id: str, household_id: str) -> None:
        member = self.members.visible(principal, member_id)
        current = self.store.member_showing(member.id)
        if current is None or household_id not in (current.households or set()):
            raise not_found("联户记录", "Coverage")
        self.store.uncover(member, household_id, actor)

    # -- reads ---------------------------------------------------------------------------------------
    def showings(self, principal: Principal, member_id: str) -> ShowingsOut:
        return self._showings(self.members.visible(principal, member_id))

    def _showings(self, member: MemberModel) -> ShowingsOut:
        plaque = self.store.plaque(member.household_id) if member.household_id else None
        sticker = self.store.sticker(member.id)
        current = self.store.member_showing(member.id)
        names = post_names()
        posts = list(current.posts) if current is not None else []
        covered = sorted(current.households or set()) if current is not None else []
        households = {h.id: h for h in HouseholdModel.batch_get(covered)} if covered else {}
        return ShowingsOut(
            member=member.id,
            member_name=member.name,
            status=member.status,
            unit=member.unit_code,
            plaque=plaque_out(plaque) if plaque is not None else None,
            sticker=sticker_out(sticker) if sticker is not None else None,
            pledges=[pledge_out(p) for p in self.store.pledges_of(member.id)],
            posts=post_list(posts, names),
            households=[
                CoveredHousehold(id=h.id, address=h.address, head_name=h.head_name, unit=h.unit_code)
                for hid in covered
                if (h := households.get(hid)) is not None
            ],
            version=int(current.version) if current is not None else 0,
        )

    def covering(self, principal: Principal, household_id: str) -> CoveringOut:
        household = self.grid.visible_household(principal, household_id)
        return CoveringOut(household=household.id, members=self.store.covering_of(household.id))


def default_service() -> ShowingService:
    grid = grid_service()
    return ShowingService(
        store=ShowingStore(audit=AuditStore()), members=member_service(), grid=grid, catalogue=grid.catalogue
    )
