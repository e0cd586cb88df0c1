"""User profiles keyed by the token subject: role and scope live here, never in request parameters."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.auth import ROLES, Principal
from chalicelib.core.db import BaseMeta, register_model


class ScopeIndex(GlobalSecondaryIndex["ProfileModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_scope"
        projection = AllProjection()

    scope_root = UnicodeAttribute(hash_key=True)
    scope = UnicodeAttribute(range_key=True)


class UsernameIndex(GlobalSecondaryIndex["ProfileModel"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_username"
        projection = AllProjection()

    username = UnicodeAttribute(hash_key=True)


@register_model
class ProfileModel(Model):
    class Meta(BaseMeta):
        table_suffix = "profiles"

    sub = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute()
    display_name = UnicodeAttribute()
    role = UnicodeAttribute()
    scope_kind = UnicodeAttribute()
    scope = UnicodeAttribute()
    scope_root = UnicodeAttribute()  # the city code for unit scopes, "dept" for departments
    active = BooleanAttribute(default=True)
    version = VersionAttribute()
    by_username = UsernameIndex()
    by_scope = ScopeIndex()


class ProfileStore:
    """Reads and writes profiles; the only code that knows the table."""

    def get_principal(self, sub: str) -> Principal | None:
        try:
            item = ProfileModel.get(sub)
        except ProfileModel.DoesNotExist:
            return None
        if not item.active or item.role not in ROLES:
            return None
        return Principal(
            sub=item.sub,
            username=item.username,
            display_name=item.display_name,
            role=item.role,
            scope_kind=item.scope_kind,
            scope=item.scope,
        )

    def sub_for_username(self, username: str) -> str | None:
        for item in ProfileModel.by_username.query(username, limit=1):
            return str(item.sub)
        return None

    def ensure(self, principal: Principal) -> bool:
        """Create the profile unless one exists for the subject; True when created."""
        try:
            self._new(principal).save()  # VersionAttribute adds "attribute_not_exists(version)"
        except PutError as e:
            if e.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    @staticmethod
    def _new(principal: Principal) -> ProfileModel:
        return ProfileModel(
            principal.sub,
            username=principal.username,
            display_name=principal.display_name,
            role=principal.role,
            scope_kind=principal.scope_kind,
            scope=principal.scope,
            scope_root=principal.scope.split("/", 1)[0] if principal.scope_kind == "unit" else "dept",
        )

    def repath(self, old_root: str, old_path: str, new_root: str, new_path: str) -> int:
        """Move the scopes of accounts inside a moved unit (a key-range query on the scope index)."""
        count = 0
        for item in ProfileModel.by_scope.query(old_root, ProfileModel.scope.startswith(old_path)):
            if item.scope != old_path and not item.scope.startswith(old_path + "/"):
                continue
            item.update(
                actions=[
                    ProfileModel.scope.set(new_path + item.scope[len(old_path) :]),
                    ProfileModel.scope_root.set(new_root),
                ]
            )
            count += 1
        return count
