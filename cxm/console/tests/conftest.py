"""Console test data: customers that reach the company on several channels.

Everything gets in through the one ingestion service, as in production.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import Browser, Page, Response, sync_playwright

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


# The match model's comparisons of John Smith (by email) and Jon Smyth (by
# phone), as cxm.customers.resolution.evidence writes them: the left value is
# the older customer's. Two partial agreements, two exact ones, one
# disagreement and three comparisons without data.
LIKELY_EVIDENCE: list[dict[str, Any]] = [
    {
        "comparison": "first name",
        "left": "john",
        "right": "jon",
        "level": "Jaro-Winkler ≥ 0.92",
        "weight": 3.2,
    },
    {
        "comparison": "surname",
        "left": "smith",
        "right": "smyth",
        "level": "Jaro-Winkler ≥ 0.92",
        "weight": 2.9,
    },
    {
        "comparison": "date of birth",
        "left": "1980-03-14",
        "right": "1980-03-14",
        "level": "exact",
        "weight": 8.4,
    },
    {
        "comparison": "postcode",
        "left": "ls14ap",
        "right": "ls14ap",
        "level": "exact",
        "weight": 9.1,
    },
    {"comparison": "city", "left": "leeds", "right": "york", "level": "different", "weight": -3.4},
    {
        "comparison": "company",
        "left": "smith joinery",
        "right": "",
        "level": "no data",
        "weight": 0.0,
    },
    {
        "comparison": "email local part",
        "left": "john.smith",
        "right": "",
        "level": "no data",
        "weight": 0.0,
    },
    {
        "comparison": "phone digits",
        "left": "",
        "right": "447911123457",
        "level": "no data",
        "weight": 0.0,
    },
]
LIKELY_SCORE = 0.91


@pytest.fixture
def likely_customers(ingest: Ingest) -> tuple[Customer, Customer]:
    """John Smith (by email, twice) and Jon Smyth (by SMS): no identifier in
    common, the same birth date and postcode, another city."""
    ingest(
        {
            "source": "zendesk",
            "external_id": "J-1",
            "channel": "email",
            "occurred_at": "2026-09-01T08:30:00+00:00",
            "customer": {
                "email": "john.smith@example.com",
                "name": "John Smith",
                "company": "Smith Joinery",
                "birth_date": "1980-03-14",
                "address": "12 Park Row",
                "postcode": "LS1 4AP",
                "city": "Leeds",
            },
            "subject": "Quote for a new kitchen",
        },
        {
            "source": "zendesk",
            "external_id": "J-2",
            "channel": "email",
            "occurred_at": "2026-09-03T08:30:00+00:00",
            "customer": {"email": "john.smith@example.com"},
            "subject": "Re: Quote for a new kitchen",
        },
        {
            "source": "twilio",
            "external_id": "J-3",
            "channel": "sms",
            "occurred_at": "2026-10-12T17:45:00+00:00",
            "customer": {
                "phone": "+44 7911 123457",
                "name": "Jon Smyth",
                "birth_date": "1980-03-14",
                "postcode": "LS1 4AP",
                "city": "York",
            },
            "body": "Is my kitchen fitter still coming tomorrow?",
        },
    )
    john = Customer.objects.get(display_name="John Smith")
    jon = Customer.objects.get(display_name="Jon Smyth")
    assert john.pk < jon.pk
    return john, jon


@pytest.fixture
def likely_pair(likely_customers: tuple[Customer, Customer]) -> MergeProposal:
    """The match model's proposal that John Smith and Jon Smyth are one person."""
    john, jon = likely_customers
    return MergeProposal.objects.create(
        customer_low=john,
        customer_high=jon,
        method="probabilistic",
        score=LIKELY_SCORE,
        evidence=LIKELY_EVIDENCE,
        reason=(
            "Match probability 0.910: first name, surname, date of birth, postcode agree; "
            "a person should decide."
        ),
    )


# Chromium for the browser tests (test_browser*.py), driven by Playwright.
CHROMIUM = os.environ.get("CXM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module.

    Playwright's sync API keeps an event loop running in the test thread, and
    Django refuses ORM calls from a thread with a running loop unless told
    otherwise. Module scope, not session scope, so that the loop and the
    permission end with this module instead of leaking into later tests.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; install it or set CXM_CHROMIUM")
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser session that fails the test on any error response or script error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []

    def on_response(response: Response) -> None:
        if response.status >= 400:
            problems.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    yield page
    context.close()
    assert problems == []
