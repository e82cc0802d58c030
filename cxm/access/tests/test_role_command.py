from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from cxm.access.enums import AuditAction
from cxm.access.models import AuditEvent, Membership, Team
from cxm.access.permissions import Permission
from cxm.access.selectors import actor_can, actor_team_ids


@pytest.mark.django_db
def test_role_set_gives_the_role_and_teams_and_is_audited() -> None:
    user = User.objects.create_user("ada")
    out = io.StringIO()

    call_command("role", "set", "ada", "agent", "--team", "North", "--team", "South", stdout=out)

    membership = Membership.objects.get(user=user)
    assert membership.role == "agent"
    assert sorted(Team.objects.values_list("name", flat=True)) == ["North", "South"]
    assert actor_team_ids(user) == set(Team.objects.values_list("id", flat=True))
    assert actor_can(user, Permission.CUSTOMER_MERGE)
    assert not actor_can(user, Permission.PRIVACY_ERASE)
    assert (
        out.getvalue()
        == "ada is now agent: case.view, case.work, customer.merge, customer.view, follow_up.work, "
        "promise.view, promise.work\n"
    )
    assert AuditEvent.objects.get().action == AuditAction.ROLE_CHANGED


@pytest.mark.django_db
def test_role_remove_leaves_the_user_with_nothing() -> None:
    user = User.objects.create_user("ada")
    call_command("role", "set", "ada", "analyst", stdout=io.StringIO())

    call_command("role", "remove", "ada", stdout=io.StringIO())

    assert not Membership.objects.exists()
    assert not actor_can(User.objects.get(pk=user.pk), Permission.CUSTOMER_VIEW)
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db
def test_role_set_names_an_unknown_user() -> None:
    with pytest.raises(CommandError, match="there is no user 'nobody'"):
        call_command("role", "set", "nobody", "agent", stdout=io.StringIO())
