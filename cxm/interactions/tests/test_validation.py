from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from cxm.conftest import interaction_line
from cxm.interactions.validation import (
    FieldError,
    IdentifierInput,
    InteractionInput,
    InvalidLine,
    validate_line,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CHANNELS = "phone, sms, email, chat, social, web, in_person, other"
IDENTIFIERS = "email, phone, crm_id, twitter, facebook, instagram, youtube, chat_visitor, other"
TOP_FIELDS = (
    "attributes, automated, body, channel, customer, direction, external_id, occurred_at, "
    "source, subject"
)
CUSTOMER_FIELDS = (
    "address, birth_date, chat_visitor, city, company, crm_id, email, facebook, instagram, "
    "kind, name, other, phone, postcode, twitter, youtube"
)


def errors_of(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidLine) as caught:
        validate_line(data, default_region="GB", now=NOW)
    return [(e.field, e.message) for e in caught.value.errors]


def without(key: str) -> dict[str, Any]:
    data = interaction_line()
    del data[key]
    return data


def test_a_valid_line_becomes_clean_values() -> None:
    item = validate_line(interaction_line(), default_region="GB", now=NOW)

    assert item == InteractionInput(
        source="zendesk",
        external_id="48213",
        channel="email",
        direction="inbound",
        occurred_at=datetime(2026, 11, 2, 8, 15, tzinfo=UTC),
        identifiers=[
            IdentifierInput("email", "Ann.Lee@example.org", "ann.lee@example.org"),
            IdentifierInput("phone", "+44 20 7946 0958", "+442079460958"),
            IdentifierInput("crm_id", "C-1042", "C-1042"),
            IdentifierInput("twitter", "@annlee", "annlee"),
        ],
        name="Ann Lee",
        subject="Router keeps dropping",
        body="Since Tuesday the connection drops every evening.",
        attributes={"plan": "fibre-500"},
    )


def test_optional_fields_may_be_left_out() -> None:
    data = {
        "external_id": " 7 ",
        "channel": "phone",
        "direction": "outbound",
        "occurred_at": "2026-11-02T09:15:00Z",
        "customer": {"phone": "020 7946 0958", "kind": "business", "company": " Acme "},
    }

    item = validate_line(data, default_region="GB", now=NOW)

    assert item == InteractionInput(
        source=None,
        external_id="7",
        channel="phone",
        direction="outbound",
        occurred_at=datetime(2026, 11, 2, 9, 15, tzinfo=UTC),
        identifiers=[IdentifierInput("phone", "020 7946 0958", "+442079460958")],
        company="Acme",
        customer_kind="business",
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            interaction_line(channel="fax"),
            [("channel", f"unknown channel 'fax'; expected one of {CHANNELS}")],
            id="unknown channel",
        ),
        pytest.param(
            without("channel"),
            [("channel", f"is required; one of {CHANNELS}")],
            id="missing channel",
        ),
        pytest.param(
            interaction_line(direction="sideways"),
            [("direction", "unknown direction 'sideways'; expected inbound or outbound")],
            id="unknown direction",
        ),
        pytest.param(
            interaction_line(direction=""),
            [("direction", "is required: inbound or outbound")],
            id="empty direction",
        ),
        pytest.param(
            without("occurred_at"),
            [("occurred_at", "is required (an ISO 8601 time with its time zone)")],
            id="missing occurred_at",
        ),
        pytest.param(
            interaction_line(occurred_at="yesterday"),
            [
                (
                    "occurred_at",
                    "'yesterday' is not an ISO 8601 time (expected e.g. 2026-11-02T09:15:00+01:00)",
                )
            ],
            id="unparseable occurred_at",
        ),
        pytest.param(
            interaction_line(occurred_at="2026-11-02T09:15:00"),
            [
                (
                    "occurred_at",
                    "'2026-11-02T09:15:00' has no time zone; add an offset such as +01:00 or Z "
                    "so CXM knows when it happened",
                )
            ],
            id="time without time zone",
        ),
        pytest.param(
            interaction_line(occurred_at="2026-11-21T12:00:01Z"),
            [("occurred_at", "'2026-11-21T12:00:01Z' is more than a day in the future")],
            id="more than a day ahead",
        ),
        pytest.param(
            # Found by the API fuzzer: in UTC this would be before year 1.
            interaction_line(occurred_at="0001-01-01T00:03:00+01:02"),
            [
                (
                    "occurred_at",
                    "'0001-01-01T00:03:00+01:02' is before 1900: no interaction happened then",
                )
            ],
            id="before any interaction",
        ),
        pytest.param(
            interaction_line(occurred_at=1762074900),
            [("occurred_at", "must be an ISO 8601 string, not a number")],
            id="occurred_at as number",
        ),
        pytest.param(
            interaction_line(customer={"email": "ann@@example.org"}),
            [("customer.email", "'ann@@example.org' is not a valid email address")],
            id="invalid email",
        ),
        pytest.param(
            interaction_line(customer={"phone": "12345"}),
            [
                (
                    "customer.phone",
                    "'12345' is not a valid phone number in region GB; write it with its "
                    "country code (+...)",
                )
            ],
            id="invalid national phone",
        ),
        pytest.param(
            interaction_line(customer={"phone": "+1 555"}),
            [("customer.phone", "'+1 555' is not a valid phone number")],
            id="invalid international phone",
        ),
        pytest.param(
            interaction_line(customer={"name": "Ann Lee", "company": "Acme"}),
            [("customer", f"has no identifier; give at least one of {IDENTIFIERS}")],
            id="no customer identifier",
        ),
        pytest.param(
            interaction_line(customer={"email": "", "phone": None}),
            [("customer", f"has no identifier; give at least one of {IDENTIFIERS}")],
            id="only empty identifiers",
        ),
        pytest.param(
            without("customer"),
            [("customer", f"is required: an object with at least one of {IDENTIFIERS}")],
            id="missing customer",
        ),
        pytest.param(
            interaction_line(channel=5),
            [("channel", "must be a string, not a number")],
            id="channel as number",
        ),
        pytest.param(
            interaction_line(direction=["inbound"]),
            [("direction", "must be a string, not a list")],
            id="direction as list",
        ),
        pytest.param(
            interaction_line(customer=["ann@example.org"]),
            [("customer", "must be an object, not a list")],
            id="customer as list",
        ),
        pytest.param(
            interaction_line(attributes="plan=fibre"),
            [("attributes", "must be an object, not a string")],
            id="attributes as string",
        ),
        pytest.param(
            interaction_line(customer={"email": 42}),
            [("customer.email", "must be a string, not a number")],
            id="email as number",
        ),
        pytest.param(
            interaction_line(customer={"email": True}),
            [("customer.email", "must be a string, not a boolean")],
            id="email as boolean",
        ),
        pytest.param(
            interaction_line(customer={"crm_id": {"id": 1}}),
            [("customer.crm_id", "must be a string, not an object")],
            id="crm_id as object",
        ),
        pytest.param(
            interaction_line(subject=12),
            [("subject", "must be a string, not a number")],
            id="subject as number",
        ),
        pytest.param(
            interaction_line(body=False),
            [("body", "must be a string, not a boolean")],
            id="body as boolean",
        ),
        pytest.param(
            interaction_line(customer={"email": "ann@example.org", "name": 7}),
            [("customer.name", "must be a string, not a number")],
            id="name as number",
        ),
        pytest.param(
            interaction_line(external_id=1.5),
            [("external_id", "must be a string, not a number")],
            id="external_id as float",
        ),
        pytest.param(
            interaction_line(external_id=True),
            [("external_id", "is required (the id in the sending system)")],
            id="external_id as boolean",
        ),
        pytest.param(
            without("external_id"),
            [("external_id", "is required (the id in the sending system)")],
            id="missing external_id",
        ),
        pytest.param(
            interaction_line(external_id="   "),
            [("external_id", "is required (the id in the sending system)")],
            id="blank external_id",
        ),
        pytest.param(
            interaction_line(external_id="x" * 256),
            [("external_id", "is longer than 255 characters")],
            id="external_id too long",
        ),
        pytest.param(
            interaction_line(source=""),
            [("source", "must be a non-empty string")],
            id="empty source",
        ),
        pytest.param(
            interaction_line(subject="s" * 1001),
            [("subject", "is longer than 1000 characters")],
            id="subject too long",
        ),
        pytest.param(
            interaction_line(customer={"email": "ann@example.org", "name": "n" * 201}),
            [("customer.name", "is longer than 200 characters")],
            id="name too long",
        ),
        pytest.param(
            interaction_line(customer={"email": "ann@example.org", "company": "c" * 201}),
            [("customer.company", "is longer than 200 characters")],
            id="company too long",
        ),
        pytest.param(
            interaction_line(customer={"email": "ann@example.org", "kind": "vip"}),
            [("customer.kind", "must be residential, business or unknown")],
            id="unknown customer kind",
        ),
        pytest.param(
            interaction_line(automated="yes"),
            [
                (
                    "automated",
                    "must be true or false, not a string: true for a notice or record a "
                    "system sent (a bill, a reminder), which opens no case",
                )
            ],
            id="automated not a boolean",
        ),
        pytest.param(
            interaction_line(colour="red"),
            [("colour", f"unknown field; expected one of {TOP_FIELDS}")],
            id="unknown top-level field",
        ),
        pytest.param(
            interaction_line(customer={"email": "ann@example.org", "age": 40}),
            [("customer.age", f"unknown field; expected one of {CUSTOMER_FIELDS}")],
            id="unknown customer field",
        ),
        pytest.param(
            [interaction_line()],
            [("(line)", "must be a JSON object, not a list")],
            id="line is a list",
        ),
        pytest.param(
            "hello", [("(line)", "must be a JSON object, not a string")], id="line is a string"
        ),
        pytest.param(7, [("(line)", "must be a JSON object, not a number")], id="line is a number"),
        pytest.param(None, [("(line)", "must be a JSON object, not null")], id="line is null"),
    ],
)
def test_each_rule_names_the_field_and_says_why(data: Any, expected: list[tuple[str, str]]) -> None:
    assert errors_of(data) == expected


def test_every_problem_of_a_line_is_reported_at_once() -> None:
    data = interaction_line(
        channel=5, direction="sideways", occurred_at=None, customer=[], attributes="x", extra=1
    )

    assert errors_of(data) == [
        ("extra", f"unknown field; expected one of {TOP_FIELDS}"),
        ("channel", "must be a string, not a number"),
        ("direction", "unknown direction 'sideways'; expected inbound or outbound"),
        ("occurred_at", "is required (an ISO 8601 time with its time zone)"),
        ("attributes", "must be an object, not a string"),
        ("customer", "must be an object, not a list"),
    ]


def test_invalid_line_message_joins_every_error() -> None:
    error = InvalidLine([FieldError("channel", "is wrong"), FieldError("body", "too")])

    assert str(error) == "channel: is wrong; body: too"


def test_body_of_exactly_one_megabyte_is_accepted() -> None:
    # Two bytes per character: the limit counts UTF-8 bytes, not characters.
    body = "é" * (512 * 1024)
    assert len(body.encode("utf-8")) == 1024 * 1024

    item = validate_line(interaction_line(body=body), default_region="GB", now=NOW)

    assert item.body == body


def test_body_one_byte_over_one_megabyte_is_rejected() -> None:
    body = "é" * (512 * 1024) + "!"

    assert errors_of(interaction_line(body=body)) == [
        ("body", "is larger than 1 MB; attach large content elsewhere")
    ]


def test_occurred_at_is_converted_to_utc() -> None:
    item = validate_line(
        interaction_line(occurred_at="2026-11-02T09:15:00-05:00"), default_region="GB", now=NOW
    )

    assert item.occurred_at == datetime(2026, 11, 2, 14, 15, tzinfo=UTC)
    assert item.occurred_at.tzinfo is UTC


def test_occurred_at_exactly_one_day_ahead_is_accepted() -> None:
    item = validate_line(
        interaction_line(occurred_at="2026-11-21T12:00:00Z"), default_region="GB", now=NOW
    )

    assert item.occurred_at == datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_numeric_ids_and_phone_numbers_are_read_as_text() -> None:
    data = interaction_line(external_id=48213, customer={"phone": 2079460958, "crm_id": 1042})

    item = validate_line(data, default_region="GB", now=NOW)

    assert item.external_id == "48213"
    assert item.identifiers == [
        IdentifierInput("phone", "2079460958", "+442079460958"),
        IdentifierInput("crm_id", "1042", "1042"),
    ]


def test_phone_numbers_without_country_code_use_the_default_region() -> None:
    data = interaction_line(customer={"phone": "(415) 555-2671"})

    item = validate_line(data, default_region="US", now=NOW)

    assert item.identifiers == [IdentifierInput("phone", "(415) 555-2671", "+14155552671")]


def test_source_is_trimmed() -> None:
    item = validate_line(interaction_line(source=" zendesk "), default_region="GB", now=NOW)

    assert item.source == "zendesk"


def test_null_optional_fields_count_as_absent() -> None:
    data = interaction_line(subject=None, body=None, attributes=None, source=None)

    item = validate_line(data, default_region="GB", now=NOW)

    assert (item.source, item.subject, item.body, item.attributes) == (None, "", "", {})


def test_customer_details_are_read_and_checked() -> None:
    item = validate_line(
        interaction_line(
            customer={
                "email": "ann@example.org",
                "birth_date": "1971-06-24",
                "address": "  12  Mill Lane ",
                "postcode": "ls1 4ap",
                "city": "Leeds",
            }
        ),
        default_region="GB",
        now=NOW,
    )
    assert item.details == {
        "birth_date": date(1971, 6, 24),
        "address": "12 Mill Lane",
        "postcode": "LS1 4AP",
        "city": "Leeds",
    }
    assert errors_of(
        interaction_line(customer={"email": "a@example.org", "birth_date": "24/06/1971"})
    ) == [("customer.birth_date", "'24/06/1971' is not a date (YYYY-MM-DD)")]
    assert errors_of(
        interaction_line(customer={"email": "a@example.org", "birth_date": "2030-01-01"})
    ) == [("customer.birth_date", "'2030-01-01' is not a possible birth date")]
    placeholder = validate_line(
        interaction_line(customer={"email": "a@example.org", "city": "N/A", "birth_date": "?"}),
        default_region="GB",
        now=NOW,
    )
    assert placeholder.details == {}
