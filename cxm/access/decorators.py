"""Declaring the permission each console view needs, and checking it.

The declaration is an attribute on the view (``cxm_permission``) that
``cxm/access/tests/test_routes.py`` reads for every route in the URL
configuration: a route without one fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from cxm.access.permissions import PUBLIC, Permission
from cxm.access.selectors import actor_require
from cxm.errors import NotFound, PermissionDenied

View = Callable[..., HttpResponse]


def request_ip(request: HttpRequest) -> str | None:
    """The client address; behind ``CXM_PROXY_COUNT`` proxies, read from X-Forwarded-For."""
    proxies = getattr(settings, "CXM_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR") or None


def console_view(
    permission: Permission, *, methods: tuple[str, ...] = ("GET",)
) -> Callable[[View], View]:
    """Sign-in and ``permission`` required, only ``methods`` served; selectors
    check the object itself.

    A missing object, or one the user may not see, is a 404 either way, so that
    guessing ids tells nothing.
    """

    def decorate(view: View) -> View:
        @require_http_methods(list(methods))
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                actor_require(request.user, permission)
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from None
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(exc.message) from None

        wrapper.cxm_permission = permission  # type: ignore[attr-defined]
        wrapper.cxm_methods = methods  # type: ignore[attr-defined]
        return wrapper

    return decorate


def public_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """Declares a route that anyone may reach (the sign-in page)."""
    view.cxm_permission = PUBLIC  # type: ignore[attr-defined]
    return view
