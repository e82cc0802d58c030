from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cxm.access import retention


class Command(BaseCommand):
    help = "Show or apply the retention of each data class (CXM_RETAIN_* settings)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("show", help="Each data class and how long it is kept.")
        sub.add_parser("apply", help="Purge what is older than its retention, now.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "show":
            for data_class in retention.data_classes():
                days = retention.retention_days(data_class)
                kept = f"{days} days" if days is not None else "for ever"
                self.stdout.write(
                    f"{data_class.name:20} {kept:10} ({data_class.setting}): {data_class.what}"
                )
            return
        counts = retention.retention_apply()
        done = ", ".join(f"{name}: {n}" for name, n in counts.items()) or "nothing configured"
        self.stdout.write(f"Retention applied: {done}")
