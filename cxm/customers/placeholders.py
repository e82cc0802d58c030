"""Placeholder values that must never tie two customers together.

Systems fill required fields with "N/A", "test@test.com" or "0000000000", and
agents type the company's own support address when a customer has none. Matched
on, such a value glues strangers into one profile. CXM ignores them for
identity: an interaction that carries one is stored, the placeholder is not
used to find or create an identity. The built-in list below is extended with
``CXM_PLACEHOLDER_VALUES`` (any kind) and ``CXM_OWN_IDENTIFIERS`` (the
company's own addresses and numbers), both comma-separated.

Plain functions, no Django: the settings are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Compared after case folding and trimming, before any normalisation.
PLACEHOLDER_TEXT = frozenset(
    {
        "",
        "-",
        "--",
        "?",
        ".",
        "0",
        "n/a",
        "na",
        "n.a.",
        "none",
        "null",
        "nil",
        "unknown",
        "not known",
        "not provided",
        "no email",
        "noemail",
        "no phone",
        "nophone",
        "test",
        "tbc",
        "tba",
        "xxx",
        "customer",
        "anonymous",
        "undefined",
    }
)

# Local parts of email addresses that stand for "no address".
PLACEHOLDER_EMAIL_LOCAL = frozenset(
    {
        "test",
        "none",
        "noemail",
        "no-email",
        "no.email",
        "nomail",
        "na",
        "n.a",
        "unknown",
        "null",
        "nobody",
        "noreply",
        "no-reply",
        "donotreply",
        "do-not-reply",
        "dummy",
        "fake",
        "xxx",
        "asdf",
    }
)

# Whole addresses seen in the wild as fillers.
PLACEHOLDER_EMAILS = frozenset(
    {
        "test@test.com",
        "a@a.com",
        "none@none.com",
        "noemail@noemail.com",
        "email@email.com",
        "no@email.com",
        "na@na.com",
        "test@example.com",
        "user@example.com",
    }
)

_DIGITS = re.compile(r"\d")


def placeholder_reason(
    kind: str, raw: str, *, normalized: str | None = None, extra: Iterable[str] = ()
) -> str | None:
    """Why ``raw`` (an identifier of ``kind``) is a placeholder, or None when it is real."""
    text = raw.strip().casefold()
    extras = {e.strip().casefold() for e in extra if e.strip()}
    if text in PLACEHOLDER_TEXT:
        return "is a placeholder, not an identifier"
    if text in extras or (normalized is not None and normalized.casefold() in extras):
        return "is on this deployment's list of placeholder or own identifiers"
    if kind == "email" and "@" in text:
        local = text.rsplit("@", 1)[0]
        if text in PLACEHOLDER_EMAILS or local in PLACEHOLDER_EMAIL_LOCAL:
            return "is a placeholder email address"
    if kind == "phone":
        digits = "".join(_DIGITS.findall(text))
        counting = len(digits) >= 6 and (digits in "01234567890" or digits in "9876543210")
        if (len(digits) >= 4 and len(set(digits)) == 1) or counting:
            return "is a placeholder phone number"
        national = digits[-9:]
        if len(national) >= 6 and len(set(national)) == 1:
            return "is a placeholder phone number"
    return None


def is_placeholder_name(name: str, *, extra: Iterable[str] = ()) -> bool:
    text = name.strip().casefold()
    return text in PLACEHOLDER_TEXT or text in {e.strip().casefold() for e in extra}
