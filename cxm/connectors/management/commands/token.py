from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cxm.connectors import services
from cxm.connectors.models import ApiToken, TokenScope
from cxm.errors import CXMError


class Command(BaseCommand):
    help = "Create, list or revoke API tokens of a source."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Print a new token once; only its hash is kept.")
        create.add_argument("--source", required=True, help="Name of the sending system")
        create.add_argument(
            "--scope",
            default=TokenScope.INGEST,
            choices=TokenScope.values,
            help="ingest (send interactions), read (read customers) or admin (both)",
        )
        sub.add_parser("list", help="List tokens (prefixes only).")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "create":
                source = services.source_get_or_create(name=options["source"])
                issued = services.token_create(source=source, scope=options["scope"])
                self.stderr.write(
                    f"Token for source '{source.name}' (scope {issued.token.scope}). "
                    "It is shown once; store it now."
                )
                self.stdout.write(issued.secret)
            elif action == "list":
                for token in ApiToken.objects.select_related("source").order_by("created_at"):
                    state = "revoked" if token.revoked_at else "active"
                    self.stdout.write(
                        f"{token.prefix}…  {token.source.name:20} {token.scope:7} {state:8} "
                        f"created {token.created_at:%Y-%m-%d %H:%M}"
                    )
            elif action == "revoke":
                tokens = list(ApiToken.objects.filter(prefix=options["prefix"]))
                if len(tokens) != 1:
                    raise CommandError(f"no single token has the prefix '{options['prefix']}'")
                services.token_revoke(token=tokens[0])
                self.stdout.write(f"Revoked {tokens[0].prefix}…")
        except CXMError as exc:
            raise CommandError(exc.message) from None
