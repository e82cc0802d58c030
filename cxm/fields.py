"""Reading the fields of a request or of an imported line, with the message a
person can act on: text, and instants that carry their time zone. Used by the
services that take promises, sales and milestones from people and systems."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from cxm.errors import ValidationFailed


def text(value: Any, name: str, *, limit: int, required: bool = False) -> str:
    """Trimmed text of at most ``limit`` characters, without NUL characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be text", code="bad_field")
    value = value.strip()
    if "\x00" in value:
        raise ValidationFailed(f"{name} contains a NUL character", code="bad_field")
    if required and not value:
        raise ValidationFailed(f"{name} is required", code="bad_field")
    if len(value) > limit:
        raise ValidationFailed(f"{name} is longer than {limit} characters", code="bad_field")
    return value


def moment(value: Any, name: str) -> datetime:
    """An aware datetime, from a datetime or ISO 8601 text with its time zone."""
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationFailed(
                f"{name} must be an ISO 8601 date and time with its time zone, "
                f"e.g. 2026-12-08T13:00:00+00:00, not '{value[:40]}'",
                code="bad_date",
            )
        value = parsed
    if not isinstance(value, datetime):
        raise ValidationFailed(f"{name} must be a date and time", code="bad_date")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(
            f"{name} needs a time zone (e.g. +00:00 or Z): without one it could mean "
            "any hour of the day",
            code="bad_date",
        )
    if not 1970 <= value.year <= 9999:
        raise ValidationFailed(f"{name} is out of range", code="bad_date")
    return value


@dataclass(frozen=True)
class LineProblem:
    line: int
    field: str
    message: str


@dataclass
class ImportReport:
    """What a bulk import did: good lines kept, replays counted, bad lines reported."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[LineProblem] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)


def problem_field(message: str, names: set[str]) -> str:
    """The field a service's message is about, for a line's report."""
    for name in sorted(names, key=len, reverse=True):
        if message.startswith(name) or f" {name} " in f" {message} ":
            return name
    return "(line)"
