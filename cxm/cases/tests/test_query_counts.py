"""The queue and the fairness audit read in a fixed number of queries, however
many cases there are (the counts are pinned here, authentication included for the API)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.cases import selectors, services
from cxm.cases.models import Case
from cxm.conftest import ingest_customer_line
from cxm.connectors import services as connector_services
from cxm.connectors.models import ApiToken, Source, TokenScope
from cxm.customers.models import Customer

# The page and the count.
QUEUE = 2
# An agent's role and teams, read once per request and then cached on the user.
TEAM_SCOPE = 2
# The token, then what the operation reads (the first use also notes the time of use).
TOKEN = 1


def _cases(source: Source, count: int) -> None:
    """``count`` customers write in by email or chat, each opening a case (ingest
    routes a small batch at once); every other case is answered, every third
    customer works with the north team."""
    for priority in (1, 2, 3, 4):
        for channel in ("email", "chat"):
            services.sla_policy_set(
                actor=None, policy=services.PolicyIn(channel, priority, 60, 120, 480)
            )
    start = timezone.now() - timedelta(days=2)
    for k in range(count):
        customer = {"email": f"customer{k}@example.org", "name": f"Customer {k}"}
        channel = "chat" if k % 3 == 0 else "email"
        at = start + timedelta(minutes=k)
        ingest_customer_line(
            source, f"in-{k}", customer, channel=channel, occurred_at=at.isoformat(),
            subject="My router is down", body="The light is red since this morning.",
        )  # fmt: skip
        if k % 2:
            ingest_customer_line(
                source, f"out-{k}", customer, channel=channel, direction="outbound",
                occurred_at=(at + timedelta(minutes=30)).isoformat(), body="We are on it.",
            )  # fmt: skip
    north = access_services.team_get_or_create(name="North")
    customers = list(Case.objects.order_by("pk").values_list("customer", flat=True))
    Customer.objects.filter(pk__in=customers[::3]).update(team=north)
    assert Case.objects.count() == count


def _token(source: Source) -> ApiToken:
    return connector_services.token_create(source=source, scope=TokenScope.READ).token


def _agent() -> User:
    user = User.objects.create_user("agent-north")
    access_services.membership_set(
        user=user, role=Role.AGENT, teams=[access_services.team_get_or_create(name="North")]
    )
    # As a request finds it: a fresh object, nothing cached on it.
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("count", [3, 30])
def test_the_queue_reads_its_page_in_two_queries(
    db: None, source: Source, count: int, django_assert_num_queries: Any
) -> None:
    _cases(source, count)
    token = _token(source)

    with django_assert_num_queries(QUEUE):
        page = selectors.case_queue(actor=token)
    # Those it shows: customer, assignee and the at-risk moment come with the page.
    with django_assert_num_queries(0):
        shown = [(case.customer.display_name, case.assignee) for case in page.cases]

    assert page.total == len(shown) == count
    filtered = count - (count + 2) // 3  # the chat cases are every third
    with django_assert_num_queries(QUEUE):
        assert selectors.case_queue(actor=token, channel="email").total == filtered
    with django_assert_num_queries(QUEUE):
        selectors.case_queue(actor=token, unassigned=True, offset=1, limit=10)


@pytest.mark.parametrize("count", [3, 30])
def test_a_team_scoped_queue_adds_only_the_role_and_teams(
    db: None, source: Source, count: int, django_assert_num_queries: Any
) -> None:
    _cases(source, count)
    agent = _agent()

    with django_assert_num_queries(TEAM_SCOPE + QUEUE):
        page = selectors.case_queue(actor=agent)
    with django_assert_num_queries(QUEUE):
        again = selectors.case_queue(actor=agent)

    # The north team's customers (every third) and those no team owns yet: all of them here.
    assert page.total == again.total == count


@pytest.mark.parametrize("count", [3, 30])
def test_the_fairness_audit_is_one_query(
    db: None, source: Source, count: int, django_assert_num_queries: Any
) -> None:
    _cases(source, count)
    token = _token(source)

    with django_assert_num_queries(1):
        audit = selectors.fairness_audit(actor=token, days=30)

    answered = audit.audits["influence"]["first_response"]
    assert sum(tier.n for tier in answered.tiers) == count // 2


@pytest.mark.parametrize("count", [3, 30])
def test_the_queue_api_reads_the_token_and_the_page(
    db: None, source: Source, count: int, django_assert_num_queries: Any
) -> None:
    _cases(source, count)
    secret = connector_services.token_create(source=source, scope=TokenScope.READ).secret
    client = Client()
    auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    # The first request with a token also writes when it was used.
    with django_assert_num_queries(TOKEN + 1 + QUEUE):
        first = client.get("/api/v1/cases/queue", **auth)
    with django_assert_num_queries(TOKEN + QUEUE):
        again = client.get("/api/v1/cases/queue?channel=email&limit=200", **auth)

    assert first.status_code == again.status_code == 200
    assert first.json()["total"] == len(first.json()["items"]) == count
