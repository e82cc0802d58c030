from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cxm.connectors import services
from cxm.connectors.models import ApiToken, TokenScope
from cxm.errors import CXMError


def _token_state(token: ApiToken) -> str:
    now = timezone.now()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    if token.rotated_to_id is not None:
        return "rotated"
    return "active"


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of hours") from None
    if not 0 <= value <= 720:
        raise argparse.ArgumentTypeError("must be between 0 and 720 hours (30 days)")
    return value


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of days") from None
    if not 1 <= value <= 3650:
        raise argparse.ArgumentTypeError(
            "a token must expire in the future, and may live 10 years at most (1 to 3650 days)"
        )
    return value


class Command(BaseCommand):
    help = "Create, list, rotate or revoke API tokens of a source."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Print a new token once; only its hash is kept.")
        create.add_argument("--source", required=True, help="Name of the sending system")
        create.add_argument(
            "--scope",
            default=TokenScope.INGEST,
            choices=TokenScope.values,
            help="ingest (send interactions), read (read customers) or admin (everything)",
        )
        create.add_argument(
            "--expires-in-days",
            type=_days,
            help="days until the token stops working (default: until revoked)",
        )
        sub.add_parser("list", help="List tokens (prefixes only) and their state.")
        rotate = sub.add_parser(
            "rotate", help="Print a new token for the same source and scope; the old one expires."
        )
        rotate.add_argument("prefix")
        rotate.add_argument(
            "--grace-hours",
            type=_hours,
            default=24,
            help="hours the old token keeps working, while the sender switches (default 24)",
        )
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix, at once.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "create":
                days = options["expires_in_days"]
                source = services.source_get_or_create(name=options["source"])
                issued = services.token_create(
                    source=source,
                    scope=options["scope"],
                    expires_in=timedelta(days=days) if days is not None else None,
                )
                until = (
                    f", expires {issued.token.expires_at:%Y-%m-%d %H:%M} UTC"
                    if issued.token.expires_at
                    else ""
                )
                self.stderr.write(
                    f"Token for source '{source.name}' (scope {issued.token.scope}{until}). "
                    "It is shown once; store it now."
                )
                self.stdout.write(issued.secret)
            elif action == "list":
                for token in ApiToken.objects.select_related("source").order_by("created_at"):
                    expires = f"{token.expires_at:%Y-%m-%d %H:%M}" if token.expires_at else "never"
                    self.stdout.write(
                        f"{token.prefix}…  {token.source.name:20} {token.scope:7} "
                        f"{_token_state(token):8} created {token.created_at:%Y-%m-%d %H:%M}  "
                        f"expires {expires}"
                    )
            elif action == "rotate":
                old = self._one(options["prefix"])
                issued = services.token_rotate(
                    token=old, grace=timedelta(hours=options["grace_hours"])
                )
                old.refresh_from_db()
                self.stderr.write(
                    f"New token for source '{old.source.name}' (scope {old.scope}); the old one "
                    f"({old.prefix}…) stops working at {old.expires_at:%Y-%m-%d %H:%M} UTC. "
                    "The new one is shown once; store it now."
                )
                self.stdout.write(issued.secret)
            elif action == "revoke":
                token = self._one(options["prefix"])
                services.token_revoke(token=token)
                self.stdout.write(f"Revoked {token.prefix}…")
        except CXMError as exc:
            raise CommandError(exc.message) from None

    def _one(self, prefix: str) -> ApiToken:
        tokens = list(ApiToken.objects.select_related("source").filter(prefix=prefix))
        if len(tokens) != 1:
            raise CommandError(f"no single token has the prefix '{prefix}' (see `cxm token list`)")
        return tokens[0]
