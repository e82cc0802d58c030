"""Console test data: customers that reach the company on several channels.

Everything gets in through the one ingestion service, as in production.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.connectors.models import Source
from cxm.customers.models import Customer, MergeProposal
from cxm.interactions.services import IngestResult, SourcePolicy, interactions_ingest

Ingest = Callable[..., IngestResult]

# The CRM record carries every identifier of Ann Lee, so that the later email,
# SMS, call and tweet, each with one identifier written its own way, all find
# her; the web chat adds a visitor id of its own next to her email.
ANN_CRM = {
    "crm_id": "C-1042",
    "email": "ann.lee@example.org",
    "phone": "+44 20 7946 0958",
    "twitter": "@annlee",
    "name": "Ann Lee",
}

# (source, external_id, channel, direction, occurred_at, customer, subject, body)
ANN_LINES: list[tuple[str, str, str, str, str, dict[str, str], str, str]] = [
    (
        "crm",
        "C-1042",
        "other",
        "inbound",
        "2026-10-01T08:00:00+00:00",
        ANN_CRM,
        "Customer record created",
        "",
    ),
    (
        "zendesk",
        "48213",
        "email",
        "inbound",
        "2026-11-02T09:15:00+01:00",
        {"email": "Ann.Lee@Example.org"},
        "Router keeps dropping",
        "Since Tuesday the connection drops every evening.",
    ),
    (
        "twilio",
        "SM-5501",
        "sms",
        "inbound",
        "2026-11-02T12:30:00+00:00",
        {"phone": "020 7946 0958"},
        "",
        "Still dropping tonight, any news?",
    ),
    (
        "switch",
        "CALL-77",
        "phone",
        "outbound",
        "2026-11-03T10:05:00+00:00",
        {"phone": "+442079460958"},
        "Call back",
        "Engineer booked for Thursday morning.",
    ),
    (
        "sprout",
        "tw-9001",
        "social",
        "inbound",
        "2026-11-03T18:40:00+00:00",
        {"twitter": "https://x.com/AnnLee"},
        "",
        "Third evening without internet.",
    ),
    (
        "webchat",
        "chat-311",
        "chat",
        "inbound",
        "2026-11-05T14:00:00+00:00",
        {"email": "ann.lee@example.org", "chat_visitor": "v-889"},
        "",
        "The line is fine now, thanks!",
    ),
    (
        "zendesk",
        "48214",
        "email",
        "outbound",
        "2026-11-04T09:00:00+00:00",
        {"email": "ann.lee@example.org"},
        "Re: Router keeps dropping",
        "The engineer replaced the line filter; tell us if it drops again.",
    ),
]

# Newest first, as the timeline shows them.
ANN_TIMELINE = ["chat-311", "48214", "tw-9001", "CALL-77", "SM-5501", "48213", "C-1042"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The production hasher is slow on purpose; here it would cost most of each test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ingest(source: Source, line: Callable[..., dict[str, Any]]) -> Ingest:
    """Ingest lines built with ``line(**overrides)``; any source name is accepted."""

    def run(*overrides: dict[str, Any]) -> IngestResult:
        records = [(number, line(**o)) for number, o in enumerate(overrides, start=1)]
        result = interactions_ingest(
            records=records, policy=SourcePolicy(default=source, bound=False)
        )
        assert result.rejected == []
        return result

    return run


def ann_line_overrides() -> list[dict[str, Any]]:
    return [
        {
            "source": src,
            "external_id": external_id,
            "channel": channel,
            "direction": direction,
            "occurred_at": occurred_at,
            "customer": customer,
            "subject": subject,
            "body": body,
            "attributes": {},
        }
        for src, external_id, channel, direction, occurred_at, customer, subject, body in ANN_LINES
    ]


@pytest.fixture
def ann(ingest: Ingest) -> Customer:
    """Ann Lee, reached on email, SMS, phone and social through one CRM record."""
    ingest(*ann_line_overrides())
    return Customer.objects.get(display_name="Ann Lee")


@pytest.fixture
def proposal(ingest: Ingest) -> MergeProposal:
    """Bob (by email) and Robert (by phone), tied together by one chat message."""
    ingest(
        {
            "source": "zendesk",
            "external_id": "B-1",
            "channel": "email",
            "occurred_at": "2026-10-05T10:00:00+00:00",
            "customer": {"email": "bob@example.com", "name": "Bob Stone"},
            "subject": "Invoice question",
        },
        {
            "source": "twilio",
            "external_id": "B-2",
            "channel": "sms",
            "occurred_at": "2026-10-06T10:00:00+00:00",
            "customer": {"phone": "+44 7911 123456", "name": "Robert Stone"},
            "subject": "",
            "body": "Where is my refund?",
        },
    )
    ingest(
        {
            "source": "webchat",
            "external_id": "B-3",
            "channel": "chat",
            "occurred_at": "2026-10-07T10:00:00+00:00",
            "customer": {"email": "bob@example.com", "phone": "07911 123456"},
            "subject": "Refund and invoice",
        }
    )
    return MergeProposal.objects.get()


@pytest.fixture
def viewer(db: None) -> User:
    """May look at customers, may not merge them (an analyst)."""
    user = User.objects.create_user("viewer", password="a-long-test-passphrase")
    access_services.membership_set(user=user, role=Role.ANALYST)
    return user


@pytest.fixture
def viewer_client(viewer: User) -> Client:
    client = Client()
    client.force_login(viewer)
    return client


@pytest.fixture
def stranger_client(db: None) -> Client:
    """Signed in, but without any role in CXM."""
    user = User.objects.create_user("stranger", password="a-long-test-passphrase")
    client = Client()
    client.force_login(user)
    return client
