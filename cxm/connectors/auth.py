"""API authentication and authorization: a source's bearer token or a signed-in
console user, each checked for the permission the operation declares.

Every operation passes ``auth=requires(Permission.X)``; the route test reads the
``permission`` of each auth callback, so an operation without one fails the suite.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth
from ninja.security.base import AuthBase

from cxm.access.permissions import PUBLIC, TOKEN_SCOPE_PERMISSIONS, Permission
from cxm.access.selectors import actor_can, actor_require
from cxm.connectors import services
from cxm.connectors.models import ApiToken
from cxm.errors import PermissionDenied


class TokenAuth(HttpBearer):
    """``Authorization: Bearer cxm_...``; a token whose scope lacks the permission gets 403."""

    def __init__(self, permission: Permission) -> None:
        super().__init__()
        self.permission = permission

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = services.token_authenticate(secret=token.strip())
        if api_token is None:
            return None
        if not actor_can(api_token, self.permission):
            scopes = sorted(
                scope
                for scope, granted in TOKEN_SCOPE_PERMISSIONS.items()
                if self.permission in granted
            )
            raise PermissionDenied(
                f"This token's scope '{api_token.scope}' does not allow this operation; "
                f"it needs one of: {', '.join(scopes)}"
            )
        services.token_touch(token=api_token)
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token


class ConsoleSession(SessionAuth):
    """A signed-in console user whose role grants the permission (CSRF checked)."""

    def __init__(self, permission: Permission) -> None:
        super().__init__()
        self.permission = permission

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None:
            return None
        actor_require(user, self.permission)
        return user


def requires(permission: Permission) -> list[AuthBase]:
    return [TokenAuth(permission), ConsoleSession(permission)]


def acting_party(request: HttpRequest) -> Any:
    """The token or the console user behind an authenticated API request."""
    token = getattr(request, "api_token", None)
    return token if token is not None else request.user


class Anyone:
    """For the few operations that publish what anyone may read (the channel charter)."""

    permission = PUBLIC

    def __call__(self, request: HttpRequest) -> bool:
        return True


def public() -> list[Any]:
    return [Anyone()]
