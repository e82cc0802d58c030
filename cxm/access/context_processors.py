"""``can`` in every console template: ``{% if can.customer_merge %}``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cxm.access.selectors import actor_permissions, actor_role


def access(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can": {}, "role": None}
    return {
        "can": {p.name.lower(): True for p in actor_permissions(user)},
        "role": actor_role(user),
    }
