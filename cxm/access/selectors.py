"""Who may do what: the permission check every view, operation and selector uses."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from cxm.access.enums import Role
from cxm.access.models import AuditEvent, Membership
from cxm.access.permissions import (
    ROLE_PERMISSIONS,
    TEAM_SCOPED_ROLES,
    TOKEN_SCOPE_PERMISSIONS,
    Permission,
)
from cxm.errors import PermissionDenied

# The acting party: a console user, an API token (``connectors.ApiToken``), or
# None for CXM itself (a management command run by the operator, the demo).
Actor = Any


def _is_token(actor: Actor) -> bool:
    return hasattr(actor, "scope") and hasattr(actor, "token_hash")


def actor_role(actor: Actor) -> str | None:
    if actor is None or _is_token(actor):
        return None
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return None
    if actor.is_superuser:
        return Role.ADMINISTRATOR
    membership = _membership(actor)
    return membership.role if membership else None


_UNSET = object()


def _membership(user: User) -> Membership | None:
    # Cached on the user object: a request checks several times.
    cached = getattr(user, "_cxm_membership", _UNSET)
    if cached is _UNSET:
        cached = Membership.objects.filter(user=user).first()
        user._cxm_membership = cached  # type: ignore[attr-defined]
    assert cached is None or isinstance(cached, Membership)
    return cached


def actor_permissions(actor: Actor) -> frozenset[Permission]:
    if actor is None:
        return frozenset(Permission)
    if _is_token(actor):
        return TOKEN_SCOPE_PERMISSIONS.get(actor.scope, frozenset())
    role = actor_role(actor)
    return ROLE_PERMISSIONS.get(role, frozenset()) if role else frozenset()


def actor_can(actor: Actor, permission: Permission) -> bool:
    return permission in actor_permissions(actor)


def actor_require(actor: Actor, permission: Permission) -> None:
    """Raise ``PermissionDenied`` unless the actor holds ``permission``."""
    if actor_can(actor, permission):
        return
    if isinstance(actor, AnonymousUser) or (
        actor is not None and not _is_token(actor) and not actor.is_authenticated
    ):
        raise PermissionDenied("Sign in first")
    if actor_role(actor) is None and not _is_token(actor):
        raise PermissionDenied(
            "Your account has no role in CXM yet; ask an administrator to give you one"
        )
    raise PermissionDenied("Your role does not allow this")


def actor_team_ids(actor: Actor) -> set[int] | None:
    """The teams whose customers the actor may see, or None for every customer."""
    if actor is None or _is_token(actor):
        return None
    role = actor_role(actor)
    if role not in TEAM_SCOPED_ROLES or actor.is_superuser:
        return None
    membership = _membership(actor)
    if membership is None:
        return set()
    cached: set[int] | None = getattr(membership, "_cxm_team_ids", None)
    if cached is None:
        cached = set(membership.teams.values_list("id", flat=True))
        membership._cxm_team_ids = cached  # type: ignore[attr-defined]
    return cached


def customer_visibility(actor: Actor, *, prefix: str = "") -> Q:
    """The condition on customers (reached through ``prefix``) that the actor may see.

    Team-scoped roles see their teams' customers and those no team owns yet.
    """
    team_ids = actor_team_ids(actor)
    if team_ids is None:
        return Q()
    return Q(**{f"{prefix}team__isnull": True}) | Q(**{f"{prefix}team_id__in": team_ids})


def visible_for_update(
    model: type[Any], *, actor: Actor, pk: int, noun: str, via: str = "customer__"
) -> Any:
    """The row ``pk`` of ``model``, locked for update, if its customer (reached
    through ``via``) is one the actor may see; NotFound otherwise, as for a row
    that does not exist."""
    from cxm.errors import NotFound

    if isinstance(pk, bool) or not 0 < pk < 2**62:
        raise NotFound(f"there is no {noun} {pk}")
    row = (
        model.objects.select_for_update(of=("self",))
        .filter(customer_visibility(actor, prefix=via))
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise NotFound(f"there is no {noun} {pk}")
    return row


def audit_list(
    *,
    actor: Actor,
    object_type: str | None = None,
    object_id: str | None = None,
    action: str | None = None,
    limit: int = 200,
) -> QuerySet[AuditEvent]:
    actor_require(actor, Permission.AUDIT_VIEW)
    events = AuditEvent.objects.all()
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if action:
        events = events.filter(action=action)
    return events.order_by("-at", "-id")[:limit]


def user_is_console_user(user: User) -> bool:
    return actor_role(user) is not None
