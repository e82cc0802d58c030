from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from cxm.conftest import cxm_executable
from cxm.connectors.importer import ImportError_, import_file
from cxm.connectors.models import ImportRun, Source
from cxm.customers.models import Customer, MergeProposal
from cxm.interactions.models import Interaction

CHANNELS = "phone, sms, email, chat, social, web, in_person, other"


def ndjson(*lines: Any) -> bytes:
    return b"".join(
        (line if isinstance(line, bytes) else json.dumps(line).encode()) + b"\n" for line in lines
    )


def row(external_id: str, email: str, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "external_id": external_id,
        "channel": "email",
        "direction": "inbound",
        "occurred_at": "2026-11-02T09:15:00+00:00",
        "customer": {"email": email},
    }
    data.update(fields)
    return data


def rejects_of(path: Path) -> list[dict[str, Any]]:
    rejects = path.with_name(path.name + ".rejected.ndjson")
    return [json.loads(line) for line in rejects.read_bytes().splitlines()]


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("import", *args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


CSV_FILE = (
    b"external_id,channel,direction,occurred_at,email,phone,name,body,attributes.plan\n"
    b'c1,email,inbound,2026-11-02T09:15:00+01:00,Ann@Example.org,,Ann Lee,"Hello,\n'
    b'second line",fibre-500\n'
    b"c2,fax,inbound,2026-11-02T09:15:00Z,bob@example.org,,,,\n"
    b"c3,phone,outbound,2026-11-02T10:00:00Z,,020 7946 0958,,,\n"
    b"c4,email,inbound,2026-11-02T10:00:00Z,not-an-email,,,,\n"
    b"c5,email,inbound\n"
    b"\n"
    b"c1,email,inbound,2026-11-02T09:15:00Z,ann@example.org,,,,\n"
    b"c6,sms,inbound,2026-11-02T11:00:00Z,ann@example.org,+442079460958,,caf\xe9,\n"
    b"c7,sms,inbound,2026-11-02T11:00:00Z,ann@example.org,+442079460958,,,\n"
)
CSV_REJECTS = [
    {
        "line": 4,
        "field": "channel",
        "reason": f"unknown channel 'fax'; expected one of {CHANNELS}",
    },
    {"line": 6, "field": "customer.email", "reason": "'not-an-email' is not a valid email address"},
    {"line": 7, "field": "(line)", "reason": "has 3 fields but the header has 9 columns"},
    {"line": 10, "field": "(line)", "reason": "is not valid UTF-8; CXM reads UTF-8 text"},
]

NDJSON_FILE = ndjson(
    b"\xef\xbb\xbf" + json.dumps(row("n1", "Ann@Example.org", source="helpdesk")).encode(),
    row("n2", "ann@example.org", channel="pigeon"),
    b'{"external_id": "n3", ',
    b"",
    '{"external_id": "n5", "subject": "caf\u00e9"}'.encode("latin-1"),
    row("n6", "bob@example.org", occurred_at="2026-11-02 09:15"),
    row("n7", "bob@example.org", channel="chat"),
    row("n1", "ann@example.org", source="helpdesk"),
    [1, 2],
)
NDJSON_REJECTS = [
    {
        "line": 2,
        "field": "channel",
        "reason": f"unknown channel 'pigeon'; expected one of {CHANNELS}",
    },
    {
        "line": 3,
        "field": "(line)",
        "reason": "is not valid JSON: unexpected end of data: line 1 column 22 (char 21)",
    },
    {
        "line": 5,
        "field": "(line)",
        "reason": "is not valid UTF-8 (byte 0xe9 at position 37); CXM reads UTF-8 text",
    },
    {
        "line": 6,
        "field": "occurred_at",
        "reason": "'2026-11-02 09:15' has no time zone; add an offset such as +01:00 or Z so CXM "
        "knows when it happened",
    },
    {"line": 9, "field": "(line)", "reason": "must be a JSON object, not a list"},
]


# ---- whole files ---------------------------------------------------------


def test_csv_import_stores_good_rows_and_writes_the_rejects_beside_the_file(
    tmp_path: Path, source: Source
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(CSV_FILE)

    summary = import_file(path=path, source=source)

    assert (summary.accepted, summary.duplicates, summary.rejected) == (3, 1, 4)
    assert summary.rejects_path == tmp_path / "contacts.csv.rejected.ndjson"
    assert rejects_of(path) == CSV_REJECTS
    first = Interaction.objects.get(external_id="c1")
    assert (first.body, first.attributes, first.source) == (
        "Hello,\nsecond line",
        {"plan": "fibre-500"},
        source,
    )
    assert sorted(Interaction.objects.values_list("external_id", "channel")) == [
        ("c1", "email"),
        ("c3", "phone"),
        ("c7", "sms"),
    ]
    # c7 carried Ann's email and the phone of c3's customer: a proposal, not a merge.
    assert Customer.objects.count() == 2
    assert MergeProposal.objects.count() == 1
    run = ImportRun.objects.get()
    assert (run.path, run.file_format, run.line_number, run.byte_offset) == (
        str(path),
        "csv",
        11,
        len(CSV_FILE),
    )
    assert run.finished_at is not None


def test_ndjson_import_stores_good_lines_and_writes_the_rejects_beside_the_file(
    tmp_path: Path, source: Source
) -> None:
    path = tmp_path / "contacts.ndjson"
    path.write_bytes(NDJSON_FILE)

    summary = import_file(path=path, source=source)

    assert (summary.accepted, summary.duplicates, summary.rejected) == (2, 1, 5)
    assert rejects_of(path) == NDJSON_REJECTS
    assert sorted(Interaction.objects.values_list("external_id", "source__name")) == [
        ("n1", "helpdesk"),
        ("n7", "zendesk"),
    ]
    run = ImportRun.objects.get()
    assert (run.file_format, run.line_number, run.byte_offset) == (
        "ndjson",
        9,
        len(NDJSON_FILE),
    )


@pytest.mark.parametrize(
    ("name", "content"), [("contacts.csv", CSV_FILE), ("contacts.jsonl", NDJSON_FILE)]
)
def test_importing_the_same_file_again_creates_nothing(
    tmp_path: Path, source: Source, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    first = import_file(path=path, source=source)
    rejects = first.rejects_path.read_bytes()
    interactions = sorted(Interaction.objects.values_list("id", "customer_id"))
    customers = Customer.objects.count()

    again = import_file(path=path, source=source)
    restarted = import_file(path=path, source=source, restart=True)
    copy = tmp_path / f"copy-{name}"
    copy.write_bytes(content)
    copied = import_file(path=copy, source=source)

    assert again.run.pk == first.run.pk
    assert (again.accepted, again.duplicates, again.rejected) == (
        first.accepted,
        first.duplicates,
        first.rejected,
    )
    assert restarted.accepted == 0
    assert restarted.duplicates == first.accepted + first.duplicates
    assert restarted.rejected == first.rejected
    assert (copied.accepted, copied.duplicates) == (0, restarted.duplicates)
    assert sorted(Interaction.objects.values_list("id", "customer_id")) == interactions
    assert Customer.objects.count() == customers
    assert first.rejects_path.read_bytes() == rejects
    assert copied.rejects_path.read_bytes() == rejects
    assert ImportRun.objects.count() == 2


# ---- the command ---------------------------------------------------------


def test_command_reports_counts_and_where_the_rejects_are(tmp_path: Path, db: None) -> None:
    path = tmp_path / "contacts.ndjson"
    path.write_bytes(NDJSON_FILE)

    output = run_command(str(path), "--source", "legacy-crm")

    assert output == (
        "contacts.ndjson: 2 accepted, 1 duplicates, 5 rejected\n"
        f"Rejected rows and reasons: {path}.rejected.ndjson\n"
    )
    assert sorted(Interaction.objects.values_list("external_id", "source__name")) == [
        ("n1", "helpdesk"),
        ("n7", "legacy-crm"),
    ]


def test_command_removes_an_empty_rejects_file(tmp_path: Path, db: None) -> None:
    path = tmp_path / "clean.ndjson"
    path.write_bytes(ndjson(row("1", "a@example.org"), row("2", "b@example.org")))

    output = run_command(str(path), "--source", "zendesk")

    assert output == "clean.ndjson: 2 accepted, 0 duplicates, 0 rejected\n"
    assert not (tmp_path / "clean.ndjson.rejected.ndjson").exists()


def test_command_reads_the_format_option_over_the_file_name(tmp_path: Path, db: None) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes(b"external_id,email,channel\n1,a@example.org,web\n")

    output = run_command(str(path), "--format", "csv", "--source", "zendesk")

    assert output == "export.txt: 0 accepted, 0 duplicates, 1 rejected\n" + (
        f"Rejected rows and reasons: {path}.rejected.ndjson\n"
    )
    assert rejects_of(path) == [
        {"line": 2, "field": "direction", "reason": "is required: inbound or outbound"},
        {
            "line": 2,
            "field": "occurred_at",
            "reason": "is required (an ISO 8601 time with its time zone)",
        },
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param(
            "bad.csv",
            b"external_id,colour,email\n1,red,a@example.org\n",
            "line 1: column 2 'colour' is not an interaction field; use address, automated, "
            "birth_date, body, channel, chat_visitor, city, company, crm_id, direction, email, "
            "external_id, "
            "facebook, instagram, kind, name, occurred_at, other, phone, postcode, source, "
            "subject, twitter, youtube or attributes.NAME",
            id="unknown CSV column",
        ),
        pytest.param(
            "noid.csv",
            b"external_id,name\n1,Ann\n",
            "line 1: the header has no customer identifier column "
            "(email, phone, crm_id, twitter, ...)",
            id="no identifier column",
        ),
        pytest.param(
            "quote.csv",
            b'"external_id,email\n1,a@example.org\n',
            "line 1: is not valid CSV: unexpected end of data",
            id="header not valid CSV",
        ),
        pytest.param(
            "empty.csv",
            b"",
            "the CSV file is empty; the first line must name the columns",
            id="empty CSV",
        ),
        pytest.param(
            "wide.csv",
            "external_id,email\n".encode("utf-16"),
            "'wide.csv' is UTF-16 text; save it as UTF-8 (CXM reads UTF-8 files)",
            id="UTF-16",
        ),
        pytest.param(
            "contacts.xlsx",
            b"PK",
            "cannot tell the format of 'contacts.xlsx': name it .csv, .ndjson or .jsonl, "
            "or pass --format",
            id="unknown format",
        ),
    ],
)
def test_command_refuses_a_file_it_cannot_read(
    tmp_path: Path, db: None, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(CommandError) as caught:
        run_command(str(path), "--source", "zendesk")

    assert str(caught.value) == message
    assert Interaction.objects.count() == 0


def test_command_refuses_a_missing_file_and_a_bad_source_name(tmp_path: Path, db: None) -> None:
    missing = tmp_path / "missing.csv"
    present = tmp_path / "present.csv"
    present.write_bytes(b"email\n")

    with pytest.raises(CommandError) as no_file:
        run_command(str(missing))
    with pytest.raises(CommandError) as bad_source:
        run_command(str(present), "--source", "Legacy CRM")

    assert str(no_file.value) == f"'{missing}' does not exist or is not a file"
    assert str(bad_source.value) == (
        "'Legacy CRM' is not a source name; use lowercase letters, digits, - and _ "
        "(for example 'legacy-crm')"
    )


def test_import_file_refuses_a_directory(tmp_path: Path, db: None) -> None:
    with pytest.raises(ImportError_) as caught:
        import_file(path=tmp_path, source=None)

    assert str(caught.value) == f"'{tmp_path}' does not exist or is not a file"


# ---- interrupted imports -------------------------------------------------


def numbered_rows(count: int, *, bad_every: int, duplicate_every: int) -> list[dict[str, Any]]:
    """Rows 1..count; every ``bad_every``-th has no direction, every ``duplicate_every``-th
    repeats the external id of the row before it."""
    rows = []
    for number in range(1, count + 1):
        external_id = f"r{number - 1}" if number % duplicate_every == 0 else f"r{number}"
        data = row(external_id, f"person{number % 97}@example.org")
        if number % bad_every == 0:
            data["direction"] = "sideways"
        rows.append(data)
    return rows


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    if path.suffix == ".ndjson":
        path.write_bytes(ndjson(*rows))
        return
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["external_id", "channel", "direction", "occurred_at", "email", "body"])
    for data in rows:
        # A quoted two-line body in every row: resuming must count physical lines right.
        writer.writerow(
            [
                data["external_id"],
                data["channel"],
                data["direction"],
                data["occurred_at"],
                data["customer"]["email"],
                f"first line of {data['external_id']}\nsecond line",
            ]
        )
    path.write_text(out.getvalue())


def expected_outcome(
    rows: list[dict[str, Any]], *, first_line: int, lines_per_row: int
) -> tuple[int, int, list[int]]:
    """(accepted, duplicates, sorted line numbers of the bad rows)."""
    seen: set[str] = set()
    accepted = duplicates = 0
    bad_lines = []
    for index, data in enumerate(rows):
        if data["direction"] != "inbound":
            bad_lines.append(first_line + index * lines_per_row)
        elif data["external_id"] in seen:
            duplicates += 1
        else:
            seen.add(data["external_id"])
            accepted += 1
    return accepted, duplicates, bad_lines


def file_layout(suffix: str) -> dict[str, int]:
    # NDJSON: one line per row from line 1; CSV: a header, then two lines per row.
    return (
        {"first_line": 1, "lines_per_row": 1}
        if suffix == ".ndjson"
        else {
            "first_line": 2,
            "lines_per_row": 2,
        }
    )


@pytest.mark.parametrize("suffix", [".ndjson", ".csv"])
def test_an_import_stopped_by_ctrl_c_resumes_without_duplicates_or_losses(
    tmp_path: Path, source: Source, suffix: str
) -> None:
    path = tmp_path / f"big{suffix}"
    rows = numbered_rows(95, bad_every=7, duplicate_every=10)
    write_rows(path, rows)
    accepted, duplicates, bad_lines = expected_outcome(rows, **file_layout(suffix))
    calls = []

    def stop_at_the_second_chunk(advanced: int) -> None:
        calls.append(advanced)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(path=path, source=source, chunk_size=20, progress=stop_at_the_second_chunk)

    run = ImportRun.objects.get()
    assert run.finished_at is None
    assert Interaction.objects.count() == run.accepted
    assert run.accepted + run.duplicates + run.rejected == 20
    stopped_at = run.line_number

    resumed = import_file(path=path, source=source, chunk_size=20)

    assert resumed.resumed_from_line == stopped_at
    assert (resumed.accepted, resumed.duplicates, resumed.rejected) == (
        accepted,
        duplicates,
        len(bad_lines),
    )
    assert Interaction.objects.count() == accepted
    assert Interaction.objects.values("external_id").distinct().count() == accepted
    assert [reject["line"] for reject in rejects_of(path)] == bad_lines
    assert resumed.run.finished_at is not None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("suffix", [".ndjson", ".csv"])
def test_an_import_killed_mid_file_resumes_without_duplicates_or_losses(
    tmp_path: Path, subprocess_env: dict[str, str], suffix: str
) -> None:
    path = tmp_path / f"crash{suffix}"
    rows = numbered_rows(4000, bad_every=251, duplicate_every=400)
    write_rows(path, rows)
    accepted, duplicates, bad_lines = expected_outcome(rows, **file_layout(suffix))
    env = {**subprocess_env, "CXM_PHONE_REGION": "GB"}
    command = [cxm_executable(), "import", str(path), "--source", "legacy", "--no-progress"]

    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not ImportRun.objects.filter(line_number__gt=0).exists():
            if child.poll() is not None:
                _, errors = child.communicate()
                pytest.fail(f"cxm import ended before it could be killed:\n{errors.decode()}")
            assert time.monotonic() < deadline, "no chunk was committed in time"
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.communicate()

    run = ImportRun.objects.get()
    assert run.finished_at is None
    assert 0 < run.accepted < accepted
    # A chunk's rows and its checkpoint commit together.
    assert Interaction.objects.count() == run.accepted

    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == (
        f"Resumed after line {run.line_number}.\n"
        f"{path.name}: {accepted} accepted, {duplicates} duplicates, {len(bad_lines)} rejected\n"
        f"Rejected rows and reasons: {path}.rejected.ndjson\n"
    )
    assert Interaction.objects.count() == accepted
    assert Interaction.objects.values("external_id").distinct().count() == accepted
    assert Customer.objects.count() == 97
    assert rejects_of(path) == [
        {
            "line": line,
            "field": "direction",
            "reason": "unknown direction 'sideways'; expected inbound or outbound",
        }
        for line in bad_lines
    ]
    run.refresh_from_db()
    assert (run.accepted, run.duplicates, run.rejected) == (accepted, duplicates, len(bad_lines))
