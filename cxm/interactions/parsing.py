"""Reading NDJSON and CSV input into line-numbered records, one bad line at a time.

A line that cannot be decoded becomes a ``LineProblem`` instead of stopping the
read, so the lines around it still reach the ingestion service.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from cxm.customers.enums import IdentityKind
from cxm.interactions.validation import TOP_LEVEL_FIELDS


@dataclass(frozen=True)
class LineProblem:
    field: str
    message: str


Record = tuple[int, Any]  # (line number, decoded object or LineProblem)


def decode_ndjson_line(raw: bytes) -> Any:
    """One NDJSON line to a Python object, or a ``LineProblem`` saying why not."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return LineProblem(
            "(line)",
            f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start}); "
            "CXM reads UTF-8 text",
        )
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return LineProblem("(line)", f"is not valid JSON: {exc}")


def iter_ndjson(lines: Iterable[bytes], *, first_line: int = 1) -> Iterator[Record]:
    """Line-numbered records from NDJSON lines; blank lines are skipped."""
    for number, raw in enumerate(lines, start=first_line):
        stripped = raw.strip()
        if not stripped:
            continue
        if number == 1 and stripped.startswith(b"\xef\xbb\xbf"):
            stripped = stripped[3:]
        yield number, decode_ndjson_line(stripped)


# ---- CSV -----------------------------------------------------------------

CUSTOMER_DETAIL_COLUMNS = {"name", "company", "kind", "birth_date", "address", "postcode", "city"}
CSV_CUSTOMER_COLUMNS = {k.value for k in IdentityKind} | CUSTOMER_DETAIL_COLUMNS
CSV_PLAIN_COLUMNS = TOP_LEVEL_FIELDS - {"customer", "attributes"}


# A CSV cell is text: a flag column reads these as true or false (anything else
# is reported on its line).
FLAGS = frozenset({"automated"})
CSV_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


class CsvHeaderError(ValueError):
    pass


def csv_columns(header: list[str]) -> list[tuple[str, str]]:
    """Where each CSV column goes: ('top', field), ('customer', field) or ('attr', name).

    Columns may be named plainly (``email``) or with their JSON path
    (``customer.email``, ``attributes.plan``); ``attr.plan`` also works.
    """
    mapping: list[tuple[str, str]] = []
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        column = name.strip().lstrip("\ufeff")
        lower = column.lower()
        if lower in seen:
            raise CsvHeaderError(f"column {position} '{column}' appears twice in the header")
        seen.add(lower)
        if lower in CSV_PLAIN_COLUMNS:
            mapping.append(("top", lower))
        elif lower.removeprefix("customer.") in CSV_CUSTOMER_COLUMNS:
            mapping.append(("customer", lower.removeprefix("customer.")))
        elif lower.startswith(("attributes.", "attr.")) and column.split(".", 1)[1]:
            mapping.append(("attr", column.split(".", 1)[1]))
        else:
            raise CsvHeaderError(
                f"column {position} '{column}' is not an interaction field; use "
                + ", ".join(sorted(CSV_PLAIN_COLUMNS | CSV_CUSTOMER_COLUMNS))
                + " or attributes.NAME"
            )
    if not any(kind == "customer" and f not in CUSTOMER_DETAIL_COLUMNS for kind, f in mapping):
        raise CsvHeaderError(
            "the header has no customer identifier column (email, phone, crm_id, twitter, ...)"
        )
    return mapping


def csv_row_to_record(mapping: list[tuple[str, str]], row: list[str]) -> Any:
    if len(row) != len(mapping):
        return LineProblem(
            "(line)", f"has {len(row)} fields but the header has {len(mapping)} columns"
        )
    for value in row:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return LineProblem("(line)", "is not valid UTF-8; CXM reads UTF-8 text")
    record: dict[str, Any] = {}
    customer: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for (target, name), value in zip(mapping, row, strict=True):
        if value == "":
            continue
        if target == "top":
            record[name] = (
                CSV_BOOLEANS.get(value.strip().lower(), value) if name in FLAGS else value
            )
        elif target == "customer":
            customer[name] = value
        else:
            attributes[name] = value
    record["customer"] = customer
    if attributes:
        record["attributes"] = attributes
    return record


class CountingLines:
    """Feeds decoded lines to ``csv.reader`` while counting bytes and physical lines.

    Bytes that are not UTF-8 are kept as surrogates so the csv module can go on;
    ``csv_row_to_record`` then rejects just that row.
    """

    def __init__(self, stream: io.BufferedIOBase, *, offset: int = 0, line: int = 0) -> None:
        self.stream = stream
        self.offset = offset
        self.line = line

    def __iter__(self) -> CountingLines:
        return self

    def __next__(self) -> str:
        raw = self.stream.readline()
        if not raw:
            raise StopIteration
        self.offset += len(raw)
        self.line += 1
        return raw.decode("utf-8", errors="surrogateescape")


def iter_csv_rows(
    lines: CountingLines, mapping: list[tuple[str, str]]
) -> Iterator[tuple[int, Any, int]]:
    """(first physical line of the row, record, byte offset after the row)."""
    reader = csv.reader(lines, strict=True)
    while True:
        start = lines.line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, LineProblem("(line)", f"is not valid CSV: {exc}"), lines.offset
            continue
        if not row or all(not v.strip() for v in row):
            continue
        yield start, csv_row_to_record(mapping, row), lines.offset
