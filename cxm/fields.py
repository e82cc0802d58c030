"""Reading the fields of a request or of an imported line, with the message a
person can act on: text, and instants that carry their time zone. Used by the
services that take promises, sales and milestones from people and systems."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from cxm.errors import CXMError, ValidationFailed


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


def whole_numbers(raw: Mapping[str, Any], names: Iterable[str]) -> None:
    """Refuse a line whose ``names`` hold anything but whole numbers (or nothing)."""
    for name in names:
        value = raw.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValidationFailed(f"{name} must be a whole number", code="bad_field")


def objects(raw: Mapping[str, Any], names: Mapping[str, str]) -> None:
    """Refuse a line whose ``names`` hold anything but JSON objects (or nothing);
    ``names`` maps each to what the object is, for the message."""
    for name, what in names.items():
        if raw.get(name) is not None and not isinstance(raw[name], Mapping):
            raise ValidationFailed(f"{name} must be {what}", code="bad_field")


def import_lines(
    lines: Iterable[tuple[int, bytes | str]],
    *,
    names: Collection[str],
    create: Callable[[Mapping[str, Any]], int | None],
) -> ImportReport:
    """Lines of JSON objects, each given to ``create`` (its fields among ``names``).

    ``create`` returns the new row's id, or None when the line was imported before;
    a ``CXMError`` it raises is the line's problem, reported with its number while
    the other lines go on.
    """
    report = ImportReport()
    known = set(names)
    for number, text in lines:
        try:
            raw = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            report.rejected.append(LineProblem(number, "(line)", "is not valid JSON"))
            continue
        try:
            if not isinstance(raw, Mapping):
                raise ValidationFailed("each line must be a JSON object", code="bad_line")
            unknown = sorted(str(k)[:40] for k in raw if k not in known)
            if unknown:
                raise ValidationFailed(f"unknown field '{unknown[0]}'", code="bad_field")
            created = create(raw)
        except CXMError as error:
            report.rejected.append(
                LineProblem(number, problem_field(error.message, known), error.message)
            )
            continue
        if created is None:
            report.duplicates += 1
        else:
            report.accepted += 1
            report.ids.append(created)
    return report
