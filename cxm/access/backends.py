"""Django's permission checks (the admin's) answered from CXM roles.

An administrator may use every model in the admin; other roles none. The
ModelAdmin classes still forbid what no one may do (editing audit rows).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from cxm.access.permissions import Permission
from cxm.access.selectors import actor_can


class RoleBackend(ModelBackend):
    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if not user_obj.is_active:
            return False
        return actor_can(user_obj, Permission.ACCESS_MANAGE) or super().has_perm(
            user_obj, perm, obj
        )

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        if not user_obj.is_active:
            return False
        return actor_can(user_obj, Permission.ACCESS_MANAGE) or super().has_module_perms(
            user_obj, app_label
        )
