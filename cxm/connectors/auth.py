"""API authentication: a source's bearer token, or a signed-in console user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from cxm.connectors import services
from cxm.connectors.models import ApiToken, TokenScope
from cxm.errors import PermissionDenied


class TokenAuth(HttpBearer):
    """``Authorization: Bearer cxm_...``; a token outside ``scopes`` gets 403."""

    def __init__(self, *scopes: str) -> None:
        super().__init__()
        self.scopes = set(scopes) | {TokenScope.ADMIN}

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = services.token_authenticate(secret=token.strip())
        if api_token is None:
            return None
        if api_token.scope not in self.scopes:
            raise PermissionDenied(
                f"This token's scope '{api_token.scope}' does not allow this operation; "
                f"it needs one of: {', '.join(sorted(self.scopes))}"
            )
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token


class ConsoleSession(SessionAuth):
    """A signed-in console user; their permissions are checked by the selectors."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user


def acting_user(request: HttpRequest) -> Any:
    """The console user behind a request, or None for a token (already scoped)."""
    if getattr(request, "api_token", None) is not None:
        return None
    return request.user
