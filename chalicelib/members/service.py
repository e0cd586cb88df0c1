"""Members rules: scope, one record per person, counters along the home household's chain, status
history, masked answers and audited unmasking."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.auth import Principal
from chalicelib.core.errors import Conflict, FieldError, check_version, field_error, not_found
from chalicelib.core.ids import new_id
from chalicelib.core.paging import decode_cursor, encode_cursor
from chalicelib.core.privacy import mask_id_number, mask_phone
from chalicelib.grid.schemas import LEVELS
from chalicelib.grid.service import GridService
from chalicelib.grid.service import default_service as grid_service
from chalicelib.grid.store import HouseholdModel
from chalicelib.members import idcard
from chalicelib.members.schemas import (
    STATUS_LABELS,
    HistoryOut,
    MemberIn,
    MemberOut,
    MemberPage,
    MemberUpdate,
    StatusChange,
    UnmaskedOut,
)
from chalicelib.members.store import MemberModel, MemberStore, id_hash, member_state, seal, unseal


def member_out(item: MemberModel) -> MemberOut:
    history = [dict(h) for h in item.history]
    return MemberOut(
        id=item.id,
        name=item.name,
        gender=item.gender,
        birth_date=item.birth_date,
        id_number=item.id_masked,
        phone=mask_phone(item.phone),
        branch=item.branch,
        status=item.status,
        status_label=STATUS_LABELS[item.status],
        join_date=item.join_date,
        probation_end=item.probation_end,
        household=item.household_id,
        unit=item.unit_code,
        unit_path=item.unit_path,
        in_service=bool(item.in_service),
        workplace=item.workplace,
        workplace_branch=item.workplace_branch,
        history=[
            HistoryOut(
                at=str(h["at"]),
                kind=str(h["kind"]),
                from_=h.get("from"),
                to=h.get("to"),
                by_role=str(h["by_role"]),
                note=h.get("note"),
            )
            for h in history
        ],
        version=int(item.version or 0),
    )


def _one_year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


# member ids -> the duty posts each holds (the showings slice keeps them)
PostsOf = Callable[[list[str]], dict[str, list[str]]]


class MemberService:
    def __init__(self, *, store: MemberStore, grid: GridService, posts_of: PostsOf | None = None) -> None:
        self.store = store
        self.grid = grid
        self.posts_of = posts_of

    def visible(self, principal: Principal, member_id: str) -> MemberModel:
        item = self.store.member(member_id)
        if item is None or not principal.sees_unit(item.unit_path):
            raise not_found("党员", "Member")
        return item

    def _household(self, principal: Principal, household_id: str, field: str) -> HouseholdModel:
        household = self.grid.store.household(household_id)
        if household is None or not principal.sees_unit(household.unit_path):
            raise field_error(field, "住户不存在或不在您的管辖范围内", "Household not found or outside your scope")
        return household

    def _chain(self, household: HouseholdModel) -> list[str]:
        unit = self.grid.store.unit(household.unit_code)
        if unit is None or unit.path != household.unit_path:
            raise Conflict("住户所在网格刚被调整，请刷新后重试", "The household's unit just moved; reload and retry")
        return unit.chain

    def create(self, principal: Principal, actor: Actor, data: MemberIn) -> MemberOut:
        card = idcard.parse(data.id_number)
        if data.birth_date is not None and data.birth_date != card.birth_date:
            raise field_error(
                "body.birth_date", "出生日期与身份证号码不一致", "The birth date does not match the ID number"
            )
        if data.gender != card.gender:
            raise field_error("body.gender", "性别与身份证号码不一致", "The gender does not match the ID number")
        household = self._household(principal, data.household, "body.household")
        chain = self._chain(household)
        probation_end = data.probation_end
        if data.status == "probationary" and probation_end is None:
            probation_end = _one_year_later(data.join_date)
        item = MemberModel(
            new_id(),
            name=data.name,
            gender=data.gender,
            birth_date=card.birth_date.isoformat(),
            id_hash=id_hash(card.number),
            id_sealed=seal(card.number),
            id_masked=mask_id_number(card.number),
            phone=data.phone,
            branch=data.branch,
            status=data.status,
            join_date=data.join_date.isoformat(),
            probation_end=probation_end.isoformat() if probation_end else None,
            household_id=household.id,
            unit_code=household.unit_code,
            unit_path=household.unit_path,
            root=household.root,
            in_service=data.in_service,
            workplace=data.workplace,
            workplace_branch=data.workplace_branch,
            history=[],
        )
        item.path_key = f"{item.unit_path}/#{item.id}"
        try:
            self.store.create(item, actor, dict.fromkeys(chain, 1), (household.id, household.unit_path, 1))
        except Conflict as e:
            holder = self.store.holder_of(item.id_hash)
            if holder is None:
                raise
            raise self._duplicate(principal, holder) from e
        return member_out(item)

    def _duplicate(self, principal: Principal, holder: MemberModel) -> Conflict:
        fields = [FieldError("body.id_number", "该身份证号码已登记 / already registered")]
        if principal.sees_unit(holder.unit_path):
            unit = self.grid.store.unit(holder.unit_code)
            name = holder.unit_code
            if unit is not None:  # from the village down: 鹊山村第一片第一组第一邻
                chain = self.grid.store.units(unit.chain)
                village = LEVELS.index("village")
                name = "".join(u.name for c in unit.chain if (u := chain.get(c)) and LEVELS.index(u.level) >= village)
            return Conflict(
                f"该党员已在{name}登记（记录 {holder.id}）",
                f"This member is already registered in {name} (record {holder.id})",
                fields,
            )
        return Conflict("该党员已在其他单位登记", "This member is registered in another unit", fields)

    def get(self, principal: Principal, member_id: str) -> MemberOut:
        return member_out(self.visible(principal, member_id))

    def update(
        self, principal: Principal, actor: Actor, member_id: str, data: MemberUpdate, if_match: int | None
    ) -> MemberOut:
        item = self.visible(principal, member_id)
        check_version(if_match, item.version)
        before = member_state(item)
        for name in data.model_fields_set:
            value = getattr(data, name)
            if name in ("name", "branch", "phone", "in_service") and value is None:
                raise field_error(f"body.{name}", "不能清空", "Cannot be cleared")
            setattr(item, name, value)
        return member_out(self.store.save(item, actor, "member.update", before))

    def change_status(self, principal: Principal, actor: Actor, member_id: str, data: StatusChange) -> MemberOut:
        item = self.visible(principal, member_id)
        if item.status == "left":
            raise Conflict("该党员已离开，不能再变更", "The member has left; no further changes")
        before = member_state(item)
        entry: dict[str, Any] = {
            "at": data.date.isoformat(),
            "kind": data.change,
            "by_role": actor.role,
            "note": data.note,
            "recorded": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        units: dict[str, int] = {}
        households: list[tuple[str, str, int]] = []
        if data.change == "full":
            if item.status != "probationary":
                raise field_error("body.change", "只有预备党员可以转正", "Only a probationary member becomes full")
            entry |= {"from": "probationary", "to": "full"}
            item.status = "full"
        else:
            old = self.grid.store.household(item.household_id or "")
            old_chain = self._chain(old) if old is not None else []
            for code in old_chain:
                units[code] = units.get(code, 0) - 1
            if old is not None:
                households.append((old.id, old.unit_path, -1))
            if data.change == "transfer":
                if not data.household:
                    raise field_error("body.household", "转移须指明目标户", "A transfer needs the target household")
                new = self._household(principal, data.household, "body.household")
                if old is not None and new.id == old.id:
                    raise field_error("body.household", "目标户与现住户相同", "Same household as now")
                for code in self._chain(new):
                    units[code] = units.get(code, 0) + 1
                households.append((new.id, new.unit_path, 1))
                entry |= {"from": item.household_id, "to": new.id}
                item.household_id, item.unit_code, item.unit_path = new.id, new.unit_code, new.unit_path
                item.root, item.path_key = new.root, f"{new.unit_path}/#{item.id}"
            else:
                entry |= {"from": item.status, "to": "left"}
                item.status, item.household_id = "left", None
        item.history = [*item.history, entry]
        saved = self.store.save(item, actor, f"member.{data.change}", before, units=units, households=households)
        return member_out(saved)

    def unmask(self, principal: Principal, actor: Actor, member_id: str, field: str, purpose: str) -> UnmaskedOut:
        item = self.visible(principal, member_id)
        self.grid.store.audit_read(actor, f"member.unmask_{field}", ("member", item.id), item.unit_path, purpose)
        value = unseal(item.id_sealed) if field == "id_number" else item.phone
        return UnmaskedOut(field=field, value=value, purpose=purpose)

    def list_below(
        self,
        principal: Principal,
        code: str,
        *,
        status: str | None,
        in_service: bool | None,
        limit: int,
        cursor: str | None,
        post: str | None = None,
    ) -> MemberPage:
        """A page of the subtree's members; filters apply to the page read (a page may come back short:
        follow `next_cursor`). `post` keeps the members holding that duty post (one batch read)."""
        unit = self.grid.visible_unit(principal, code)
        items, last = self.store.below(
            unit.root, unit.path, status=status, in_service=in_service, limit=limit, after=decode_cursor(cursor)
        )
        if post is not None and self.posts_of is not None:
            held = self.posts_of([i.id for i in items])
            items = [i for i in items if post in held.get(i.id, [])]
        return MemberPage(items=[member_out(i) for i in items], next_cursor=encode_cursor(last))


def posts_of(member_ids: list[str]) -> dict[str, list[str]]:
    from chalicelib.showings.store import ShowingStore  # noqa: PLC0415 - only the post filter needs it

    return {k: list(v.posts) for k, v in ShowingStore(audit=AuditStore()).member_showings(member_ids).items()}


def default_service() -> MemberService:
    return MemberService(store=MemberStore(audit=AuditStore()), grid=grid_service(), posts_of=posts_of)
