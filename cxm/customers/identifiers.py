"""Normalising strong identifiers so that the same person matches across channels.

Each normaliser takes the raw text a channel sent and returns the canonical
value CXM stores and matches on, or raises ``InvalidIdentifier`` with a message
a person can act on.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from cxm.customers.enums import IdentityKind


class InvalidIdentifier(ValueError):
    pass


_email_validator = EmailValidator()

# Order matters: when one interaction's identifiers point at two customers,
# the strongest identifier decides whom the interaction belongs to.
STRENGTH = [
    IdentityKind.CRM_ID,
    IdentityKind.EMAIL,
    IdentityKind.PHONE,
    IdentityKind.TWITTER,
    IdentityKind.FACEBOOK,
    IdentityKind.INSTAGRAM,
    IdentityKind.YOUTUBE,
    IdentityKind.CHAT_VISITOR,
    IdentityKind.OTHER,
]

_SOCIAL_URL = re.compile(
    r"^(?:https?://)?(?:www\.|m\.|mobile\.)?"
    r"(?:twitter\.com|x\.com|facebook\.com|fb\.com|instagram\.com|youtube\.com)/",
    re.IGNORECASE,
)
_TWITTER = re.compile(r"^[a-z0-9_]{1,15}$")
_INSTAGRAM = re.compile(r"^[a-z0-9._]{1,30}$")
_FACEBOOK = re.compile(r"^[a-z0-9.]{1,80}$")
_YOUTUBE_HANDLE = re.compile(r"^[a-z0-9._-]{3,30}$")
_YOUTUBE_CHANNEL = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_OPAQUE = re.compile(r"^\S(?:.{0,253}\S)?$")


@lru_cache(maxsize=65536)
def normalize_email(raw: str) -> str:
    value = raw.strip().lower()
    try:
        _email_validator(value)
    except ValidationError:
        raise InvalidIdentifier(f"'{raw}' is not a valid email address") from None
    return value


@lru_cache(maxsize=65536)
def normalize_phone(raw: str, default_region: str) -> str:
    text = raw.strip()
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidIdentifier(f"'{raw}' is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        if not text.startswith("+") and not text.startswith("00"):
            raise InvalidIdentifier(
                f"'{raw}' is not a valid phone number in region {default_region}; "
                "write it with its country code (+...)"
            )
        raise InvalidIdentifier(f"'{raw}' is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _handle(raw: str) -> str:
    value = _SOCIAL_URL.sub("", raw.strip())
    value = value.split("?", 1)[0].strip("/")
    return value.removeprefix("@")


def normalize_twitter(raw: str) -> str:
    value = _handle(raw).lower()
    if not _TWITTER.match(value):
        raise InvalidIdentifier(
            f"'{raw}' is not a Twitter/X handle (1-15 letters, digits or underscores)"
        )
    return value


def normalize_instagram(raw: str) -> str:
    value = _handle(raw).lower()
    if not _INSTAGRAM.match(value):
        raise InvalidIdentifier(
            f"'{raw}' is not an Instagram handle (1-30 letters, digits, dots or underscores)"
        )
    return value


def normalize_facebook(raw: str) -> str:
    value = _handle(raw)
    if value.lower().startswith("profile.php"):
        match = re.search(r"id=(\d+)", raw)
        if not match:
            raise InvalidIdentifier(f"'{raw}' is a Facebook profile link without an id")
        return match.group(1)
    value = value.lower()
    if not _FACEBOOK.match(value):
        raise InvalidIdentifier(f"'{raw}' is not a Facebook username or id")
    return value


def normalize_youtube(raw: str) -> str:
    value = _handle(raw)
    if value.startswith("channel/"):
        value = value.removeprefix("channel/")
    # Channel ids are case-sensitive; handles are not.
    if _YOUTUBE_CHANNEL.match(value):
        return value
    value = value.removeprefix("@").lower()
    if not _YOUTUBE_HANDLE.match(value):
        raise InvalidIdentifier(f"'{raw}' is not a YouTube handle or channel id")
    return "@" + value


def normalize_opaque(raw: str) -> str:
    value = raw.strip()
    if not _OPAQUE.match(value):
        raise InvalidIdentifier(f"'{raw}' is empty or too long (255 characters at most)")
    return value


def normalize(kind: str, raw: str, *, default_region: str) -> str:
    """The canonical value of ``raw`` as an identifier of ``kind``."""
    if kind == IdentityKind.EMAIL:
        return normalize_email(raw)
    if kind == IdentityKind.PHONE:
        return normalize_phone(raw, default_region)
    if kind == IdentityKind.TWITTER:
        return normalize_twitter(raw)
    if kind == IdentityKind.INSTAGRAM:
        return normalize_instagram(raw)
    if kind == IdentityKind.FACEBOOK:
        return normalize_facebook(raw)
    if kind == IdentityKind.YOUTUBE:
        return normalize_youtube(raw)
    if kind in (IdentityKind.CRM_ID, IdentityKind.CHAT_VISITOR, IdentityKind.OTHER):
        return normalize_opaque(raw)
    raise InvalidIdentifier(f"unknown identifier kind '{kind}'")


def search_keys(query: str, *, default_region: str) -> list[tuple[str, str]]:
    """Every (kind, normalised value) that a free-text search could mean."""
    keys: list[tuple[str, str]] = []
    for kind in STRENGTH:
        try:
            keys.append((kind.value, normalize(kind, query, default_region=default_region)))
        except InvalidIdentifier:
            continue
    return keys
