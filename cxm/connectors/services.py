"""Sources and their API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from cxm.connectors.models import ApiToken, Source, TokenScope
from cxm.errors import ValidationFailed

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
def token_create(*, source: Source, scope: str = TokenScope.INGEST) -> IssuedToken:
    """A new token for ``source``. The secret is returned once and never stored."""
    if scope not in TokenScope.values:
        raise ValidationFailed(
            f"unknown scope '{scope}'; use one of " + ", ".join(TokenScope.values),
            code="bad_scope",
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        source=source, scope=scope, prefix=secret[:12], token_hash=token_hash(secret)
    )
    return IssuedToken(token=token, secret=secret)


def token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(*, secret: str) -> ApiToken | None:
    """The live token with this secret, or None. Writes nothing: see ``token_touch``."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = (
        ApiToken.objects.select_related("source")
        .filter(token_hash=token_hash(secret), revoked_at__isnull=True)
        .first()
    )
    return token


def token_touch(*, token: ApiToken) -> None:
    """Note that an allowed request used the token (at most once a minute)."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
