"""Shared test fixtures. Tests run on the database DATABASE_URL names (SQLite by default)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.connectors import services as connector_services
from cxm.connectors.models import Source, TokenScope


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Any) -> None:
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
    settings.CXM_PHONE_REGION = "GB"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Each test's database starts without a match model; a model cached by an
    # earlier test in this process (its row rolled back, its id free again)
    # must not be used.
    from cxm.customers.resolution import model_cache_clear

    model_cache_clear()
    # Likewise the sentiment model and taxonomy that the insights app caches.
    from cxm.insights.services import cache_clear

    cache_clear()


@pytest.fixture
def source(db: None) -> Source:
    return connector_services.source_get_or_create(name="zendesk")


@pytest.fixture
def ingest_token(source: Source) -> str:
    return connector_services.token_create(source=source, scope=TokenScope.INGEST).secret


@pytest.fixture
def read_token(source: Source) -> str:
    return connector_services.token_create(source=source, scope=TokenScope.READ).secret


@pytest.fixture
def admin_token(source: Source) -> str:
    return connector_services.token_create(source=source, scope=TokenScope.ADMIN).secret


@pytest.fixture
def agent(db: None) -> User:
    user = User.objects.create_user("agent", password="a-long-test-passphrase")
    access_services.membership_set(user=user, role=Role.AGENT)
    return user


@pytest.fixture
def agent_client(agent: User) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def interaction_line(**overrides: Any) -> dict[str, Any]:
    """A valid interaction line, as in the API documentation, with overrides."""
    line: dict[str, Any] = {
        "source": "zendesk",
        "external_id": "48213",
        "channel": "email",
        "direction": "inbound",
        "occurred_at": "2026-11-02T09:15:00+01:00",
        "customer": {
            "email": "Ann.Lee@example.org",
            "phone": "+44 20 7946 0958",
            "crm_id": "C-1042",
            "twitter": "@annlee",
            "name": "Ann Lee",
        },
        "subject": "Router keeps dropping",
        "body": "Since Tuesday the connection drops every evening.",
        "attributes": {"plan": "fibre-500"},
    }
    line.update(overrides)
    return line


@pytest.fixture
def line() -> Callable[..., dict[str, Any]]:
    return interaction_line


@pytest.fixture
def post_bulk(client: Client, ingest_token: str) -> Callable[..., Any]:
    def post(lines: list[Any] | bytes, token: str | None = None) -> Any:
        if isinstance(lines, bytes):
            body = lines
        else:
            body = "\n".join(
                item if isinstance(item, str) else json.dumps(item) for item in lines
            ).encode()
        return client.post(
            "/api/v1/interactions/bulk",
            data=body,
            content_type="application/x-ndjson",
            HTTP_AUTHORIZATION=f"Bearer {token or ingest_token}",
        )

    return post


def database_url_for_subprocess() -> str:
    """A DATABASE_URL that points a ``cxm`` subprocess at this test's database."""
    from django.db import connection

    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture
def subprocess_env(transactional_db: None, tmp_path: Any) -> dict[str, str]:
    """Environment for a ``cxm`` subprocess that shares this test's database."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["DATABASE_URL"] = database_url_for_subprocess()
    env["CXM_DATA_DIR"] = str(tmp_path / "cxm-data")
    env["DJANGO_SETTINGS_MODULE"] = "cxm.settings"
    return env


def cxm_executable() -> str:
    import sys
    from pathlib import Path

    return str(Path(sys.executable).parent / "cxm")


def ingest_customer_line(
    source: Source, external_id: str, customer: dict[str, Any], **fields: Any
) -> int:
    """Send one interaction for ``customer`` through the ingestion service; its customer id."""
    from cxm.interactions.services import SourcePolicy, interactions_ingest

    line = {
        "external_id": external_id,
        "channel": "email",
        "direction": "inbound",
        "occurred_at": "2026-11-02T09:15:00+00:00",
        "customer": customer,
        **fields,
    }
    result = interactions_ingest(
        records=[(1, line)], policy=SourcePolicy(default=source, bound=True), keep_outcomes=True
    )
    assert not result.rejected, result.rejected
    return result.outcomes[0].customer_id
