"""Members' tables, the sealing of ID numbers, and every write with its counters and audit event.

An ID number is never stored in clear: `id_hash` (HMAC-SHA256 under a key derived from DATA_KEY) makes one
person one record, through an identity item keyed by that hash and written in the member's transaction;
`id_sealed` (AES-GCM) is what an audited unmask opens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.audit import Actor, AuditStore
from chalicelib.core.db import BaseMeta, register_model, transaction
from chalicelib.core.settings import get_data_key
from chalicelib.grid.repath import PathTable, register_path_tables
from chalicelib.grid.store import UnitSystemModel, counter_actions


# -- sealing -------------------------------------------------------------------------------------------
def _subkey(purpose: bytes) -> bytes:
    return hmac.new(get_data_key(), purpose, hashlib.sha256).digest()


def id_hash(number: str) -> str:
    """The keyed hash of a normalised ID number: equal numbers, equal hashes; unguessable without the key."""
    return hmac.new(_subkey(b"member-id-hash"), number.encode(), hashlib.sha256).hexdigest()


def seal(number: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415 - only writers pay for it

    nonce = os.urandom(12)
    return base64.b64encode(nonce + AESGCM(_subkey(b"member-id-seal")).encrypt(nonce, number.encode(), b"id")).decode()


def unseal(sealed: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415 - see seal

    raw = base64.b64decode(sealed)
    return AESGCM(_subkey(b"member-id-seal")).decrypt(raw[:12], raw[12:], b"id").decode()


# -- models --------------------------------------------------------------------------------------------
class MemberPathIndex(GlobalSecondaryIndex["MemberModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_path"
        projection = AllProjection()

    root = UnicodeAttribute(hash_key=True)
    path_key = UnicodeAttribute(range_key=True)


@register_model
class MemberModel(Model):
    class Meta(BaseMeta):
        table_suffix = "members"

    id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    gender = UnicodeAttribute()
    birth_date = UnicodeAttribute()
    id_hash = UnicodeAttribute()
    id_sealed = UnicodeAttribute()
    id_masked = UnicodeAttribute()  # first 6 and last 4: what every response shows
    phone = UnicodeAttribute()
    branch = UnicodeAttribute()
    status = UnicodeAttribute()  # probationary, full, left
    join_date = UnicodeAttribute()
    probation_end = UnicodeAttribute(null=True)
    household_id = UnicodeAttribute(null=True)  # none once the member has left
    unit_code = UnicodeAttribute()
    unit_path = UnicodeAttribute()
    root = UnicodeAttribute()
    path_key = UnicodeAttribute()  # "<unit path>/#<id>"
    in_service = BooleanAttribute(default=False)
    workplace = UnicodeAttribute(null=True)
    workplace_branch = UnicodeAttribute(null=True)
    history = ListAttribute[dict[str, Any]](default=list)  # {at, kind, from, to, by_role, note, recorded}
    version = VersionAttribute()
    by_path = MemberPathIndex()


# a unit move re-paths the members below it (grid.repath)
register_path_tables(PathTable(MemberModel, "member"))


@register_model
class MemberIdentityModel(Model):
    """One item per person (keyed by the ID number's keyed hash): a second registration fails its condition."""

    class Meta(BaseMeta):
        table_suffix = "member-ids"

    id_hash = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute()


class HouseholdMembersModel(Model):
    """The households table without its edit version: the members counter never makes an If-Match stale."""

    class Meta(BaseMeta):
        table_suffix = "households"

    id = UnicodeAttribute(hash_key=True)
    unit_path = UnicodeAttribute()
    members = NumberAttribute()


def member_state(item: MemberModel) -> dict[str, Any]:
    """What an audit event hashes: no ID number, not even sealed (its keyed hash stands for it)."""
    keys = ("id", "name", "gender", "birth_date", "id_hash", "phone", "branch", "status", "join_date")
    state = {k: getattr(item, k) for k in keys}
    state |= {"household": item.household_id, "unit": item.unit_code, "in_service": bool(item.in_service)}
    state |= {"workplace": item.workplace, "workplace_branch": item.workplace_branch}
    return state


# (unit codes, +1 or -1) and (household id, its unit path, +1 or -1)
UnitDeltas = dict[str, int]
HouseholdDelta = tuple[str, str, int]


class MemberStore:
    def __init__(self, *, audit: AuditStore) -> None:
        self.audit = audit

    def member(self, member_id: str) -> MemberModel | None:
        try:
            return MemberModel.get(member_id)
        except MemberModel.DoesNotExist:
            return None

    def holder_of(self, hashed: str) -> MemberModel | None:
        try:
            identity = MemberIdentityModel.get(hashed)
        except MemberIdentityModel.DoesNotExist:
            return None
        return self.member(identity.member_id)

    def below(
        self,
        root: str,
        path: str,
        *,
        status: str | None,
        in_service: bool | None,
        limit: int,
        after: dict[str, Any] | None,
    ) -> tuple[list[MemberModel], Any]:
        condition = None
        if status is not None:
            condition = MemberModel.status == status
        if in_service is not None:
            flag = MemberModel.in_service == in_service
            condition = flag if condition is None else condition & flag
        result = MemberModel.by_path.query(
            root,
            MemberModel.path_key.startswith(path + "/"),
            filter_condition=condition,
            limit=limit,
            last_evaluated_key=after,
        )
        items = list(result)
        return items, result.last_evaluated_key

    def _counters(self, tx: TransactWrite, units: UnitDeltas, households: list[HouseholdDelta]) -> None:
        for code, delta in units.items():
            if delta:
                tx.update(UnitSystemModel(code), actions=counter_actions({"members": delta}, {}))
        for household_id, unit_path, delta in households:
            tx.update(
                HouseholdMembersModel(household_id),
                actions=[HouseholdMembersModel.members.add(delta)],
                condition=HouseholdMembersModel.unit_path == unit_path,  # exists, and was not moved meanwhile
            )

    def create(self, item: MemberModel, actor: Actor, units: UnitDeltas, household: HouseholdDelta) -> MemberModel:
        """Member, identity item, household and chain counters and the audit event: all or nothing."""
        with transaction() as tx:
            tx.save(item, condition=MemberModel.id.does_not_exist())
            tx.save(
                MemberIdentityModel(item.id_hash, member_id=item.id),
                condition=MemberIdentityModel.id_hash.does_not_exist(),
            )
            self._counters(tx, units, [household])
            self._audit(tx, actor, "member.create", item, None)
        return item

    def save(
        self,
        item: MemberModel,
        actor: Actor,
        action: str,
        before: dict[str, Any],
        *,
        units: UnitDeltas | None = None,
        households: list[HouseholdDelta] | None = None,
    ) -> MemberModel:
        """Save under the member's version (a stale write fails), with any counter moves."""
        with transaction() as tx:
            tx.save(item)
            self._counters(tx, units or {}, households or [])
            self._audit(tx, actor, action, item, before)
        return item

    def _audit(
        self, tx: TransactWrite, actor: Actor, action: str, item: MemberModel, before: dict[str, Any] | None
    ) -> None:
        self.audit.append(
            tx,
            actor,
            action=action,
            entity_type="member",
            entity_id=item.id,
            unit_path=item.unit_path,
            before=before,
            after=member_state(item),
        )
