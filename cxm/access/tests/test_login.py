"""Signing in: Argon2 hashes, lockout after failures, rate limits, an audit row each time."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from cxm.access.enums import AuditAction, Role
from cxm.access.models import AuditEvent
from cxm.access.services import membership_set

PASSWORD = "a-long-test-passphrase"


@pytest.fixture
def agent_user(db: None) -> User:
    user = User.objects.create_user("ada", password=PASSWORD)
    membership_set(user=user, role=Role.AGENT)
    return user


def _sign_in(client: Client, username: str, password: str, ip: str = "203.0.113.7") -> Any:
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_passwords_are_stored_as_argon2(agent_user: User) -> None:
    assert agent_user.password.startswith("argon2$argon2id$")


def test_a_successful_sign_in_is_audited_with_the_address(agent_user: User) -> None:
    response = _sign_in(Client(), "ada", PASSWORD)

    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_SUCCEEDED)
    assert (event.actor_id, event.actor_label, event.ip, event.object_id) == (
        agent_user.pk,
        "ada",
        "203.0.113.7",
        str(agent_user.pk),
    )


def test_a_failed_sign_in_is_audited_and_says_nothing_about_the_account(
    agent_user: User,
) -> None:
    wrong_password = _sign_in(Client(), "ada", "not-it")
    no_such_user = _sign_in(Client(), "nobody", "not-it")

    assert wrong_password.status_code == no_such_user.status_code == 200
    assert b"That username and password do not match" in wrong_password.content
    assert b"That username and password do not match" in no_such_user.content
    failures = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).order_by("id")
    assert [(e.actor_label, e.ip, e.detail) for e in failures] == [
        ("ada", "203.0.113.7", {"username": "ada"}),
        ("nobody", "203.0.113.7", {"username": "nobody"}),
    ]


def test_five_failures_lock_the_account_from_that_address(agent_user: User) -> None:
    client = Client()
    for _ in range(4):
        assert _sign_in(client, "ada", "not-it").status_code == 200

    locked = _sign_in(client, "ada", "not-it")
    # Even the right password is refused while the lockout lasts.
    still_locked = _sign_in(client, "ada", PASSWORD)

    assert locked.status_code == still_locked.status_code == 429
    assert locked["Retry-After"] == "900"
    assert b"Too many failed sign-ins" in still_locked.content
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_LOCKED).count() == 2
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN_SUCCEEDED).exists()
    # Another address is not locked out of the same account.
    assert _sign_in(Client(), "ada", PASSWORD, ip="198.51.100.9").status_code == 302


def test_sign_in_attempts_are_rate_limited_per_address(settings: Any, agent_user: User) -> None:
    settings.CXM_RATE_LOGIN = "3/m"
    client = Client()
    answers = [_sign_in(client, f"user{n}", "x").status_code for n in range(3)]

    limited = _sign_in(client, "ada", PASSWORD)

    assert answers == [200, 200, 200]
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert b"Too many sign-in attempts from your address" in limited.content
    assert _sign_in(Client(), "ada", PASSWORD, ip="198.51.100.9").status_code == 302


def test_signing_out_is_audited(agent_user: User) -> None:
    client = Client()
    client.force_login(agent_user)

    response = client.post("/logout/", REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=agent_user).count() == 1


def test_console_pages_carry_a_content_security_policy_without_inline_script(
    agent_user: User,
) -> None:
    client = Client()
    client.force_login(agent_user)

    response = client.get("/customers/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert b"<script" not in response.content
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_ingestion_is_rate_limited_per_token(
    settings: Any, post_bulk: Any, line: Any, ingest_token: str, source: Any
) -> None:
    from cxm.connectors import services as connector_services

    settings.CXM_RATE_INGEST = "2/m"
    other = connector_services.token_create(source=source, scope="ingest").secret
    answers = [post_bulk([line(external_id=str(n))]).status_code for n in range(2)]

    limited = post_bulk([line(external_id="3")])

    assert answers == [200, 200]
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited.json()["code"] == "rate_limited"
    # Another integration's token is not held back by this one.
    assert post_bulk([line(external_id="4")], token=other).status_code == 200


def test_console_forms_and_session_api_calls_need_the_csrf_token(agent_user: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_user)

    sign_out = client.post("/logout/")
    merge = client.post("/merge-proposals/1/accept/", {"note": "x"})
    api_erase = client.post(
        "/api/v1/customers/1/erase", data={"confirm": True}, content_type="application/json"
    )

    assert sign_out.status_code == merge.status_code == api_erase.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.LOGOUT).exists()
