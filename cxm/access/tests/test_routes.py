"""Deny by default: every route in the URL configuration declares its permission."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from cxm.access.permissions import PUBLIC, Permission
from cxm.access.routes import _routes, all_routes


def test_every_route_declares_a_permission() -> None:
    undeclared = [f"{r.path} ({r.name})" for r in all_routes() if r.permission is None]

    assert undeclared == []


def test_every_declared_permission_is_one_cxm_knows() -> None:
    known = {PUBLIC, *Permission}

    assert {r.permission for r in all_routes()} <= known


def test_the_walk_finds_console_api_and_admin_routes() -> None:
    routes = {r.name: r for r in all_routes()}

    assert routes["console:customer-detail"].permission == Permission.CUSTOMER_VIEW
    assert routes["console:merge-proposal-accept"].methods == ("POST",)
    assert routes["console:merge-proposal-accept"].permission == Permission.CUSTOMER_MERGE
    assert routes["api:customer_timeline"].permission == Permission.CUSTOMER_VIEW
    assert routes["api:interaction_bulk_create"].permission == Permission.INTERACTION_INGEST
    assert routes["admin:customers_customer_change"].permission == Permission.ACCESS_MANAGE
    assert routes["admin:auth_user_password_change"].permission == Permission.ACCESS_MANAGE
    assert routes["login"].permission == PUBLIC
    assert routes["admin:login"].permission == PUBLIC
    assert routes["console:voice"].permission == Permission.FEEDBACK_VIEW
    assert routes["console:follow-up-close"].methods == ("POST",)
    assert routes["console:follow-up-close"].permission == Permission.FOLLOW_UP_WORK
    assert routes["console:sentiment-label"].permission == Permission.SENTIMENT_LABEL
    assert routes["console:suggestion-adopt"].permission == Permission.TOPIC_MANAGE
    assert routes["console:queue"].permission == Permission.CASE_VIEW
    assert routes["console:case-reply"].methods == ("POST",)
    assert routes["console:case-reply"].permission == Permission.CASE_WORK
    assert routes["console:fairness"].permission == Permission.SERVICE_REPORT_VIEW
    assert routes["console:scorecards"].permission == Permission.SERVICE_REPORT_VIEW
    assert routes["console:charter-save"].permission == Permission.CHANNEL_MANAGE
    # Only the sign-in pages, the API schema and its docs, the channel charter (on
    # the API and in the console), and the survey pages a customer opens from the
    # link CXM sent (the secret token is the credential) are open to everyone.
    assert sorted(str(r.name) for r in all_routes() if r.permission == PUBLIC) == [
        "admin:login",
        "api:api-root",
        "api:charter",
        "api:openapi-json",
        "api:openapi-view",
        "console:charter",
        "feedback:survey-answer",
        "feedback:survey-dismiss",
        "login",
        "logout",
    ]


def test_a_view_without_a_declaration_is_reported() -> None:
    def forgotten(request: HttpRequest) -> HttpResponse:
        return HttpResponse("customer data")

    routes = list(_routes([path("forgotten/<int:customer_id>/", forgotten, name="forgotten")]))

    assert [(r.path, r.permission, r.params) for r in routes] == [
        ("forgotten/<int:customer_id>/", None, ["customer_id"])
    ]
