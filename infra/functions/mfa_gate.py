"""Cognito pre-token-generation trigger: no token for a member of an MFA role without MFA set up.

Cognito requires MFA per pool, not per group; the pool makes MFA optional (TOTP) and this gate refuses a
token to town_cadre, city_admin and auditor users until they have enrolled a TOTP device (an administrator
adds a user to such a group only after the enrolment; from then on Cognito asks the code at each sign-in).
"""

from __future__ import annotations

import os
from typing import Any

_client: Any = None


def needs_mfa(groups: list[str], mfa_roles: str) -> bool:
    return bool(set(groups) & {r for r in mfa_roles.split(",") if r})


def handler(event: dict[str, Any], _context: object) -> dict[str, Any]:
    global _client  # noqa: PLW0603 - one client per warm container
    groups = (event.get("request", {}).get("groupConfiguration") or {}).get("groupsToOverride") or []
    if needs_mfa(groups, os.environ.get("MFA_ROLES", "")):
        if _client is None:
            import boto3  # noqa: PLC0415 - the Lambda runtime provides it

            _client = boto3.client("cognito-idp")
        user = _client.admin_get_user(UserPoolId=event["userPoolId"], Username=event["userName"])
        if not user.get("UserMFASettingList"):
            raise PermissionError("此角色必须启用多因素认证 / MFA is required for this role")
    return event
