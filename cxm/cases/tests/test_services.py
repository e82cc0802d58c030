"""Cases from interactions, SLA clocks on business hours, the queue and what agents do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxm.cases import selectors, services
from cxm.cases.enums import CaseStatus, EventKind, SlaMetric
from cxm.cases.models import Case, CaseEvent, Reply, SlaClock, Standing
from cxm.conftest import ingest_customer_line
from cxm.connectors.models import Source
from cxm.errors import Conflict, NotFound, ValidationFailed
from cxm.interactions.models import Interaction

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
    """Mon-Fri 09:00-17:00 London; email P3: answer in 2 business hours, resolve in 16."""
    services.calendar_set(actor=None, team_id=None, definition=LONDON_OFFICE)
    for priority in (1, 2, 3, 4):
        services.sla_policy_set(
            actor=None,
            policy=services.PolicyIn(
                channel="email",
                priority=priority,
                first_response_minutes=120,
                next_response_minutes=240,
                resolution_minutes=960,
                at_risk_share=0.75,
            ),
        )


def write(source: Source, external_id: str, at: datetime, **fields: Any) -> Case:
    """The customer writes (through ingest, which routes small batches at once)."""
    ingest_customer_line(
        source,
        external_id,
        fields.pop("customer", ANN),
        occurred_at=at.isoformat(),
        subject=fields.pop("subject", "My router is down"),
        **fields,
    )
    return Case.objects.get(links__interaction__external_id=external_id)


def answer(source: Source, external_id: str, at: datetime, **fields: Any) -> None:
    ingest_customer_line(
        source,
        external_id,
        fields.pop("customer", ANN),
        occurred_at=at.isoformat(),
        direction="outbound",
        body=fields.pop("body", "We are on it."),
        **fields,
    )


def clock(case: Case, metric: str) -> SlaClock:
    return SlaClock.objects.filter(case=case, metric=metric).order_by("-id").first()  # type: ignore[return-value]


def events(case: Case) -> list[tuple[str, datetime]]:
    return list(CaseEvent.objects.filter(case=case).order_by("at", "id").values_list("kind", "at"))


def test_a_message_opens_a_case_with_clocks_on_business_hours(office: None, source: Source) -> None:
    # Friday 2026-11-20 16:00 GMT: one business hour left on Friday, so a two-hour
    # first response is due at Monday 10:00; 16 business hours of resolution run
    # Fri 16-17 (1), Mon 9-17 (8), Tue 9-16 (7): due Tuesday 16:00.
    case = write(source, "m1", utc(2026, 11, 20, 16, 0))

    assert case.status == CaseStatus.NEW
    assert case.priority == 3
    assert clock(case, SlaMetric.FIRST_RESPONSE).due_at == utc(2026, 11, 23, 10, 0)
    assert clock(case, SlaMetric.RESOLUTION).due_at == utc(2026, 11, 24, 16, 0)
    # 75 % of two business hours: Friday 16:00 + 90 min -> Monday 09:30.
    assert clock(case, SlaMetric.FIRST_RESPONSE).at_risk_at == utc(2026, 11, 23, 9, 30)
    assert case.due_at == utc(2026, 11, 23, 10, 0)
    assert [k for k, _ in events(case)] == [EventKind.OPENED]


def test_a_second_message_joins_the_open_case_and_an_answer_stops_the_clock(
    office: None, source: Source
) -> None:
    case = write(source, "m1", utc(2026, 11, 23, 9, 0))  # Monday 09:00
    again = write(source, "m2", utc(2026, 11, 23, 9, 30))
    answer(source, "a1", utc(2026, 11, 23, 10, 15))

    case.refresh_from_db()
    assert again.pk == case.pk
    assert case.messages == 2
    assert case.replies == 1
    assert case.status == CaseStatus.OPEN
    assert case.waiting_since is None
    first = clock(case, SlaMetric.FIRST_RESPONSE)
    assert first.stopped_at == utc(2026, 11, 23, 10, 15)
    assert first.elapsed_seconds == pytest.approx(75 * 60)
    assert case.first_response_seconds == pytest.approx(75 * 60)
    assert first.breached_at is None
    # At risk would have been at 10:30 (75 % of two hours): the answer came first.
    assert [k for k, _ in events(case)] == [
        EventKind.OPENED,
        EventKind.MESSAGE,
        EventKind.SLA_MET,
        EventKind.REPLY,
        EventKind.STATUS,
    ]


def test_a_late_answer_records_the_breach_at_the_due_time(office: None, source: Source) -> None:
    case = write(source, "m1", utc(2026, 11, 23, 9, 0))
    answer(source, "a1", utc(2026, 11, 23, 14, 0))  # three hours later; due at 11:00

    case.refresh_from_db()
    first = clock(case, SlaMetric.FIRST_RESPONSE)
    assert first.at_risk_flagged_at == utc(2026, 11, 23, 10, 30)
    assert first.breached_at == utc(2026, 11, 23, 11, 0)
    assert case.first_response_seconds == pytest.approx(5 * 3600)
    kinds = events(case)
    assert (EventKind.SLA_AT_RISK, utc(2026, 11, 23, 10, 30)) in kinds
    assert (EventKind.SLA_BREACHED, utc(2026, 11, 23, 11, 0)) in kinds
    assert EventKind.SLA_MET not in [k for k, _ in kinds]


def test_the_sweep_flags_and_breaches_once(office: None, source: Source) -> None:
    case = write(source, "m1", utc(2026, 11, 23, 9, 0))

    assert services.sla_sweep(now=utc(2026, 11, 23, 10, 0)) == {
        "at_risk": 0,
        "breached": 0,
        "repriced": 0,
    }
    assert services.sla_sweep(now=utc(2026, 11, 23, 10, 45))["at_risk"] == 1
    assert services.sla_sweep(now=utc(2026, 11, 23, 11, 5))["breached"] == 1
    assert services.sla_sweep(now=utc(2026, 11, 23, 11, 10)) == {
        "at_risk": 0,
        "breached": 0,
        "repriced": 0,
    }
    assert [k for k, _ in events(case)].count(EventKind.SLA_BREACHED) == 1
    detail = selectors.case_detail(actor=None, case_id=case.pk, now=utc(2026, 11, 23, 11, 10))
    states = {c.metric: c.state for c in detail.clocks}
    assert states == {"first_response": "breached", "resolution": "running"}


def test_waiting_on_the_customer_pauses_the_resolution_clock(office: None, source: Source) -> None:
    case = write(source, "m1", utc(2026, 11, 23, 9, 0))  # resolution due Tue 17:00
    answer(source, "a1", utc(2026, 11, 23, 9, 30))
    services.case_status_set(
        actor=None, case_id=case.pk, status="waiting", now=utc(2026, 11, 23, 11, 0)
    )
    resolution = clock(case, SlaMetric.RESOLUTION)
    assert resolution.paused_at == utc(2026, 11, 23, 11, 0)
    assert resolution.remaining_seconds == pytest.approx(14 * 3600)  # 16 h target, 2 h used

    # The customer answers on Wednesday 13:00: 14 business hours from then run
    # Wed 13-17 (4), Thu 9-17 (8), Fri 9-11 (2): due Friday 11:00.
    write(source, "m2", utc(2026, 11, 25, 13, 0))
    case.refresh_from_db()
    resolution.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert resolution.paused_at is None
    assert resolution.due_at == utc(2026, 11, 27, 11, 0)
    # The customer wrote after an answer: a next-response clock of 4 business hours.
    assert clock(case, SlaMetric.NEXT_RESPONSE).due_at == utc(2026, 11, 25, 17, 0)

    resolved = services.case_status_set(
        actor=None, case_id=case.pk, status="resolved", now=utc(2026, 11, 26, 9, 0)
    )
    # Mon 9-11 (2) + Wed 13-17 (4) = 6 business hours counted, the pause left out.
    assert resolved.resolution_seconds == pytest.approx(6 * 3600)
    assert resolved.due_at is None


def test_status_changes_follow_the_allowed_transitions(office: None, source: Source) -> None:
    case = write(source, "m1", utc(2026, 11, 23, 9, 0))
    services.case_status_set(actor=None, case_id=case.pk, status="resolved")
    services.case_status_set(actor=None, case_id=case.pk, status="closed")

    with pytest.raises(Conflict, match="a closed case cannot become open"):
        services.case_status_set(actor=None, case_id=case.pk, status="open")
    with pytest.raises(ValidationFailed, match="unknown status 'done'"):
        services.case_status_set(actor=None, case_id=case.pk, status="done")
    with pytest.raises(NotFound):
        services.case_status_set(actor=None, case_id=10**15, status="open")


def test_a_message_within_seven_days_of_a_resolution_is_a_recontact(
    office: None, source: Source
) -> None:
    first = write(source, "m1", utc(2026, 11, 2, 9, 0))
    services.case_status_set(
        actor=None, case_id=first.pk, status="resolved", now=utc(2026, 11, 3, 9, 0)
    )
    second = write(source, "m2", utc(2026, 11, 6, 9, 0))
    third = write(source, "m3", utc(2026, 11, 20, 9, 0), subject="Another thing")

    assert second.pk != first.pk
    assert second.recontact_of_id == first.pk
    assert third.pk == second.pk  # still open: it joins


def test_influence_is_recorded_at_ingest_and_shown_but_priority_ignores_it(
    office: None, source: Source
) -> None:
    famous = {"twitter": "@famous", "name": "Famous Fay"}
    case = write(
        source,
        "s1",
        utc(2026, 11, 23, 9, 0),
        customer=famous,
        channel="social",
        attributes={"followers": 250_000, "reach": 900_000, "reshares": 2_000},
    )
    plain = write(
        source,
        "s2",
        utc(2026, 11, 23, 9, 0),
        channel="social",
        customer={"twitter": "@plain"},
        attributes={"followers": 12},
    )

    standing = Standing.objects.get(customer_id=case.customer_id)
    assert standing.followers == 250_000
    assert standing.influence_tier == "high"
    assert case.influence_tier == "high"
    assert plain.influence_tier == "low"
    assert case.priority == plain.priority == 3


def test_the_queue_orders_by_time_left_then_priority_then_time_waited(
    office: None, source: Source
) -> None:
    late = write(source, "a", utc(2026, 11, 23, 9, 0), customer={"email": "a@example.org"})
    early = write(source, "b", utc(2026, 11, 23, 8, 0), customer={"email": "b@example.org"})
    urgent = write(source, "c", utc(2026, 11, 23, 9, 0), customer={"email": "c@example.org"})
    services.case_triage(actor=None, case_id=urgent.pk, severity="critical")
    # P1 policies are the same targets here, so the due time ties with ``late``'s.
    no_policy = write(
        source, "d", utc(2026, 11, 23, 9, 0), channel="chat", customer={"email": "d@example.org"}
    )

    order = [c.pk for c in selectors.case_queue(actor=None).cases]
    # ``early`` came before opening hours: its clocks start at 09:00 too, so it ties
    # on time left and priority with ``late`` and wins on time waited.
    assert order == [urgent.pk, early.pk, late.pk, no_policy.pk]


QUEUE_CUSTOMERS = 6


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.lists(
        st.tuples(
            st.integers(0, 3),  # minutes apart of the messages, in tens
            st.sampled_from(["critical", "high", "normal", "low"]),
            st.integers(0, 2_000_000),  # followers
            st.decimals(0, 1_000_000, places=2),  # account value
        ),
        min_size=QUEUE_CUSTOMERS,
        max_size=QUEUE_CUSTOMERS,
    ),
    shuffle=st.randoms(use_true_random=False),
)
def test_the_queue_order_does_not_depend_on_influence_or_value(
    office: None, source: Source, data: list[tuple[int, str, int, Any]], shuffle: Any
) -> None:
    Case.objects.all().delete()
    Interaction.objects.all().delete()
    Standing.objects.all().delete()
    cases = []
    for k, (tens, severity, followers, value) in enumerate(data):
        case = write(
            source,
            f"q{k}",
            utc(2026, 11, 23, 9, 0) + timedelta(minutes=10 * tens),
            channel="social",
            customer={"twitter": f"@q{k}"},
            attributes={"followers": followers, "account_value": str(value)},
        )
        services.case_triage(actor=None, case_id=case.pk, severity=severity)
        cases.append(case)
    before = [c.pk for c in selectors.case_queue(actor=None).cases]

    # Hand the same standing to other customers: the order must not move.
    standings = list(Standing.objects.order_by("customer_id"))
    tiers: list[tuple[Any, Any, Any, Any]] = [
        (s.followers, s.influence_tier, s.account_value, s.value_tier) for s in standings
    ]
    shuffle.shuffle(tiers)
    for standing, (followers, tier, value, value_tier) in zip(standings, tiers, strict=True):
        Standing.objects.filter(pk=standing.pk).update(
            followers=followers, influence_tier=tier, account_value=value, value_tier=value_tier
        )
        Case.objects.filter(customer_id=standing.customer_id).update(
            influence_tier=tier, value_tier=value_tier
        )
    after = [c.pk for c in selectors.case_queue(actor=None).cases]

    assert after == before
    assert sorted(before) == sorted(c.pk for c in cases)


def test_an_agent_reply_is_an_outbound_interaction_queued_for_delivery(
    office: None, source: Source
) -> None:
    case = write(source, "m1", utc(2026, 11, 23, 9, 0))
    reply = services.case_reply(
        actor=None,
        case_id=case.pk,
        body="  Sorry! An engineer comes today.  ",
        now=utc(2026, 11, 23, 9, 20),
    )

    interaction = reply.interaction
    assert (interaction.direction, interaction.channel, interaction.body) == (
        "outbound",
        "email",
        "Sorry! An engineer comes today.",
    )
    assert reply.delivery_status == "queued"
    case.refresh_from_db()
    assert case.first_response_seconds == pytest.approx(20 * 60)
    assert case.status == CaseStatus.OPEN
    with pytest.raises(ValidationFailed, match="the answer is empty"):
        services.case_reply(actor=None, case_id=case.pk, body="   ")
    assert Reply.objects.count() == 1


def test_split_and_merge_move_interactions_and_keep_the_timeline(
    office: None, source: Source
) -> None:
    case = write(source, "m1", utc(2026, 11, 23, 9, 0))
    write(source, "m2", utc(2026, 11, 23, 9, 5), subject="And my bill is wrong")
    second = Interaction.objects.get(external_id="m2")

    new = services.case_split(actor=None, case_id=case.pk, interaction_ids=[second.pk])
    case.refresh_from_db()
    assert (case.messages, new.messages) == (1, 1)
    assert new.split_from_id == case.pk
    with pytest.raises(ValidationFailed, match="a split must leave at least one interaction"):
        services.case_split(actor=None, case_id=new.pk, interaction_ids=[second.pk])

    merged = services.case_merge(actor=None, case_id=new.pk, into_id=case.pk)
    new.refresh_from_db()
    assert merged.messages == 2
    assert new.status == CaseStatus.CLOSED and new.merged_into_id == case.pk
    assert EventKind.MERGED in [k for k, _ in events(case)]
    with pytest.raises(Conflict, match="merged already"):
        services.case_merge(actor=None, case_id=new.pk, into_id=case.pk)


def test_round_robin_takes_the_team_agents_in_turn(
    office: None, source: Source, django_user_model: Any
) -> None:
    from cxm.access import services as access_services
    from cxm.access.models import Membership
    from cxm.customers.models import Customer

    team = access_services.team_get_or_create(name="North")
    agents = []
    for name in ("ava", "bob"):
        user = django_user_model.objects.create_user(username=name, password="x" * 20)
        membership = Membership.objects.create(user=user, role="agent")
        membership.teams.add(team)
        agents.append(user.pk)
    services.round_robin_set(actor=None, team_id=team.pk, enabled=True)
    assigned = []
    for k in range(3):
        customer = {"email": f"rr{k}@example.org"}
        ingest_customer_line(source, f"pre{k}", customer, direction="outbound", body="hello")
        Customer.objects.filter(identities__value_normalized=f"rr{k}@example.org").update(team=team)
        assigned.append(write(source, f"rr{k}", utc(2026, 11, 23, 9, k), customer=customer))

    assert [c.assignee_id for c in assigned] == [agents[0], agents[1], agents[0]]


def test_routing_is_idempotent(office: None, source: Source) -> None:
    write(source, "m1", utc(2026, 11, 23, 9, 0))

    assert services.interactions_route().routed == 0
    assert Case.objects.count() == 1


def test_an_answer_with_no_open_case_opens_nothing(office: None, source: Source) -> None:
    answer(source, "a1", utc(2026, 11, 23, 9, 0))

    assert Case.objects.count() == 0
    assert Interaction.objects.get(external_id="a1").routed_at is not None


def test_resolving_a_case_sends_the_case_resolved_survey(
    office: None, source: Source, django_capture_on_commit_callbacks: Any
) -> None:
    from cxm.feedback import services as feedback_services
    from cxm.feedback.models import Invitation

    feedback_services.survey_create(
        name="Support CSAT", kind="csat", question="How did we do?", triggers=["case_resolved"]
    )
    case = write(source, "m1", utc(2026, 11, 23, 9, 0))
    with django_capture_on_commit_callbacks(execute=True):
        services.case_status_set(actor=None, case_id=case.pk, status="resolved")

    invitation = Invitation.objects.get()
    assert invitation.customer_id == case.customer_id
    assert invitation.segments["channel"] == "email"


def test_bad_policies_and_calendars_are_refused_with_a_reason(db: None) -> None:
    with pytest.raises(ValidationFailed, match="unknown channel 'fax'"):
        services.sla_policy_set(
            actor=None,
            policy=services.PolicyIn("fax", 3, 10, 10, 10),
        )
    with pytest.raises(ValidationFailed, match="cannot be longer than the resolution"):
        services.sla_policy_set(actor=None, policy=services.PolicyIn("email", 3, 100, 10, 10))
    with pytest.raises(ValidationFailed, match="time zone"):
        services.calendar_set(
            actor=None, team_id=None, definition={**LONDON_OFFICE, "timezone": "Mars/Olympus"}
        )


def test_cases_follow_a_customer_merge(office: None, source: Source) -> None:
    from cxm.customers import services as customer_services
    from cxm.customers.models import Customer

    work = {"email": "ann.archer@work.example", "name": "Ann Archer"}
    home_case = write(source, "m1", utc(2026, 11, 23, 9, 0))
    work_case = write(source, "m2", utc(2026, 11, 23, 9, 30), customer=work)
    assert home_case.pk != work_case.pk
    ann, ann_at_work = home_case.customer, work_case.customer
    assert ann.pk != ann_at_work.pk
    customer_services.customer_merge(
        survivor=Customer.objects.get(pk=ann.pk),
        merged=Customer.objects.get(pk=ann_at_work.pk),
        actor=None,
        reason="Same person",
    )

    # Her two open cases, the one opened on the merged row too, are hers.
    assert [c.pk for c in selectors.customer_cases(actor=None, customer_id=ann.pk)] == [
        work_case.pk,
        home_case.pk,
    ]
    # She writes again: her message joins the open case last written to, whatever
    # row it was opened on; no third case opens.
    again = write(source, "m3", utc(2026, 11, 23, 10, 0), customer=work)
    assert again.pk == work_case.pk
    assert Case.objects.count() == 2
    # An answer to her answers that case.
    answer(source, "a1", utc(2026, 11, 23, 10, 15))
    work_case.refresh_from_db()
    assert work_case.replies == 1
    # An agent can now fold the two threads into one.
    merged = services.case_merge(actor=None, case_id=home_case.pk, into_id=work_case.pk)
    assert merged.messages == 3


def test_cases_of_two_different_customers_cannot_be_merged(office: None, source: Source) -> None:
    ann_case = write(source, "m1", utc(2026, 11, 23, 9, 0))
    bob_case = write(
        source, "m2", utc(2026, 11, 23, 9, 5), customer={"email": "bob@example.org", "name": "Bob"}
    )
    with pytest.raises(Conflict, match="only cases of the same customer"):
        services.case_merge(actor=None, case_id=bob_case.pk, into_id=ann_case.pk)


def test_a_notice_a_system_sends_does_not_answer_the_case(office: None, source: Source) -> None:
    case = write(source, "m1", utc(2026, 11, 23, 9, 0))
    # The billing system's "your bill is ready" goes out while she waits.
    answer(source, "bill-1", utc(2026, 11, 23, 9, 30), body="Your bill is ready.", automated=True)

    case.refresh_from_db()
    assert case.replies == 0 and case.first_response_at is None
    assert clock(case, SlaMetric.FIRST_RESPONSE).stopped_at is None
    assert Interaction.objects.get(external_id="bill-1").routed_at is not None
    # A person's answer does.
    answer(source, "a1", utc(2026, 11, 23, 10, 0))
    case.refresh_from_db()
    assert case.replies == 1 and case.first_response_at == utc(2026, 11, 23, 10, 0)


def test_a_record_a_system_sends_opens_no_case(office: None, source: Source) -> None:
    ingest_customer_line(
        source,
        "crm-1",
        ANN,
        occurred_at=utc(2026, 11, 23, 9, 0).isoformat(),
        subject="Contact details updated",
        attributes={"account_status": "active"},
        automated=True,
    )

    record = Interaction.objects.get(external_id="crm-1")
    assert record.automated and record.routed_at is not None
    assert not Case.objects.exists()
    # She writes: her message opens the case, as if the record were not there.
    case = write(source, "m1", utc(2026, 11, 23, 9, 5))
    assert case.messages == 1
