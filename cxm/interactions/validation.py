"""Checking one incoming interaction line and turning it into clean values.

Every rule answers with the field at fault and a plain message, so that a
bulk import can report each rejected line and keep the good ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cxm.customers.enums import CustomerKind, IdentityKind
from cxm.customers.identifiers import InvalidIdentifier, normalize
from cxm.customers.placeholders import is_placeholder_name, placeholder_reason
from cxm.interactions.enums import Channel, Direction

MAX_BODY_BYTES = 1024 * 1024
MAX_SUBJECT_CHARS = 1000
MAX_EXTERNAL_ID_CHARS = 255
MAX_NAME_CHARS = 200
# Clocks drift, but an interaction stamped days ahead is a wrong time zone or a typo.
MAX_FUTURE = timedelta(days=1)
EARLIEST_YEAR = 1900

TOP_LEVEL_FIELDS = frozenset(
    {
        "source",
        "external_id",
        "channel",
        "direction",
        "occurred_at",
        "customer",
        "subject",
        "body",
        "attributes",
        "automated",
    }
)
IDENTIFIER_FIELDS = tuple(k.value for k in IdentityKind)
# ``TextChoices.values`` builds a new list on every access; these are read per line.
CHANNELS = tuple(Channel.values)
DIRECTIONS = frozenset(Direction.values)
CUSTOMER_KINDS = frozenset(CustomerKind.values)
# Weaker details of the person: not identifiers, but what probabilistic
# matching compares (cxm.customers.matching).
DETAIL_LIMITS = {"address": 300, "postcode": 20, "city": 100}
DETAIL_FIELDS = ("birth_date", *DETAIL_LIMITS)
CUSTOMER_FIELDS = frozenset({*IDENTIFIER_FIELDS, "name", "company", "kind", *DETAIL_FIELDS})


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass(frozen=True)
class IdentifierInput:
    kind: str
    raw: str
    normalized: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.normalized)


@dataclass
class InteractionInput:
    source: str | None
    external_id: str
    channel: str
    direction: str
    occurred_at: datetime
    identifiers: list[IdentifierInput]
    name: str = ""
    company: str = ""
    customer_kind: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    subject: str = ""
    body: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    automated: bool = False


class InvalidLine(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


def _type_name(value: object) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "an object",
        str: "a string",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _optional_text(
    data: dict[str, Any], key: str, errors: list[FieldError], *, label: str | None = None
) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.append(FieldError(label or key, f"must be a string, not {_type_name(value)}"))
        return ""
    return value


def parse_occurred_at(value: object, *, now: datetime) -> datetime:
    if value is None or value == "":
        raise ValueError("is required (an ISO 8601 time with its time zone)")
    if not isinstance(value, str):
        raise ValueError(f"must be an ISO 8601 string, not {_type_name(value)}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"'{value}' is not an ISO 8601 time (expected e.g. 2026-11-02T09:15:00+01:00)"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(
            f"'{value}' has no time zone; add an offset such as +01:00 or Z so CXM "
            "knows when it happened"
        )
    # Before the offset is applied: year 1 minus an hour is no datetime at all.
    if parsed.year < EARLIEST_YEAR:
        raise ValueError(f"'{value}' is before {EARLIEST_YEAR}: no interaction happened then")
    if parsed - now > MAX_FUTURE:
        raise ValueError(f"'{value}' is more than a day in the future")
    return parsed.astimezone(UTC)


def _customer_details(
    customer: dict[str, Any],
    errors: list[FieldError],
    *,
    now: datetime,
    placeholders: frozenset[str],
) -> dict[str, Any]:
    details: dict[str, Any] = {}
    raw_date = _optional_text(customer, "birth_date", errors, label="customer.birth_date").strip()
    if raw_date and not placeholder_reason("other", raw_date, extra=placeholders):
        try:
            born = date.fromisoformat(raw_date)
        except ValueError:
            errors.append(
                FieldError("customer.birth_date", f"'{raw_date}' is not a date (YYYY-MM-DD)")
            )
        else:
            if born > now.date() or born.year < 1880:
                errors.append(
                    FieldError("customer.birth_date", f"'{raw_date}' is not a possible birth date")
                )
            else:
                details["birth_date"] = born
    for key, limit in DETAIL_LIMITS.items():
        value = " ".join(_optional_text(customer, key, errors, label=f"customer.{key}").split())
        if len(value) > limit:
            errors.append(FieldError(f"customer.{key}", f"is longer than {limit} characters"))
        elif value and not placeholder_reason("other", value, extra=placeholders):
            details[key] = value.upper() if key == "postcode" else value
    return details


def validate_line(
    data: object,
    *,
    default_region: str,
    now: datetime | None = None,
    placeholders: frozenset[str] = frozenset(),
) -> InteractionInput:
    """Check one decoded JSON line; raise ``InvalidLine`` with every problem found."""
    if not isinstance(data, dict):
        raise InvalidLine([FieldError("(line)", f"must be a JSON object, not {_type_name(data)}")])
    now = now or datetime.now(UTC)
    errors: list[FieldError] = []

    for key in data:
        if key not in TOP_LEVEL_FIELDS:
            errors.append(
                FieldError(
                    str(key),
                    "unknown field; expected one of " + ", ".join(sorted(TOP_LEVEL_FIELDS)),
                )
            )

    source = data.get("source")
    if source is not None and not (isinstance(source, str) and source.strip()):
        errors.append(FieldError("source", "must be a non-empty string"))
        source = None

    external_id = data.get("external_id")
    if isinstance(external_id, str):
        external_id = external_id.strip()
    if isinstance(external_id, bool) or external_id is None or external_id == "":
        errors.append(FieldError("external_id", "is required (the id in the sending system)"))
        external_id = ""
    elif isinstance(external_id, int):
        external_id = str(external_id)
    elif not isinstance(external_id, str):
        errors.append(FieldError("external_id", f"must be a string, not {_type_name(external_id)}"))
        external_id = ""
    elif len(external_id) > MAX_EXTERNAL_ID_CHARS:
        errors.append(
            FieldError("external_id", f"is longer than {MAX_EXTERNAL_ID_CHARS} characters")
        )

    channel = data.get("channel")
    if channel is None or channel == "":
        errors.append(FieldError("channel", "is required; one of " + ", ".join(CHANNELS)))
    elif not isinstance(channel, str):
        errors.append(FieldError("channel", f"must be a string, not {_type_name(channel)}"))
    elif channel not in CHANNELS:
        errors.append(
            FieldError(
                "channel",
                f"unknown channel '{channel}'; expected one of " + ", ".join(CHANNELS),
            )
        )

    direction = data.get("direction")
    if direction is None or direction == "":
        errors.append(FieldError("direction", "is required: inbound or outbound"))
    elif not isinstance(direction, str):
        errors.append(FieldError("direction", f"must be a string, not {_type_name(direction)}"))
    elif direction not in DIRECTIONS:
        errors.append(
            FieldError(
                "direction", f"unknown direction '{direction}'; expected inbound or outbound"
            )
        )

    occurred_at: datetime | None = None
    try:
        occurred_at = parse_occurred_at(data.get("occurred_at"), now=now)
    except ValueError as exc:
        errors.append(FieldError("occurred_at", str(exc)))

    subject = _optional_text(data, "subject", errors)
    if len(subject) > MAX_SUBJECT_CHARS:
        errors.append(FieldError("subject", f"is longer than {MAX_SUBJECT_CHARS} characters"))

    body = _optional_text(data, "body", errors)
    if len(body) > MAX_BODY_BYTES // 4 and len(body.encode("utf-8")) > MAX_BODY_BYTES:
        errors.append(FieldError("body", "is larger than 1 MB; attach large content elsewhere"))

    attributes = data.get("attributes")
    if attributes is None:
        attributes = {}
    elif not isinstance(attributes, dict):
        errors.append(FieldError("attributes", f"must be an object, not {_type_name(attributes)}"))
        attributes = {}

    automated = data.get("automated", False)
    if automated is None:
        automated = False
    elif not isinstance(automated, bool):
        errors.append(
            FieldError(
                "automated",
                f"must be true or false, not {_type_name(automated)}: true for a notice or "
                "record a system sent (a bill, a reminder), which opens no case",
            )
        )
        automated = False

    identifiers: list[IdentifierInput] = []
    ignored: list[str] = []
    details: dict[str, Any] = {}
    name = company = customer_kind = ""
    customer = data.get("customer")
    if customer is None:
        errors.append(
            FieldError(
                "customer",
                "is required: an object with at least one of " + ", ".join(IDENTIFIER_FIELDS),
            )
        )
    elif not isinstance(customer, dict):
        errors.append(FieldError("customer", f"must be an object, not {_type_name(customer)}"))
    else:
        for key in customer:
            if key not in CUSTOMER_FIELDS:
                errors.append(
                    FieldError(
                        f"customer.{key}",
                        "unknown field; expected one of " + ", ".join(sorted(CUSTOMER_FIELDS)),
                    )
                )
        for kind in IDENTIFIER_FIELDS:
            raw = customer.get(kind)
            if raw is None or raw == "":
                continue
            if isinstance(raw, int) and not isinstance(raw, bool) and kind != "email":
                raw = str(raw)
            if not isinstance(raw, str):
                errors.append(
                    FieldError(f"customer.{kind}", f"must be a string, not {_type_name(raw)}")
                )
                continue
            # A placeholder ("N/A", "0000000000", test@test.com, the company's own
            # address) is not an error and not an identifier: it would tie
            # strangers together. The line is kept; the value is not matched on.
            if placeholder_reason(kind, raw, extra=placeholders):
                ignored.append(kind)
                continue
            try:
                normalized = normalize(kind, raw, default_region=default_region)
            except InvalidIdentifier as exc:
                errors.append(FieldError(f"customer.{kind}", str(exc)))
                continue
            if placeholder_reason(kind, raw, normalized=normalized, extra=placeholders):
                ignored.append(kind)
                continue
            identifiers.append(IdentifierInput(kind=kind, raw=raw.strip(), normalized=normalized))
        name = _optional_text(customer, "name", errors, label="customer.name").strip()
        if is_placeholder_name(name, extra=placeholders):
            name = ""
        if len(name) > MAX_NAME_CHARS:
            errors.append(
                FieldError("customer.name", f"is longer than {MAX_NAME_CHARS} characters")
            )
        company = _optional_text(customer, "company", errors, label="customer.company").strip()
        if len(company) > MAX_NAME_CHARS:
            errors.append(
                FieldError("customer.company", f"is longer than {MAX_NAME_CHARS} characters")
            )
        customer_kind = _optional_text(customer, "kind", errors, label="customer.kind").strip()
        if customer_kind and customer_kind not in CUSTOMER_KINDS:
            errors.append(FieldError("customer.kind", "must be residential, business or unknown"))
        details = _customer_details(customer, errors, now=now, placeholders=placeholders)
        has_identifier_field = any(customer.get(k) not in (None, "") for k in IDENTIFIER_FIELDS)
        if not has_identifier_field:
            errors.append(
                FieldError(
                    "customer",
                    "has no identifier; give at least one of " + ", ".join(IDENTIFIER_FIELDS),
                )
            )

    if errors:
        raise InvalidLine(errors)
    assert occurred_at is not None
    assert isinstance(channel, str) and isinstance(direction, str)
    return InteractionInput(
        source=source.strip() if isinstance(source, str) else None,
        external_id=external_id,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at,
        identifiers=identifiers,
        name=name,
        company=company,
        customer_kind=customer_kind,
        details=details,
        subject=subject,
        body=body,
        attributes=attributes,
        automated=automated,
    )
