from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from cxm.access.schedule import schedule_due


class Command(BaseCommand):
    help = (
        "Run CXM's background work: queue the periodic jobs when due (retention, daily) "
        "and run queued tasks. Run one or more next to the web processes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=5, help="seconds between checks (default 5)"
        )
        parser.add_argument(
            "--once", action="store_true", help="queue what is due, run every queued task, exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            queued = schedule_due()
            if queued:
                self.stdout.write(f"Queued: {', '.join(queued)}")
            call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
            if options["once"]:
                return
            time.sleep(options["interval"])
