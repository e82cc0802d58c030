"""Writes on access: roles and teams, and the audit trail every other app writes to."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from cxm.access.enums import AuditAction, Role
from cxm.access.models import AuditEvent, AuditPurgePermit, Membership, Team
from cxm.access.selectors import Actor, _is_token
from cxm.errors import ValidationFailed


def actor_label(actor: Actor) -> str:
    if actor is None:
        return "CXM"
    if _is_token(actor):
        return f"token {actor.prefix}… ({actor.source.name}, {actor.scope})"
    if getattr(actor, "is_authenticated", False):
        return str(actor.get_username())
    return "anonymous"


def audit_record(
    *,
    action: AuditAction,
    actor: Actor = None,
    ip: str | None = None,
    object_type: str = "",
    object_id: Any = "",
    detail: dict[str, Any] | None = None,
    label: str | None = None,
) -> AuditEvent:
    """Append one row to the audit trail. ``detail`` must hold no personal data."""
    user = actor if actor is not None and isinstance(actor, User) else None
    return AuditEvent.objects.create(
        at=timezone.now(),
        action=action,
        actor=user if user is not None and user.pk else None,
        actor_label=(label or actor_label(actor))[:200],
        ip=ip or None,
        object_type=object_type,
        object_id=str(object_id) if object_id not in (None, "") else "",
        detail=detail or {},
    )


def team_get_or_create(*, name: str) -> Team:
    clean = " ".join(name.split())
    if not clean or len(clean) > 100:
        raise ValidationFailed("A team needs a name of 1 to 100 characters", code="bad_team")
    team, _ = Team.objects.get_or_create(name=clean)
    return team


@transaction.atomic
def membership_set(
    *,
    user: User,
    role: str,
    teams: Iterable[Team] = (),
    actor: Actor = None,
    ip: str | None = None,
) -> Membership:
    """Give ``user`` a role (and its teams), writing the change to the audit trail."""
    if role not in Role.values:
        raise ValidationFailed(
            f"unknown role '{role}'; use one of " + ", ".join(Role.values), code="bad_role"
        )
    membership = Membership.objects.filter(user=user).first()
    before = (
        {
            "role": membership.role,
            "teams": sorted(membership.teams.values_list("id", flat=True)),
        }
        if membership
        else None
    )
    if membership is None:
        membership = Membership(user=user, role=role)
    membership.role = role
    membership.full_clean(exclude=["user"])
    membership.save()
    team_list = list(teams)
    membership.teams.set(team_list)
    audit_record(
        action=AuditAction.ROLE_CHANGED,
        actor=actor,
        ip=ip,
        object_type="user",
        object_id=user.pk,
        detail={
            "before": before,
            "after": {"role": role, "teams": sorted(t.pk for t in team_list)},
        },
    )
    return membership


@transaction.atomic
def membership_remove(*, user: User, actor: Actor = None, ip: str | None = None) -> None:
    deleted, _ = Membership.objects.filter(user=user).delete()
    if deleted:
        audit_record(
            action=AuditAction.ROLE_CHANGED,
            actor=actor,
            ip=ip,
            object_type="user",
            object_id=user.pk,
            detail={"after": None},
        )


@transaction.atomic
def audit_purge(*, before: datetime) -> int:
    """Delete audit rows older than ``before``: the only delete the triggers allow."""
    permit = AuditPurgePermit.objects.create(before=before)
    deleted, _ = AuditEvent.objects.filter(at__lt=before).delete()
    permit.delete()
    return deleted
