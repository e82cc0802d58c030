"""Promise-keeping rates against a hand-computed example, and the sales view."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from cxm.promises import keeping, selectors
from cxm.promises.enums import PromiseStatus
from cxm.promises.models import Promise
from cxm.promises.tests.conftest import utc


def _promise(customer_id: int, person: str, status: str, *, days: int, took: float | None) -> None:
    made = utc(2026, 10, 1)
    due = made + timedelta(days=days)
    done = made + timedelta(days=took) if took is not None else None
    Promise.objects.create(
        customer_id=customer_id,
        kind="installation",
        title="Installation",
        status=status,
        made_at=made,
        made_by_label=person,
        due_at=due,
        at_risk_at=due,
        kept_at=done if status == PromiseStatus.KEPT else None,
        broken_at=due if status == PromiseStatus.BROKEN else None,
        delivered_late_at=done if status == PromiseStatus.BROKEN else None,
    )


@pytest.fixture
def ledger(ann: int) -> None:
    """Alice promised ten installations in 10 days and kept eight (two came on day 12).
    Bob promised ten in 3 days: three kept, six broken (delivered on day 9), one
    renegotiated; and two more still open, which no rate counts."""
    for _ in range(8):
        _promise(ann, "Alice", PromiseStatus.KEPT, days=10, took=8)
    for _ in range(2):
        _promise(ann, "Alice", PromiseStatus.BROKEN, days=10, took=12)
    for _ in range(3):
        _promise(ann, "Bob", PromiseStatus.KEPT, days=3, took=3)
    for _ in range(6):
        _promise(ann, "Bob", PromiseStatus.BROKEN, days=3, took=9)
    _promise(ann, "Bob", PromiseStatus.RENEGOTIATED, days=3, took=None)
    for _ in range(2):
        _promise(ann, "Bob", PromiseStatus.OPEN, days=3, took=None)


def test_keeping_rates_by_person_by_hand(ledger: None) -> None:
    report = selectors.keeping_report(
        actor=None, since=utc(2026, 10, 1), until=utc(2026, 11, 1), by="person"
    )

    bob, alice = report.groups
    assert (bob.name, alice.name) == ("Bob", "Alice")
    assert bob.tally == keeping.Tally(
        made=12, pending=2, kept=3, broken=6, renegotiated=1, delivered_late=6
    )
    assert (bob.tally.settled, alice.tally.settled) == (10, 10)
    # Agresti-Coull, z = 1.96: 8 of 10 -> centre (8 + 1.92)/13.84 = 0.7168, half
    # 1.96·√(0.7168·0.2832/13.84) = 0.2374: 47.9% to 95.4%. 3 of 10: 10.3% to 60.8%.
    assert alice.rate.value == 80.0
    assert (round(alice.rate.low, 1), round(alice.rate.high, 1)) == (47.9, 95.4)
    assert bob.rate.value == 30.0
    assert (round(bob.rate.low, 1), round(bob.rate.high, 1)) == (10.3, 60.8)
    # Agresti-Caffo against the rest: (3+1)/12 - (8+1)/12 = -0.4167, se
    # √(0.3333·0.6667/12 + 0.75·0.25/12) = 0.1848, z = -2.255, p = 0.0241; Holm over
    # the two comparisons doubles it: 0.0483 < 0.05, so Bob keeps fewer than the rest.
    assert bob.versus_rest.difference == -50.0
    assert round(bob.versus_rest.p_value, 4) == 0.0241
    assert round(bob.p_adjusted, 4) == 0.0483
    assert bob.below and not alice.below
    assert (bob.promised_days, alice.promised_days) == (3.0, 10.0)
    assert report.overall is not None and report.overall.rate.value == 55.0


def test_the_sales_view_names_who_promises_sooner_than_the_company_delivers(ledger: None) -> None:
    report = selectors.keeping_report(
        actor=None, since=utc(2026, 10, 1), until=utc(2026, 11, 1), by="person"
    )

    # Deliveries took 8 (x8), 12 (x2), 3 (x3), 9 (x6) days: the median of 19 is 8.
    [bob] = report.over_promising
    assert (bob.person, bob.kind, bob.promises) == ("Bob", "installation", 12)
    assert (bob.promised_days, bob.delivered_days) == (3.0, 8.0)
    assert bob.kept.value == 30.0


def test_promising_sooner_and_keeping_it_is_not_over_promising(ann: int, ledger: None) -> None:
    # Carol's customers are served quickly: she promises 4 days and keeps all five.
    for _ in range(5):
        _promise(ann, "Carol", PromiseStatus.KEPT, days=4, took=3)

    report = selectors.keeping_report(
        actor=None, since=utc(2026, 10, 1), until=utc(2026, 11, 1), by="person"
    )

    # Deliveries: 3 (x8), 8 (x8), 9 (x6), 12 (x2): the median is still 8, and Carol's
    # promises fall due sooner; but she keeps them, and Bob does not.
    assert [(o.person, o.promised_days, o.delivered_days) for o in report.over_promising] == [
        ("Bob", 3.0, 8.0)
    ]


def test_by_kind_shows_the_delivery_time_beside_the_promise() -> None:
    rows = keeping.rates(
        {"installation": keeping.Tally(made=4, kept=2, broken=2)},
        promised_days={"installation": 3.0},
        delivered_days={"installation": 8.0},
    )

    [row] = rows
    assert (row.promised_days, row.delivered_days) == (3.0, 8.0)
    # One group: nothing to compare it with.
    assert math.isnan(row.p_adjusted) and not row.below


def test_a_period_that_ends_before_it_starts_is_refused(db: None) -> None:
    from cxm.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="ends before it starts"):
        selectors.keeping_report(actor=None, since=utc(2026, 11, 1), until=utc(2026, 10, 1))
    with pytest.raises(ValidationFailed, match="by must be one of team, person, kind"):
        selectors.keeping_report(
            actor=None, since=utc(2026, 10, 1), until=utc(2026, 11, 1), by="moon"
        )
