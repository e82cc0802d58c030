"""Sources and their API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from cxm.access import services as access_services
from cxm.access.enums import AuditAction
from cxm.connectors.models import ApiToken, Source, TokenScope
from cxm.errors import Conflict, ValidationFailed

MAX_TOKEN_LIFETIME = timedelta(days=3650)
TOKEN_PREFIX = "cxm_"  # noqa: S105 - a label, not a secret


def token_hash(secret: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is as safe as a slow one
    # here and keeps every API call cheap.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def source_get_or_create(*, name: str, description: str = "") -> Source:
    slug = slugify(name)
    if not slug or slug != name:
        raise ValidationFailed(
            f"'{name}' is not a source name; use lowercase letters, digits, - and _ "
            f"(for example '{slug or 'helpdesk'}')",
            code="bad_source_name",
        )
    source, _ = Source.objects.get_or_create(name=name, defaults={"description": description})
    return source


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


@transaction.atomic
def token_create(
    *,
    source: Source,
    scope: str = TokenScope.INGEST,
    expires_in: timedelta | None = None,
    actor: Any = None,
    ip: str | None = None,
) -> IssuedToken:
    """A new token for ``source``. The secret is returned once and never stored."""
    if scope not in TokenScope.values:
        raise ValidationFailed(
            f"unknown scope '{scope}'; use one of " + ", ".join(TokenScope.values),
            code="bad_scope",
        )
    if expires_in is not None and expires_in <= timedelta(0):
        raise ValidationFailed("a token must expire in the future", code="bad_expiry")
    if expires_in is not None and expires_in > MAX_TOKEN_LIFETIME:
        raise ValidationFailed(
            "a token may live 10 years at most; rotate it instead", code="bad_expiry"
        )
    issued = _issue(source=source, scope=scope, expires_in=expires_in)
    access_services.audit_record(
        action=AuditAction.TOKEN_CREATED,
        actor=actor,
        ip=ip,
        object_type="api_token",
        object_id=issued.token.pk,
        detail=_token_detail(issued.token),
    )
    return issued


def _issue(*, source: Source, scope: str, expires_in: timedelta | None) -> IssuedToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        source=source,
        scope=scope,
        prefix=secret[:12],
        token_hash=token_hash(secret),
        expires_at=timezone.now() + expires_in if expires_in else None,
    )
    return IssuedToken(token=token, secret=secret)


def _token_detail(token: ApiToken) -> dict[str, Any]:
    return {
        "source": token.source.name,
        "scope": token.scope,
        "prefix": token.prefix,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
    }


@transaction.atomic
def token_rotate(
    *,
    token: ApiToken,
    grace: timedelta = timedelta(hours=24),
    actor: Any = None,
    ip: str | None = None,
) -> IssuedToken:
    """A new secret for the same source and scope; the old one works for ``grace`` more.

    The new token keeps the old one's lifetime (if it had one), counted from now.
    """
    token = ApiToken.objects.select_for_update().select_related("source").get(pk=token.pk)
    if token.revoked_at is not None or token.rotated_to_id is not None:
        raise Conflict(
            f"Token {token.prefix}… is already revoked or rotated; create a new one",
            code="token_not_live",
        )
    if not timedelta(0) <= grace <= timedelta(days=30):
        raise ValidationFailed("the grace period must be between 0 and 30 days", code="bad_grace")
    lifetime = token.expires_at - token.created_at if token.expires_at else None
    issued = _issue(source=token.source, scope=token.scope, expires_in=lifetime)
    now = timezone.now()
    old_end = now + grace
    if token.expires_at is None or token.expires_at > old_end:
        token.expires_at = old_end
    token.rotated_to = issued.token
    token.save(update_fields=["expires_at", "rotated_to"])
    access_services.audit_record(
        action=AuditAction.TOKEN_ROTATED,
        actor=actor,
        ip=ip,
        object_type="api_token",
        object_id=token.pk,
        detail={**_token_detail(token), "new_token": issued.token.pk},
    )
    return issued


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: Any = None, ip: str | None = None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        access_services.audit_record(
            action=AuditAction.TOKEN_REVOKED,
            actor=actor,
            ip=ip,
            object_type="api_token",
            object_id=token.pk,
            detail=_token_detail(token),
        )
    return token


def token_authenticate(*, secret: str) -> ApiToken | None:
    """The live token with this secret, or None. Writes nothing: see ``token_touch``."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = (
        ApiToken.objects.select_related("source")
        .filter(token_hash=token_hash(secret), revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .first()
    )
    return token


def token_touch(*, token: ApiToken) -> None:
    """Note that an allowed request used the token (at most once a minute)."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
