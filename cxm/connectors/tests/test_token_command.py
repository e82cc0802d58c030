from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from cxm.connectors.models import ApiToken, Source
from cxm.connectors.services import token_authenticate, token_hash


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
