"""Grid rules: levels, scope, moves, neighbourhood sizes, one current head per unit, masking."""

from __future__ import annotations

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.auth import Principal, path_within
from chalicelib.core.catalogue import CatalogueStore
from chalicelib.core.errors import Conflict, FieldError, Forbidden, check_version, field_error, not_found
from chalicelib.core.ids import new_id
from chalicelib.core.paging import decode_cursor, encode_cursor
from chalicelib.core.privacy import mask_phone
from chalicelib.core.profiles import ProfileModel, ProfileStore
from chalicelib.grid import search_terms
from chalicelib.grid.repath import Move, repath_all
from chalicelib.grid.schemas import (
    APPOINTED_ROLE_OF_LEVEL,
    HEAD_LABELS,
    LEVEL_LABELS,
    LEVELS,
    LIAISON_ROLE,
    NEIGHBOURHOOD_SIZE,
    AppointmentIn,
    AppointmentOut,
    AppointmentPage,
    CountsOut,
    HeadOut,
    HeadsOut,
    HouseholdIn,
    HouseholdOut,
    HouseholdPage,
    MapCell,
    MapOut,
    Notice,
    SearchHit,
    SearchOut,
    UnitCreate,
    UnitOut,
    UnitPage,
    UnitUpdate,
)
from chalicelib.grid.store import (
    AppointmentModel,
    GridStore,
    HouseholdModel,
    UnitModel,
    household_state,
    unit_state,
)


def unit_out(item: UnitModel, *, reveal: bool = False) -> UnitOut:
    head = item.head_info
    return UnitOut(
        code=item.code,
        segment=item.segment,
        name=item.name,
        level=item.level,
        level_label=LEVEL_LABELS[item.level],
        parent=item.parent,
        path=item.path,
        counts=CountsOut(
            households=int(item.households),
            residents=int(item.residents),
            members=int(item.members),
            heads=int(item.heads),
            children=int(item.children),
            tags=item.tags,
        ),
        head=None
        if head is None
        else HeadOut(
            appointment_id=head["appointment_id"],
            role=head["role"],
            role_label=HEAD_LABELS[head["role"]],
            person_name=head["person_name"],
            phone=head["phone"] if reveal else mask_phone(head["phone"]),
            is_member=bool(head["is_member"]),
            since=head["since"],
        ),
        version=int(item.version or 0),
    )


def household_out(item: HouseholdModel, warnings: list[Notice] | None = None) -> HouseholdOut:
    return HouseholdOut(
        id=item.id,
        unit=item.unit_code,
        unit_path=item.unit_path,
        address=item.address,
        head_name=item.head_name,
        residents=int(item.residents),
        phone=mask_phone(item.phone),
        tags=list(item.tags),
        note=item.note,
        version=int(item.version or 0),
        warnings=warnings or [],
    )


def appointment_out(item: AppointmentModel) -> AppointmentOut:
    return AppointmentOut(
        id=item.id,
        unit=item.unit_code,
        role=item.role,
        role_label=HEAD_LABELS[item.role],
        person_name=item.person_name,
        phone=mask_phone(item.phone),
        is_member=bool(item.is_member),
        member_id=item.member_id,
        start=item.start,
        end=item.end,
        account=item.account_sub,
        version=int(item.version or 0),
    )


class GridService:
    def __init__(self, *, store: GridStore, catalogue: CatalogueStore, profiles: ProfileStore) -> None:
        self.store = store
        self.catalogue = catalogue
        self.profiles = profiles

    # -- units ------------------------------------------------------------------------------------
    def visible_unit(self, principal: Principal, code: str) -> UnitModel:
        """The unit, if it lies in the caller's scope; otherwise 404 (never says whether it exists)."""
        item = self.store.unit(code)
        if item is None or not principal.sees_unit(item.path):
            raise not_found("网格单元", "Unit")
        return item

    def get(self, principal: Principal, code: str) -> UnitOut:
        return unit_out(self.visible_unit(principal, code))

    def children(self, principal: Principal, code: str, *, limit: int, cursor: str | None) -> UnitPage:
        self.visible_unit(principal, code)
        items, last = self.store.children(code, limit=limit, after=decode_cursor(cursor))
        return UnitPage(items=[unit_out(i) for i in items], next_cursor=encode_cursor(last))

    def tree(self, principal: Principal, code: str, *, depth: int, limit: int, cursor: str | None) -> UnitPage:
        unit = self.visible_unit(principal, code)
        items, last = self.store.subtree(
            unit.root, unit.path, limit=limit, after=decode_cursor(cursor), max_depth=int(unit.depth) + depth
        )
        return UnitPage(items=[unit_out(i) for i in items], next_cursor=encode_cursor(last))

    def search(self, principal: Principal, q: str, *, limit: int) -> SearchOut:
        if principal.unit_scope is None:
            return SearchOut(items=[])
        term = search_terms.normalise(q)
        hits = self.store.search(term, principal.unit_scope, limit=limit) if term else []
        return SearchOut(items=[SearchHit(code=h.unit_code, name=h.name, level=h.level, path=h.path) for h in hits])

    def create_unit(self, principal: Principal, actor: Actor, data: UnitCreate) -> UnitOut:
        parent = self.visible_unit(principal, data.parent)
        if parent.level == LEVELS[-1]:
            raise field_error("body.parent", "邻是最小网格单元，不能再分", "A neighbourhood has no child units")
        level = LEVELS[LEVELS.index(parent.level) + 1]
        item = UnitModel(
            f"{parent.code}-{data.segment}",
            segment=data.segment,
            name=data.name,
            level=level,
            parent=parent.code,
            ancestors=parent.chain,
            root=parent.root,
            path=f"{parent.path}/{data.segment}",
            depth=int(parent.depth) + 1,
            initials=search_terms.initials(data.name),
            tag_counts={},
        )
        try:
            return unit_out(self.store.create_unit(item, actor, search_terms.terms(data.name)))
        except Conflict as e:
            raise Conflict(
                "该编码在上级单元下已存在，或上级单元刚被移动",
                "A unit with this code exists under the parent, or the parent was just moved",
                [FieldError("body.segment", "编码重复 / duplicate code")],
            ) from e

    def update_unit(
        self, principal: Principal, actor: Actor, code: str, data: UnitUpdate, if_match: int | None
    ) -> UnitOut:
        item = self.visible_unit(principal, code)
        check_version(if_match, item.version)
        before, old_terms = unit_state(item), search_terms.terms(item.name)
        item.name = data.name
        item.initials = search_terms.initials(data.name)
        return unit_out(self.store.update_unit(item, before, actor, old_terms, search_terms.terms(data.name)))

    def delete_unit(self, principal: Principal, actor: Actor, code: str, if_match: int | None) -> None:
        item = self.visible_unit(principal, code)
        check_version(if_match, item.version)
        if item.parent is None or item.path == principal.scope:
            raise field_error("path.code", "不能删除自己管辖的根单元", "You cannot delete the root of your own scope")
        if int(item.children) or int(item.households) or item.head is not None:
            raise Conflict(
                "单元下还有下级单元、住户或在任三长，不能删除",
                "The unit still has child units, households or a current head",
            )
        try:
            self.store.delete_unit(item, actor, search_terms.terms(item.name))
        except Conflict as e:
            raise Conflict("单元刚被修改，请刷新后重试", "The unit changed meanwhile; reload and retry") from e

    def move_unit(
        self, principal: Principal, actor: Actor, code: str, new_parent_code: str, if_match: int | None
    ) -> UnitOut:
        item = self.visible_unit(principal, code)
        check_version(if_match, item.version)
        if item.moving_from is not None:  # an earlier move stopped half-way: finish it first
            self._finish_move(item, item.moving_from, item.root, actor)
            item = self.visible_unit(principal, code)
        if item.parent is None or item.path == principal.scope:
            raise field_error("path.code", "不能移动自己管辖的根单元", "You cannot move the root of your own scope")
        new_parent = self.visible_unit(principal, new_parent_code)
        if path_within(new_parent.path, item.path):
            raise field_error("body.parent", "不能移到自己的下级单元之下", "A unit cannot move below itself")
        if LEVELS.index(new_parent.level) != LEVELS.index(item.level) - 1:
            raise field_error(
                "body.parent",
                f"{LEVEL_LABELS[item.level]}只能挂在{LEVEL_LABELS[LEVELS[LEVELS.index(item.level) - 1]]}之下",
                "The new parent must be one level above the unit",
            )
        if new_parent.code == item.parent:
            return unit_out(item)
        old_parent = self.store.unit(item.parent)
        if old_parent is None:
            raise Conflict("原上级单元不存在", "The current parent no longer exists")
        old_root, old_path = item.root, item.path
        moved = self.store.move_unit(item, old_parent, new_parent, actor)
        self._finish_move(moved, old_path, old_root, actor)
        return unit_out(moved)

    def _finish_move(self, item: UnitModel, old_path: str, old_root: str, actor: Actor) -> None:
        """Re-path everything below a moved unit; safe to run again after a crash (it is idempotent): the
        units, their search terms, the accounts, then the records of every slice that registered its tables
        (grid.repath: households here, members, community, mediation, showings, deliberation, whistle,
        scoring)."""
        from chalicelib.slices import import_models  # noqa: PLC0415 - every slice registers its tables

        import_models()
        moved = self.store.repath_units(item, old_root, old_path)
        units = [(item, old_path), *moved]
        self.store.repath_terms(units, {u.code: search_terms.terms(u.name) for u, _ in units})
        self.profiles.repath(old_root, old_path, item.root, item.path)
        chain = self.store.units(item.chain)
        steps = tuple((c, chain[c].level, chain[c].path) for c in item.chain if c in chain)
        repath_all(Move(actor, old_root, old_path, item.root, item.path, steps), self.store.audit)
        self.store.finish_move(item)

    # -- heads and the map ------------------------------------------------------------------------
    def heads(self, principal: Principal, actor: Actor, code: str, *, purpose: str | None) -> HeadsOut:
        unit = self.visible_unit(principal, code)
        chain = self.store.units(unit.chain)
        levels = [
            chain[c] for c in unit.chain if c in chain and LEVELS.index(chain[c].level) >= LEVELS.index("village")
        ]
        reveal = purpose is not None
        if reveal:
            self.store.audit_read(actor, "unit.heads_unmask", ("unit", unit.code), unit.path, purpose or "")
        return HeadsOut(unit=unit.code, chain=[unit_out(u, reveal=reveal) for u in levels])

    def map(self, principal: Principal, code: str) -> MapOut:
        unit = self.visible_unit(principal, code)
        items, _ = self.store.children(code, limit=500, after=None)
        tags = {e.code: e.name_zh for e in self.catalogue.recent_entries("household_tag")}
        cells = [
            MapCell(
                code=c.code,
                name=c.name,
                level=c.level,
                households=int(c.households),
                residents=int(c.residents),
                tags=c.tags,
            )
            for c in items
        ]
        return MapOut(unit=unit.code, tags=tags, cells=cells)

    # -- households -------------------------------------------------------------------------------
    def _neighbourhood(self, principal: Principal, code: str, field: str) -> UnitModel:
        unit = self.store.unit(code)
        if unit is None or not principal.sees_unit(unit.path):
            raise field_error(
                field, "所在邻不存在或不在您的管辖范围内", "Neighbourhood not found or outside your scope"
            )
        if unit.level != "neighbourhood":
            raise field_error(field, "住户须登记在邻之下", "A household belongs to a neighbourhood")
        return unit

    def _check_tags(self, tags: list[str]) -> None:
        unknown = sorted(set(tags) - self.catalogue.codes("household_tag"))
        if unknown:
            raise field_error("body.tags", f"未知标签：{'、'.join(unknown)}", f"Unknown tags: {', '.join(unknown)}")

    def visible_household(self, principal: Principal, household_id: str) -> HouseholdModel:
        item = self.store.household(household_id)
        if item is None or not principal.sees_unit(item.unit_path):
            raise not_found("住户", "Household")
        return item

    @staticmethod
    def _size_warning(count: int) -> list[Notice]:
        low, high = NEIGHBOURHOOD_SIZE
        if low <= count <= high:
            return []
        return [
            Notice(
                code="neighbourhood_size",
                message=f"本邻现有 {count} 户，通常为 {low}–{high} 户",
                message_en=f"This neighbourhood now has {count} households; usually {low}-{high}",
            )
        ]

    def create_household(self, principal: Principal, actor: Actor, data: HouseholdIn) -> HouseholdOut:
        unit = self._neighbourhood(principal, data.unit, "body.unit")
        self._check_tags(data.tags)
        chain = self.store.units(unit.chain)
        item = HouseholdModel(
            new_id(),
            unit_code=unit.code,
            unit_path=unit.path,
            root=unit.root,
            address=data.address,
            head_name=data.head_name,
            residents=data.residents,
            phone=data.phone,
            tags=sorted(set(data.tags)),
            note=data.note,
        )
        item.path_key = f"{unit.path}/#{item.id}"
        delta = {"households": 1, "residents": data.residents}
        tags = dict.fromkeys(item.tags, 1)
        self.store.save_household(
            item, actor, before=None, create=True, changes=[(chain[c], delta, tags) for c in unit.chain]
        )
        return household_out(item, self._size_warning(int(unit.households) + 1))

    def get_household(self, principal: Principal, household_id: str) -> HouseholdOut:
        return household_out(self.visible_household(principal, household_id))

    def households(self, principal: Principal, code: str, *, limit: int, cursor: str | None) -> HouseholdPage:
        unit = self.visible_unit(principal, code)
        items, last = self.store.households_below(unit.root, unit.path, limit=limit, after=decode_cursor(cursor))
        return HouseholdPage(items=[household_out(i) for i in items], next_cursor=encode_cursor(last))

    def update_household(
        self, principal: Principal, actor: Actor, household_id: str, data: HouseholdIn, if_match: int | None
    ) -> HouseholdOut:
        item = self.visible_household(principal, household_id)
        check_version(if_match, item.version)
        self._check_tags(data.tags)
        new_unit = self._neighbourhood(principal, data.unit, "body.unit")
        if new_unit.code != item.unit_code and int(item.members or 0):
            raise Conflict(
                "该户有登记的党员，请先办理党员转移再迁户",
                "Party members are registered in this household; transfer them first",
                [FieldError("body.unit", "该户有党员 / the household has members")],
            )
        old_unit = self.store.unit(item.unit_code)
        before = household_state(item)
        old_tags, new_tags = set(item.tags), set(data.tags)
        old_chain = old_unit.chain if old_unit else []
        units = self.store.units([*old_chain, *new_unit.chain])
        changes: dict[str, tuple[dict[str, int], dict[str, int]]] = {}
        for code in old_chain:
            changes[code] = ({"households": -1, "residents": -int(item.residents)}, dict.fromkeys(old_tags, -1))
        for code in new_unit.chain:
            delta, tags = changes.get(code, ({"households": 0, "residents": 0}, {}))
            merged_tags = dict(tags)
            for t in new_tags:
                merged_tags[t] = merged_tags.get(t, 0) + 1
            changes[code] = (
                {"households": delta["households"] + 1, "residents": delta["residents"] + data.residents},
                merged_tags,
            )
        item.unit_code, item.unit_path, item.root = new_unit.code, new_unit.path, new_unit.root
        item.path_key = f"{new_unit.path}/#{item.id}"
        item.address, item.head_name, item.residents = data.address, data.head_name, data.residents
        item.phone, item.tags, item.note = data.phone, sorted(new_tags), data.note
        self.store.save_household(
            item,
            actor,
            before=before,
            create=False,
            changes=[(units[c], d, t) for c, (d, t) in changes.items() if c in units],
        )
        count = int(new_unit.households) + (0 if old_unit and old_unit.code == new_unit.code else 1)
        return household_out(item, self._size_warning(count))

    def delete_household(self, principal: Principal, actor: Actor, household_id: str, if_match: int | None) -> None:
        item = self.visible_household(principal, household_id)
        check_version(if_match, item.version)
        if int(item.members or 0):
            raise Conflict("该户有登记的党员，请先办理党员转移或离开", "Party members are registered in this household")
        unit = self.store.unit(item.unit_code)
        chain = self.store.units(unit.chain) if unit else {}
        delta = {"households": -1, "residents": -int(item.residents)}
        self.store.delete_household(item, actor, [(u, delta, dict.fromkeys(item.tags, -1)) for u in chain.values()])

    def unmask_household_phone(
        self, principal: Principal, actor: Actor, household_id: str, purpose: str
    ) -> dict[str, str | None]:
        item = self.visible_household(principal, household_id)
        self.store.audit_read(actor, "household.unmask_phone", ("household", item.id), item.unit_path, purpose)
        return {"phone": item.phone, "purpose": purpose}

    # -- appointments -----------------------------------------------------------------------------
    def appoint(self, principal: Principal, actor: Actor, code: str, data: AppointmentIn) -> AppointmentOut:
        unit = self.visible_unit(principal, code)
        role = APPOINTED_ROLE_OF_LEVEL.get(unit.level)
        if role is None:
            raise field_error(
                "path.code",
                "三长只设在片、组、邻，联点干部设在村",
                "Heads are appointed to an area, group or neighbourhood; a liaison cadre to a village",
            )
        if role == LIAISON_ROLE and principal.role not in {"town_cadre", "city_admin"}:
            raise Forbidden("联点干部由镇（街道）指派", "A village's liaison cadre is assigned by the town")
        if role == LIAISON_ROLE and data.create_account:
            raise field_error(
                "body.create_account",
                "联点干部使用本人镇干部账号登录",
                "A liaison cadre signs in with their own town account",
            )
        if unit.head is not None:
            raise Conflict(
                f"该单元已有在任{HEAD_LABELS[role]}，请先办理离任",
                "The unit already has a current head; end that appointment first",
            )
        appointment_id = new_id()
        profile = None
        if data.create_account:
            if not data.username:
                raise field_error("body.username", "开通账号须填写用户名", "A username is needed to create the account")
            if self.profiles.sub_for_username(data.username) is not None:
                raise Conflict("用户名已被使用", "Username taken", [FieldError("body.username", "已被使用 / taken")])
            profile = ProfileModel(
                f"appointment:{appointment_id}",
                username=data.username,
                display_name=f"{data.person_name}（{unit.name}{HEAD_LABELS[role]}）",
                role=role,
                scope_kind="unit",
                scope=unit.path,
                scope_root=unit.root,
            )
        item = AppointmentModel(
            unit.code,
            f"{data.start.isoformat()}#{appointment_id}",
            id=appointment_id,
            role=role,
            person_name=data.person_name,
            phone=data.phone,
            is_member=data.is_member,
            member_id=data.member_id,
            start=data.start.isoformat(),
            account_sub=profile.sub if profile else None,
        )
        head = {
            "appointment_id": appointment_id,
            "role": role,
            "person_name": data.person_name,
            "phone": data.phone,
            "is_member": data.is_member,
            "since": data.start.isoformat(),
        }
        try:
            self.store.appoint(item, unit, head, actor, profile=profile)
        except Conflict as e:
            raise Conflict(
                "该单元刚刚已有人任职，请刷新后查看", "Someone was appointed to this unit meanwhile; reload"
            ) from e
        return appointment_out(item)

    def end_appointment(
        self, principal: Principal, actor: Actor, code: str, appointment_id: str, end: str
    ) -> AppointmentOut:
        unit = self.visible_unit(principal, code)
        item = self.store.appointment(code, appointment_id)
        if item is None:
            raise not_found("任职记录", "Appointment")
        if item.end is not None:
            raise Conflict("该任职已结束", "This appointment has already ended")
        if end < item.start:
            raise field_error("body.end", "离任日期不能早于任职日期", "The end date is before the start date")
        item.end = end
        try:
            return appointment_out(self.store.end_appointment(item, unit, actor, profile_sub=item.account_sub))
        except Conflict as e:
            raise Conflict("任职记录刚被修改，请刷新后重试", "The appointment changed meanwhile; reload") from e

    def appointments(
        self, principal: Principal, code: str, *, at: str | None, limit: int, cursor: str | None
    ) -> AppointmentPage:
        self.visible_unit(principal, code)
        if at is not None:
            found = [
                a
                for a in self.store.appointments(code, limit=500, after=None)[0]
                if a.start <= at and (a.end is None or a.end >= at)
            ]
            return AppointmentPage(items=[appointment_out(a) for a in found], next_cursor=None)
        items, last = self.store.appointments(code, limit=limit, after=decode_cursor(cursor))
        return AppointmentPage(items=[appointment_out(a) for a in items], next_cursor=encode_cursor(last))


def default_service() -> GridService:
    return GridService(store=GridStore(audit=AuditStore()), catalogue=CatalogueStore(), profiles=ProfileStore())
