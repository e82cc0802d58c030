from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from cxm.connectors import importer, services
from cxm.errors import CXMError


class Command(BaseCommand):
    help = (
        "Import interactions from a CSV or NDJSON file of any size. Rejected rows are "
        "written beside the file with their line and reason. Run it again after a crash "
        "or Ctrl-C: it resumes where it stopped, without duplicating anything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--source", help="Source for rows that name none (created if it does not exist)"
        )
        parser.add_argument("--format", choices=["csv", "ndjson"], dest="file_format")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")
        parser.add_argument(
            "--restart",
            action="store_true",
            help="Read the file from the start again (stored rows are still not duplicated)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        source = None
        try:
            if options["source"]:
                source = services.source_get_or_create(name=options["source"])
        except CXMError as exc:
            raise CommandError(exc.message) from None
        if not path.is_file():
            raise CommandError(f"'{path}' does not exist or is not a file")
        # A terminal's Ctrl-C and a supervisor's SIGTERM both end the import
        # between two statements; the chunk in flight rolls back.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        bar = tqdm(
            total=path.stat().st_size,
            unit="B",
            unit_scale=True,
            desc=path.name,
            disable=options["no_progress"] or None,
            file=sys.stderr,
        )
        try:
            summary = importer.import_file(
                path=path,
                source=source,
                file_format=options["file_format"],
                progress=bar.update,
                restart=options["restart"],
            )
        except importer.ImportError_ as exc:
            raise CommandError(str(exc)) from None
        except KeyboardInterrupt:
            bar.close()
            self.stderr.write(
                "Interrupted. Everything up to the last saved chunk is stored; run the same "
                "command again to resume."
            )
            sys.exit(130)
        finally:
            bar.close()
        run = summary.run
        if summary.resumed_from_line:
            self.stdout.write(f"Resumed after line {summary.resumed_from_line}.")
        self.stdout.write(
            f"{path.name}: {run.accepted} accepted, {run.duplicates} duplicates, "
            f"{run.rejected} rejected"
        )
        if run.rejected:
            self.stdout.write(f"Rejected rows and reasons: {summary.rejects_path}")
        elif summary.rejects_path.exists() and summary.rejects_path.stat().st_size == 0:
            summary.rejects_path.unlink()
