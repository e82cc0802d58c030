from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cxm.access import services
from cxm.access.enums import Role
from cxm.access.models import Membership
from cxm.access.permissions import ROLE_PERMISSIONS, TEAM_SCOPED_ROLES
from cxm.errors import CXMError


class Command(BaseCommand):
    help = "Give console users their role in CXM (and, for agents and supervisors, their teams)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        give = sub.add_parser("set", help="Set a user's role and teams.")
        give.add_argument("username")
        give.add_argument("role", choices=Role.values)
        give.add_argument(
            "--team",
            action="append",
            default=[],
            help="a team the user works (repeat for several; created if new)",
        )
        sub.add_parser("list", help="Every user with a role.")
        remove = sub.add_parser("remove", help="Take a user's role away (they can do nothing).")
        remove.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "set":
                user = self._user(options["username"])
                teams = [services.team_get_or_create(name=name) for name in options["team"]]
                if options["role"] in TEAM_SCOPED_ROLES and not teams:
                    self.stderr.write(
                        f"Note: a {options['role']} without a team sees only the customers "
                        "no team owns yet; add --team NAME."
                    )
                services.membership_set(user=user, role=options["role"], teams=teams)
                allowed = ", ".join(sorted(ROLE_PERMISSIONS[options["role"]]))
                self.stdout.write(f"{user.username} is now {options['role']}: {allowed}")
            elif options["action"] == "remove":
                services.membership_remove(user=self._user(options["username"]))
                self.stdout.write(f"{options['username']} has no role now")
            else:
                for membership in Membership.objects.select_related("user").prefetch_related(
                    "teams"
                ):
                    names = ", ".join(t.name for t in membership.teams.all()) or "-"
                    self.stdout.write(
                        f"{membership.user.username:20} {membership.role:14} teams: {names}"
                    )
        except CXMError as exc:
            raise CommandError(exc.message) from None

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"there is no user '{username}' (create one: cxm createsuperuser)")
        return user
