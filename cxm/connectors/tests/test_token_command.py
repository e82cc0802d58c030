from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cxm.access.models import AuditEvent
from cxm.connectors.models import ApiToken, Source
from cxm.connectors.services import token_authenticate, token_create, token_hash
from cxm.errors import ValidationFailed


@pytest.mark.django_db
def test_token_create_prints_the_secret_once_and_stores_only_its_hash() -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("token", "create", "--source", "genesys", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    assert secret.startswith("cxm_")
    assert "shown once" in err.getvalue()

    token = ApiToken.objects.get()
    assert token.source == Source.objects.get(name="genesys")
    assert token.scope == "ingest"
    assert token.token_hash == token_hash(secret)
    assert secret not in {token.prefix, token.token_hash}
    assert token_authenticate(secret=secret) == token


@pytest.mark.django_db
def test_token_revoke_stops_the_token_working() -> None:
    out = io.StringIO()
    call_command(
        "token",
        "create",
        "--source",
        "genesys",
        "--scope",
        "read",
        stdout=out,
        stderr=io.StringIO(),
    )
    secret = out.getvalue().strip()
    call_command("token", "revoke", secret[:12], stdout=io.StringIO())
    assert token_authenticate(secret=secret) is None


@pytest.mark.django_db
def test_token_create_refuses_a_source_name_that_is_not_a_slug() -> None:
    with pytest.raises(CommandError, match="is not a source name"):
        call_command(
            "token", "create", "--source", "Zen Desk", stdout=io.StringIO(), stderr=io.StringIO()
        )
    assert not Source.objects.exists()


def _create(*args: str) -> str:
    out = io.StringIO()
    call_command("token", "create", "--source", "genesys", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


@pytest.mark.django_db
def test_a_token_stops_working_when_it_expires() -> None:
    secret = _create("--expires-in-days", "30")
    token = ApiToken.objects.get()

    assert token_authenticate(secret=secret) == token
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert token_authenticate(secret=secret) is None
    out = io.StringIO()
    call_command("token", "list", stdout=out)
    assert " expired " in out.getvalue()


@pytest.mark.django_db
def test_rotation_gives_a_new_secret_and_lets_the_old_one_run_out() -> None:
    old_secret = _create("--scope", "read", "--expires-in-days", "90")
    old = ApiToken.objects.get()
    out, err = io.StringIO(), io.StringIO()

    call_command("token", "rotate", old.prefix, "--grace-hours", "2", stdout=out, stderr=err)

    new_secret = out.getvalue().strip()
    new = ApiToken.objects.exclude(pk=old.pk).get()
    old.refresh_from_db()
    assert new_secret != old_secret and new.token_hash == token_hash(new_secret)
    assert (new.source_id, new.scope) == (old.source_id, "read")
    assert old.rotated_to == new
    assert old.expires_at is not None and new.expires_at is not None
    assert timedelta(hours=1, minutes=59) < old.expires_at - timezone.now() <= timedelta(hours=2)
    assert timedelta(days=89) < new.expires_at - timezone.now() <= timedelta(days=90)
    # Both work during the grace period; then only the new one.
    assert token_authenticate(secret=old_secret) == old
    assert token_authenticate(secret=new_secret) == new
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now())
    assert token_authenticate(secret=old_secret) is None
    assert token_authenticate(secret=new_secret) == new
    with pytest.raises(CommandError, match="already revoked or rotated"):
        call_command("token", "rotate", old.prefix, stdout=io.StringIO(), stderr=io.StringIO())
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "object_id"))
    assert actions == [("token.created", str(old.pk)), ("token.rotated", str(old.pk))]


@pytest.mark.django_db
def test_token_create_refuses_an_expiry_in_the_past() -> None:
    with pytest.raises(CommandError, match="must expire in the future"):
        _create("--expires-in-days", "0")
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_an_expired_token_gets_401_from_the_api(client: Any) -> None:
    secret = _create("--scope", "read")
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    response = client.get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 401


@pytest.mark.django_db
def test_token_lifetimes_and_grace_periods_have_sane_bounds() -> None:
    with pytest.raises(CommandError, match="10 years at most"):
        _create("--expires-in-days", "1000000000")
    with pytest.raises(ValidationFailed, match="10 years at most"):
        token_create(source=Source.objects.create(name="crm"), expires_in=timedelta(days=4000))
    _create()
    prefix = ApiToken.objects.get().prefix
    with pytest.raises(CommandError, match="between 0 and 720 hours"):
        call_command("token", "rotate", prefix, "--grace-hours", "nan", stdout=io.StringIO())
    with pytest.raises(CommandError, match="between 0 and 720 hours"):
        call_command("token", "rotate", prefix, "--grace-hours", "1e9", stdout=io.StringIO())
    assert ApiToken.objects.count() == 1
