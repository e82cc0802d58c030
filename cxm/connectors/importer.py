"""``cxm import``: stream a CSV or NDJSON file of any size through the ingestion path.

Each chunk of rows commits together with the run's checkpoint (byte offset,
line, counts, size of the rejects file), so an import stopped by a crash or
Ctrl-C resumes exactly where the last chunk ended: nothing lost, nothing twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from django.utils import timezone

from cxm.connectors.models import ImportRun, Source
from cxm.interactions import services as interaction_services
from cxm.interactions.parsing import (
    CountingLines,
    CsvHeaderError,
    LineProblem,
    csv_columns,
    decode_ndjson_line,
    iter_csv_rows,
)
from cxm.interactions.services import IngestResult, SourcePolicy

FINGERPRINT_BYTES = 1024 * 1024


class ImportError_(Exception):
    """A problem with the file as a whole (not one row)."""


@dataclass
class ImportSummary:
    run: ImportRun
    resumed_from_line: int
    rejects_path: Path

    @property
    def accepted(self) -> int:
        return self.run.accepted

    @property
    def duplicates(self) -> int:
        return self.run.duplicates

    @property
    def rejected(self) -> int:
        return self.run.rejected


def detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if ".csv" in suffixes:
        return "csv"
    if ".ndjson" in suffixes or ".jsonl" in suffixes or ".json" in suffixes:
        return "ndjson"
    raise ImportError_(
        f"cannot tell the format of '{path.name}': name it .csv, .ndjson or .jsonl, "
        "or pass --format"
    )


def fingerprint(path: Path) -> str:
    """Size plus a hash of the file's first megabyte: a changed file is a new import."""
    digest = hashlib.sha256()
    digest.update(str(path.stat().st_size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(FINGERPRINT_BYTES))
    return digest.hexdigest()


def rejects_path_for(path: Path, file_format: str) -> Path:
    return path.with_name(path.name + ".rejected.ndjson")


def import_file(
    *,
    path: Path,
    source: Source | None,
    file_format: str | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = interaction_services.CHUNK_SIZE,
    restart: bool = False,
) -> ImportSummary:
    """Import ``path``; resume a previous interrupted run of the same file."""
    path = path.resolve()
    if not path.is_file():
        raise ImportError_(f"'{path}' does not exist or is not a file")
    with path.open("rb") as head:
        start = head.read(4)
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportError_(
            f"'{path.name}' is UTF-16 text; save it as UTF-8 (CXM reads UTF-8 files)"
        )
    file_format = file_format or detect_format(path)
    if file_format not in {"csv", "ndjson"}:
        raise ImportError_(f"unknown format '{file_format}'; use csv or ndjson")
    run, _ = ImportRun.objects.get_or_create(
        path=str(path), fingerprint=fingerprint(path), defaults={"file_format": file_format}
    )
    if restart:
        ImportRun.objects.filter(pk=run.pk).update(
            byte_offset=0,
            line_number=0,
            rejects_offset=0,
            accepted=0,
            duplicates=0,
            rejected=0,
            finished_at=None,
        )
        run.refresh_from_db()
    rejects = rejects_path_for(path, file_format)
    summary = ImportSummary(run=run, resumed_from_line=run.line_number, rejects_path=rejects)
    if run.finished_at is not None:
        return summary

    policy = SourcePolicy(default=source, bound=False)
    # The rejects file is cut back to what the last committed chunk had written.
    mode = "r+b" if rejects.exists() else "w+b"
    with path.open("rb") as stream, rejects.open(mode) as rejects_out:
        rejects_out.truncate(run.rejects_offset)
        rejects_out.seek(run.rejects_offset)
        if progress is not None and run.byte_offset:
            progress(run.byte_offset)
        if file_format == "csv":
            records = _csv_records(stream, run)
        else:
            records = _ndjson_records(stream, run)

        position = {"offset": run.byte_offset, "line": run.line_number}

        def tracked() -> Iterator[tuple[int, Any]]:
            for number, record, offset, end_line in records:
                position["pending_offset"] = offset
                position["pending_line"] = end_line
                yield number, record

        def checkpoint(result: IngestResult, chunk: list[tuple[int, Any]]) -> None:
            for rejected in result.rejected:
                rejects_out.write(
                    orjson.dumps(
                        {"line": rejected.line, "field": rejected.field, "reason": rejected.message}
                    )
                    + b"\n"
                )
            rejects_out.flush()
            os.fsync(rejects_out.fileno())
            new_offset = position["pending_offset"]
            run.byte_offset = new_offset
            run.line_number = position["pending_line"]
            run.rejects_offset = rejects_out.tell()
            run.accepted += result.accepted
            run.duplicates += result.duplicates
            run.rejected += len({r.line for r in result.rejected})
            run.save()
            if progress is not None:
                progress(new_offset - position["offset"])
            position["offset"] = new_offset

        interaction_services.interactions_ingest(
            records=tracked(), policy=policy, chunk_size=chunk_size, on_chunk=checkpoint
        )
        # Trailing blank lines or an all-bad final stretch leave nothing to checkpoint.
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at", "updated_at"])
    return summary


def _ndjson_records(
    stream: io.BufferedIOBase, run: ImportRun
) -> Iterator[tuple[int, Any, int, int]]:
    stream.seek(run.byte_offset)
    offset, number = run.byte_offset, run.line_number
    for raw in stream:
        offset += len(raw)
        number += 1
        stripped = raw.strip()
        if not stripped:
            continue
        if number == 1 and stripped.startswith(b"\xef\xbb\xbf"):
            stripped = stripped[3:]
        yield number, decode_ndjson_line(stripped), offset, number


def _csv_records(stream: io.BufferedIOBase, run: ImportRun) -> Iterator[tuple[int, Any, int, int]]:
    header_lines = CountingLines(stream)
    try:
        header_row = next(_csv_reader(header_lines), None)
    except csv.Error as exc:
        raise ImportError_(f"line 1: is not valid CSV: {exc}") from None
    if header_row is None:
        raise ImportError_("the CSV file is empty; the first line must name the columns")
    try:
        mapping = csv_columns(header_row)
    except CsvHeaderError as exc:
        raise ImportError_(f"line 1: {exc}") from None
    if run.byte_offset:
        stream.seek(run.byte_offset)
        lines = CountingLines(stream, offset=run.byte_offset, line=run.line_number)
    else:
        lines = header_lines
    for number, record, offset in iter_csv_rows(lines, mapping):
        yield number, record, offset, lines.line


def _csv_reader(lines: CountingLines) -> Iterator[list[str]]:
    for row in csv.reader(lines, strict=True):
        if isinstance(row, list):
            yield [
                v.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
                for v in row
            ]
        return


__all__ = ["ImportError_", "ImportSummary", "LineProblem", "import_file"]
