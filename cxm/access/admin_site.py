"""CXM's Django admin: for administrators only, every route declaring that."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver

from cxm.access.decorators import public_view
from cxm.access.permissions import Permission
from cxm.access.selectors import actor_can


class CXMAdminSite(admin.AdminSite):
    site_header = "CXM administration"
    site_title = "CXM administration"
    index_title = "Sources, tokens, customers, roles and the audit trail"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and actor_can(user, Permission.ACCESS_MANAGE))

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        wrapped = super().admin_view(view, cacheable)
        wrapped.cxm_permission = Permission.ACCESS_MANAGE
        return wrapped

    def get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super().get_urls()
        _declare(urls)
        return urls


def _declare(patterns: list[Any]) -> None:
    """Every admin route passed through ``admin_view`` needs ACCESS_MANAGE; Django
    leaves only its sign-in page outside it, which is public."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _declare(pattern.url_patterns)
            continue
        callback = pattern.callback
        if hasattr(callback, "admin_site") or hasattr(callback, "model_admin"):
            callback.cxm_permission = Permission.ACCESS_MANAGE
        elif pattern.name == "login":
            pattern.callback = public_view(_plain(callback))
        # Anything else stays undeclared, and the route test names it.


def _plain(view: Callable[..., Any]) -> Callable[..., Any]:
    def call(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return view(request, *args, **kwargs)

    for attribute in ("csrf_exempt", "login_required"):
        if hasattr(view, attribute):
            setattr(call, attribute, getattr(view, attribute))
    call.__name__ = getattr(view, "__name__", "admin_view")
    return call
