from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from cxm.interactions.parsing import (
    CountingLines,
    CsvHeaderError,
    LineProblem,
    csv_columns,
    csv_row_to_record,
    decode_ndjson_line,
    iter_csv_rows,
    iter_ndjson,
)

CSV_COLUMNS_HINT = (
    "address, automated, birth_date, body, channel, chat_visitor, city, company, crm_id, "
    "direction, email, "
    "external_id, facebook, instagram, kind, name, occurred_at, other, phone, postcode, source, "
    "subject, twitter, youtube or attributes.NAME"
)


def read_csv(data: bytes) -> list[tuple[int, Any, int]]:
    lines = CountingLines(io.BytesIO(data))
    header = next(csv.reader(lines))
    return list(iter_csv_rows(lines, csv_columns(header)))


# ---- NDJSON --------------------------------------------------------------


def test_ndjson_lines_are_numbered_from_one_and_blank_lines_skipped() -> None:
    lines = [b'{"a": 1}\n', b"\n", b"   \r\n", b'{"b": [1, 2]}\r\n', b"[3]"]

    assert list(iter_ndjson(lines)) == [(1, {"a": 1}), (4, {"b": [1, 2]}), (5, [3])]


def test_ndjson_numbering_can_start_elsewhere() -> None:
    assert list(iter_ndjson([b'{"a": 1}'], first_line=41)) == [(41, {"a": 1})]


def test_malformed_json_line_becomes_a_problem_and_the_next_line_is_still_read() -> None:
    records = list(iter_ndjson([b'{"a": 1}', b'{"a": ', b'{"a": 3}']))

    assert records == [
        (1, {"a": 1}),
        (
            2,
            LineProblem(
                "(line)", "is not valid JSON: unexpected end of data: line 1 column 6 (char 5)"
            ),
        ),
        (3, {"a": 3}),
    ]


def test_latin1_bytes_are_reported_with_their_position() -> None:
    latin1 = '{"name": "café"}'.encode("latin-1")

    records = list(iter_ndjson([b'{"a": 1}', latin1]))

    assert records == [
        (1, {"a": 1}),
        (
            2,
            LineProblem(
                "(line)",
                "is not valid UTF-8 (byte 0xe9 at position 13); CXM reads UTF-8 text",
            ),
        ),
    ]


def test_byte_order_mark_is_dropped_on_the_first_line_only() -> None:
    bom = b"\xef\xbb\xbf"

    records = list(iter_ndjson([bom + b'{"a": 1}', bom + b'{"a": 2}']))

    assert records == [
        (1, {"a": 1}),
        (
            2,
            LineProblem(
                "(line)",
                "is not valid JSON: UTF-8 byte order mark (BOM) is not supported: "
                "line 1 column 1 (char 0)",
            ),
        ),
    ]


def test_decode_keeps_non_object_values_for_validation_to_judge() -> None:
    assert decode_ndjson_line(b'"just text"') == "just text"
    assert decode_ndjson_line(b"null") is None


# ---- CSV header ----------------------------------------------------------


def test_csv_columns_accept_plain_and_dotted_names() -> None:
    header = [
        "\ufeffExternal_ID",
        "customer.email",
        "Phone",
        "attributes.Plan",
        "attr.tier",
        "body",
    ]

    assert csv_columns(header) == [
        ("top", "external_id"),
        ("customer", "email"),
        ("customer", "phone"),
        ("attr", "Plan"),
        ("attr", "tier"),
        ("top", "body"),
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        pytest.param(
            ["external_id", "email", "Email"],
            "column 3 'Email' appears twice in the header",
            id="duplicate column",
        ),
        pytest.param(
            ["external_id", "colour", "email"],
            f"column 2 'colour' is not an interaction field; use {CSV_COLUMNS_HINT}",
            id="unknown column",
        ),
        pytest.param(
            ["email", "attributes."],
            f"column 2 'attributes.' is not an interaction field; use {CSV_COLUMNS_HINT}",
            id="attribute without a name",
        ),
        pytest.param(
            ["external_id", "channel", "name", "company"],
            "the header has no customer identifier column (email, phone, crm_id, twitter, ...)",
            id="no identifier column",
        ),
        pytest.param(
            [],
            "the header has no customer identifier column (email, phone, crm_id, twitter, ...)",
            id="empty header",
        ),
    ],
)
def test_csv_header_errors_name_the_column(header: list[str], message: str) -> None:
    with pytest.raises(CsvHeaderError) as caught:
        csv_columns(header)

    assert str(caught.value) == message


# ---- CSV rows ------------------------------------------------------------


def test_csv_rows_become_interaction_objects_without_empty_values() -> None:
    header = b"external_id,channel,email,phone,attributes.plan,body\n"
    first = b"1,email,ann@example.org,,fibre-500,hello\n"
    second = b"2,phone,,020 7946 0958,,\n"

    assert read_csv(header + first + second) == [
        (
            2,
            {
                "external_id": "1",
                "channel": "email",
                "body": "hello",
                "customer": {"email": "ann@example.org"},
                "attributes": {"plan": "fibre-500"},
            },
            len(header + first),
        ),
        (
            3,
            {"external_id": "2", "channel": "phone", "customer": {"phone": "020 7946 0958"}},
            len(header + first + second),
        ),
    ]


def test_csv_row_with_the_wrong_field_count_is_a_problem_and_reading_goes_on() -> None:
    data = (
        b"external_id,email,body\n1,a@example.org\n2,b@example.org,hi,extra\n3,c@example.org,ok\n"
    )

    records = read_csv(data)

    assert [(line, record) for line, record, _ in records] == [
        (2, LineProblem("(line)", "has 2 fields but the header has 3 columns")),
        (3, LineProblem("(line)", "has 4 fields but the header has 3 columns")),
        (4, {"external_id": "3", "body": "ok", "customer": {"email": "c@example.org"}}),
    ]


def test_csv_quoted_multi_line_field_keeps_its_newlines_and_the_line_count() -> None:
    data = (
        b"external_id,email,body\n"
        b'1,a@example.org,"first line\nsecond line\n""quoted"" third"\n'
        b"2,b@example.org,after\n"
    )

    records = read_csv(data)

    assert records == [
        (
            2,
            {
                "external_id": "1",
                "body": 'first line\nsecond line\n"quoted" third',
                "customer": {"email": "a@example.org"},
            },
            len(data) - len(b"2,b@example.org,after\n"),
        ),
        (
            5,
            {"external_id": "2", "body": "after", "customer": {"email": "b@example.org"}},
            len(data),
        ),
    ]


def test_csv_blank_rows_are_skipped_but_counted_as_lines() -> None:
    data = b"external_id,email\n\n1,a@example.org\n,\n2,b@example.org\n"

    records = read_csv(data)

    assert [(line, record) for line, record, _ in records] == [
        (3, {"external_id": "1", "customer": {"email": "a@example.org"}}),
        (5, {"external_id": "2", "customer": {"email": "b@example.org"}}),
    ]


def test_csv_bad_quoting_is_a_problem_of_that_row_only() -> None:
    data = b'external_id,email\n1,"a@example.org"x\n2,b@example.org\n'

    records = read_csv(data)

    assert [(line, record) for line, record, _ in records] == [
        (2, LineProblem("(line)", "is not valid CSV: ',' expected after '\"'")),
        (3, {"external_id": "2", "customer": {"email": "b@example.org"}}),
    ]


def test_csv_unterminated_quote_at_the_end_is_a_problem() -> None:
    data = b'external_id,email,body\n1,a@example.org,"never closed\nstill open\n'

    records = read_csv(data)

    assert [(line, record) for line, record, _ in records] == [
        (2, LineProblem("(line)", "is not valid CSV: unexpected end of data")),
    ]


def test_csv_latin1_row_is_rejected_and_its_neighbours_are_kept() -> None:
    data = (
        b"external_id,email,name\n"
        b"1,a@example.org,Ann\n"
        + "2,b@example.org,Zoë\n".encode("latin-1")
        + b"3,c@example.org,Cy\n"
    )

    records = read_csv(data)

    assert [(line, record) for line, record, _ in records] == [
        (2, {"external_id": "1", "customer": {"email": "a@example.org", "name": "Ann"}}),
        (3, LineProblem("(line)", "is not valid UTF-8; CXM reads UTF-8 text")),
        (4, {"external_id": "3", "customer": {"email": "c@example.org", "name": "Cy"}}),
    ]


def test_csv_row_to_record_puts_columns_in_their_place() -> None:
    mapping = [("top", "external_id"), ("customer", "crm_id"), ("attr", "tier")]

    assert csv_row_to_record(mapping, ["9", "C-1", "gold"]) == {
        "external_id": "9",
        "customer": {"crm_id": "C-1"},
        "attributes": {"tier": "gold"},
    }


@pytest.mark.parametrize(
    ("cell", "value"),
    [("true", True), (" Yes ", True), ("1", True), ("FALSE", False), ("no", False), ("0", False)],
)
def test_a_csv_automated_cell_reads_as_true_or_false(cell: str, value: bool) -> None:
    mapping = csv_columns(["external_id", "email", "automated"])

    assert csv_row_to_record(mapping, ["9", "a@example.org", cell])["automated"] is value


def test_a_csv_automated_cell_that_is_no_answer_is_left_for_validation_to_report() -> None:
    mapping = csv_columns(["external_id", "email", "automated"])

    assert csv_row_to_record(mapping, ["9", "a@example.org", "maybe"])["automated"] == "maybe"


def test_counting_lines_track_bytes_and_physical_lines() -> None:
    stream = io.BytesIO("a,b\nçé,d\n".encode())
    lines = CountingLines(stream)

    assert list(lines) == ["a,b\n", "çé,d\n"]
    assert (lines.offset, lines.line) == (11, 2)
