from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cxm.access import privacy
from cxm.errors import CXMError


class Command(BaseCommand):
    help = "Export everything CXM holds about one customer, or erase it."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write the customer's data as JSON.")
        export.add_argument("customer", type=int, help="customer id")
        export.add_argument("--output", "-o", help="file to write (default: standard output)")
        erase = sub.add_parser(
            "erase", help="Delete or anonymise the customer's personal data in every table."
        )
        erase.add_argument("customer", type=int, help="customer id")
        erase.add_argument("--reason", default="", help="why (e.g. the request's reference)")
        erase.add_argument("--yes", action="store_true", help="really erase: this cannot be undone")
        sub.add_parser("handlers", help="List what each table does on export and erasure.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "export":
                document = privacy.customer_export(actor=None, customer_id=options["customer"])
                text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
                if options["output"]:
                    Path(options["output"]).write_text(text, encoding="utf-8")
                    self.stderr.write(f"Wrote {options['output']}")
                else:
                    sys.stdout.write(text)
                summary = ", ".join(f"{k}: {v}" for k, v in document["summary"].items())
                self.stderr.write(
                    f"Customer {document['customer_id']} "
                    f"(rows {document['customer_ids']}): {summary}"
                )
            elif options["action"] == "erase":
                if not options["yes"]:
                    raise CommandError(
                        "erasing cannot be undone; run `cxm privacy export` first if the "
                        "customer asked for a copy, then add --yes"
                    )
                report = privacy.customer_erase(
                    actor=None, customer_id=options["customer"], reason=options["reason"]
                )
                counts = ", ".join(f"{k}: {v}" for k, v in report.counts.items())
                self.stdout.write(
                    f"Erased customer {report.customer_id} (rows {report.customer_ids}): {counts}"
                )
            else:
                for label, handler in sorted(privacy.handlers().items()):
                    self.stdout.write(f"{label:32} {handler.erasure}")
                for label, reason in sorted(privacy.not_personal().items()):
                    self.stdout.write(f"{label:32} nothing personal: {reason}")
        except CXMError as exc:
            raise CommandError(exc.message) from None
