"""Signing in and out of the console, with every attempt in the audit trail."""

from __future__ import annotations

import math
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cxm.access import services
from cxm.access.decorators import public_view, request_ip
from cxm.access.enums import AuditAction
from cxm.access.throttles import LoginThrottle


def _too_many(request: HttpRequest, *, retry_after: float | None, message: str) -> HttpResponse:
    seconds = max(1, math.ceil(retry_after or 60))
    response = render(
        request,
        "registration/too_many.html",
        {"message": message, "retry_after": seconds},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


class LoginView(auth_views.LoginView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        throttle = LoginThrottle()
        if not throttle.allow_request(request):
            return _too_many(
                request,
                retry_after=throttle.wait(),
                message="Too many sign-in attempts from your address.",
            )
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        services.audit_record(
            action=AuditAction.LOGIN_SUCCEEDED,
            actor=form.get_user(),
            ip=request_ip(self.request),
            object_type="user",
            object_id=form.get_user().pk,
        )
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        username = str(form.data.get("username", ""))[:150]
        services.audit_record(
            action=AuditAction.LOGIN_FAILED,
            ip=request_ip(self.request),
            label=username or "anonymous",
            object_type="user",
            detail={"username": username},
        )
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            services.audit_record(
                action=AuditAction.LOGOUT,
                actor=request.user,
                ip=request_ip(request),
                object_type="user",
                object_id=request.user.pk,
            )
        return super().post(request, *args, **kwargs)


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """What django-axes answers once an account or address is locked out."""
    from axes.helpers import get_client_username, get_cool_off

    username = str(get_client_username(request, credentials) or "")[:150]
    services.audit_record(
        action=AuditAction.LOGIN_LOCKED,
        ip=request_ip(request),
        label=username or "anonymous",
        object_type="user",
        detail={"username": username},
    )
    cool_off = get_cool_off(request)
    return _too_many(
        request,
        retry_after=cool_off.total_seconds() if cool_off else None,
        message="Too many failed sign-ins for this account from your address.",
    )


login = public_view(LoginView.as_view())
logout = public_view(LogoutView.as_view())
