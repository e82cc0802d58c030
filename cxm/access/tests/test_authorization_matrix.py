"""Every role, every route, an object the role may not see: 403 or 404, nothing written.

Generated from the URL configuration (``cxm.access.routes``), so a new route is
covered the day it is added. For each actor and each route it may not use, the
answer is a refusal; for a route it may use, a team-scoped actor asks for the
other team's object and gets 404, or, on a list, does not see it. Each request
runs against a snapshot of every table, which must come out unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from cxm.access.permissions import (
    PUBLIC,
    ROLE_PERMISSIONS,
    TEAM_SCOPED_ROLES,
    TOKEN_SCOPE_PERMISSIONS,
)
from cxm.access.routes import ALL_METHODS, Route, all_routes
from cxm.access.tests.conftest import World
from cxm.connectors.auth import ConsoleSession

ACTORS = ["anonymous", "norole", *ROLE_PERMISSIONS, "token:ingest", "token:read"]
# Path arguments naming objects that belong to no team (a survey): a team-scoped
# role may open them, and what it reads through them must leave out the other
# team's customers.
UNOWNED = {"survey_id"}
SKIPPED_TABLES = {"sessions.Session"}


def snapshot() -> dict[str, list[Any]]:
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values_list())
        for model in apps.get_models()
        if model._meta.label not in SKIPPED_TABLES
    }


def _kwargs(route: Route, world: World) -> dict[str, Any]:
    """Path arguments naming an object the team-scoped roles may not see."""
    model: Any = None
    if route.kind == "admin" and route.name:
        for registered in admin.site._registry:
            meta = registered._meta
            if route.name.startswith(f"admin:{meta.app_label}_{meta.model_name}_"):
                model = registered
    values: dict[str, Any] = {}
    for param in route.params:
        if param == "customer_id":
            values[param] = world.sam.pk
        elif param == "proposal_id":
            values[param] = world.proposal.pk
        elif param == "event_id":
            values[param] = world.merge.pk
        elif param == "follow_up_id":
            values[param] = world.follow_up.pk
        elif param == "survey_id":
            values[param] = world.survey.pk
        elif param == "suggestion_id":
            values[param] = world.suggestion.pk
        elif param == "case_id":
            from cxm.cases.models import Case as CaseRow

            values[param] = CaseRow.objects.filter(customer=world.sam).values_list("pk", flat=True)[
                0
            ]
        elif param == "promise_id":
            values[param] = world.promise.pk
        elif param == "promise_suggestion_id":
            values[param] = world.promise_suggestion.pk
        elif param == "alert_id":
            values[param] = world.promise.alerts.order_by("pk").values_list("pk", flat=True)[0]
        elif param == "purchase_id":
            values[param] = world.purchase.pk
        elif param == "rule_id":  # company-wide: journey stage rules
            from cxm.journeys.models import StageRule

            values[param] = StageRule.objects.order_by("pk").values_list("pk", flat=True)[0]
        elif param in ("kind", "product", "component"):  # company-wide settings
            values[param] = {"kind": "installation", "product": "fibre-500"}.get(param, "promises")
        elif param == "channel":  # company-wide: the charter, service-level policies
            values[param] = "email"
        elif param == "priority":
            values[param] = 3
        elif param == "key":  # a topic of the taxonomy
            values[param] = "billing"
        elif param == "object_id" and model is None:  # the admin's "view on site"
            values[param] = world.sam.pk
        elif param == "object_id":
            hidden = world.sam if model._meta.label == "customers.Customer" else None
            first = hidden or model._default_manager.order_by("pk").first()
            values[param] = first.pk if first is not None else 1
        elif param == "id":
            values[param] = world.users["agent"].pk
        elif param == "content_type_id":
            values[param] = ContentType.objects.get_for_model(world.sam).pk
        elif param == "app_label":
            values[param] = "customers"
        elif param == "url":
            values[param] = "nothing-here/"
        else:  # pragma: no cover - a new kind of path argument
            raise AssertionError(f"{route.path}: no object for path argument '{param}'")
    return values


def _url(route: Route, world: World) -> str:
    if route.name is None:
        return "/" + route.path.replace("(?P<url>.*)$", "nothing-here/").lstrip("^")
    return reverse(route.name, kwargs=_kwargs(route, world))


@dataclass
class Case:
    actor: str
    route: Route
    method: str


def _cases(actor: str) -> list[Case]:
    cases: list[Case] = []
    for route in all_routes():
        if route.permission == PUBLIC:
            continue
        if actor.startswith("token:") and route.kind != "api":
            continue
        methods = ("GET", "POST") if route.methods == ALL_METHODS else route.methods
        cases.extend(Case(actor, route, method) for method in methods)
    return cases


def _client(actor: str, world: World) -> tuple[Client, dict[str, Any]]:
    client = Client()
    headers: dict[str, Any] = {}
    if actor.startswith("token:"):
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[actor.removeprefix('token:')]}"
    elif actor != "anonymous":
        client.force_login(world.users[actor])
    return client, headers


def _allowed(actor: str, route: Route) -> bool:
    if actor == "anonymous" or actor == "norole":
        return False
    if actor.startswith("token:"):
        return route.permission in TOKEN_SCOPE_PERMISSIONS[actor.removeprefix("token:")]
    if route.kind == "api":
        path_sessions = _session_auth(route)
        if not path_sessions:
            return False
    return route.permission in ROLE_PERMISSIONS[actor]


def _session_auth(route: Route) -> bool:
    from django.urls import get_resolver

    from cxm.access.routes import _path_view

    match = get_resolver().resolve("/" + route.path.replace("<customer_id>", "1"))
    path_view = _path_view(match.func)
    assert path_view is not None
    return any(
        isinstance(callback, ConsoleSession)
        for operation in path_view.operations
        for callback in operation.auth_callbacks
    )


def _refused(actor: str, route: Route, status: int, location: str) -> bool:
    if route.kind == "admin":
        # Django's admin sends everyone it refuses to its own sign-in page
        # (and a refused sign-out to its index, which then does the same).
        return status == 302 and (location.startswith("/admin/login/") or location == "/admin/")
    if actor == "anonymous":
        if route.kind == "api":
            return status == 401
        return status == 302 and location.startswith("/login/")
    if route.kind == "api" and not actor.startswith("token:") and not _session_auth(route):
        return status == 401  # a token-only operation: a console session is no credential
    return status in (403, 404)


@pytest.mark.parametrize("actor", ACTORS)
def test_no_actor_reaches_what_it_may_not_see(world: World, actor: str) -> None:
    client, headers = _client(actor, world)
    checked: list[str] = []
    failures: list[str] = []
    for case in _cases(actor):
        route, method = case.route, case.method
        allowed = _allowed(actor, route)
        team_scoped = actor in TEAM_SCOPED_ROLES
        if allowed and not team_scoped:
            continue  # may use it, and sees every customer: nothing hidden to probe
        url = _url(route, world)
        if allowed and not route.params:
            url += "?q=sam.south@example.org"
        before = snapshot()
        # An allowed list page may redirect (the home page to the search): follow it.
        if allowed and not route.params and method == "GET":
            response = client.get(url, follow=True, **headers)
        else:
            response = client.generic(method, url, **headers)
        after = snapshot()
        label = f"{actor} {method} {url} -> {response.status_code}"
        checked.append(label)
        if before != after:
            changed = [table for table in before if before[table] != after[table]]
            failures.append(f"{label}: wrote to {changed}")
            continue
        if allowed and route.params and set(route.params) <= UNOWNED:
            # Nothing written (checked above), nothing of the other team shown: the
            # request itself may be refused for its empty body.
            ok = response.status_code in (200, 422) and _hides_sam(response, world)
        elif allowed and route.params:
            ok = response.status_code == 404
        elif allowed and method != "GET":
            # A creation with an empty body: refused as such, nothing written.
            ok = response.status_code == 422
        elif allowed:
            body = response.content.decode()
            ok = (
                response.status_code == 200
                and "Southgate" not in body
                and (str(world.sam.pk) not in _ids(response))
            )
        else:
            ok = _refused(actor, route, response.status_code, response.get("Location", ""))
        if not ok:
            failures.append(label)

    print(f"authorization matrix: {actor}: {len(checked)} cases")  # shown with pytest -s
    assert failures == []
    assert checked, "this actor had no case to check"


def _hides_sam(response: Any, world: World) -> bool:
    body = response.content.decode()
    return "Southgate" not in body and "sam.south" not in body


def _ids(response: Any) -> set[str]:
    """The customers a JSON list shows: each item's customer_id, or its id on the
    customers API itself. Items about no customer (settings, rules) show none."""
    if not response.get("Content-Type", "").startswith("application/json"):
        return set()
    items = response.json().get("items", [])
    if response.request["PATH_INFO"].startswith("/api/v1/customers"):
        return {str(item["id"]) for item in items}
    return {str(item["customer_id"]) for item in items if "customer_id" in item}


def test_the_matrix_covers_every_non_public_route(world: World) -> None:
    covered = {(case.route.path, case.method) for actor in ACTORS for case in _cases(actor)}
    expected = {
        (route.path, method)
        for route in all_routes()
        if route.permission != PUBLIC
        for method in (("GET", "POST") if route.methods == ALL_METHODS else route.methods)
    }

    assert covered == expected
