"""A London office, an agent who makes promises, and Ann, who is promised things."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.models import User

from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.cases import services as case_services
from cxm.conftest import ingest_customer_line
from cxm.connectors import services as connector_services
from cxm.connectors.models import Source
from cxm.promises import services
from cxm.promises.models import Promise

LONDON_OFFICE = {
    "timezone": "Europe/London",
    "weekly": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": "GB",
    "subdivision": "ENG",
}
ANN = {"email": "ann@example.org", "name": "Ann Archer"}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def office(db: None) -> None:
    case_services.calendar_set(actor=None, team_id=None, definition=LONDON_OFFICE)
    for priority in (1, 2, 3, 4):
        case_services.sla_policy_set(
            actor=None,
            policy=case_services.PolicyIn("other", priority, 120, 240, 960),
        )


@pytest.fixture
def helpdesk(db: None) -> Source:
    return connector_services.source_get_or_create(name="helpdesk")


@pytest.fixture
def ann(helpdesk: Source) -> int:
    """Ann's customer id: she wrote once, on Monday 2 November 2026."""
    return ingest_customer_line(helpdesk, "ann-1", ANN, occurred_at="2026-11-02T09:15:00+00:00")


@pytest.fixture
def dan(db: None) -> User:
    """Dan sells broadband; he makes promises and is alerted when they slip."""
    user = User.objects.create_user("dan", password="a-long-test-passphrase")
    sales = access_services.team_get_or_create(name="Sales")
    access_services.membership_set(user=user, role=Role.AGENT, teams=[sales])
    return user


def interaction(source: Source, external_id: str, at: datetime, **fields: Any) -> int:
    """An interaction with Ann, routed at once (a small batch), as it happened."""
    return ingest_customer_line(
        source, external_id, fields.pop("customer", ANN), occurred_at=at.isoformat(), **fields
    )


def promise(actor: Any, customer_id: int, *, now: datetime | None = None, **fields: Any) -> Promise:
    values: dict[str, Any] = {
        "kind": "installation",
        "title": "Fibre installed by Monday",
        "made_at": utc(2026, 11, 4, 10),  # a Wednesday
        "due_at": utc(2026, 11, 9, 10),  # the Monday after
        "customer_id": customer_id,
    }
    values.update(fields)
    return services.promise_create(
        actor=actor, promise=services.PromiseIn(**values), now=now or utc(2026, 11, 4, 12)
    )
