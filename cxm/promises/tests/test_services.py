"""The promise ledger: lead times, the watch, evidence, transitions, imports and suggestions."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User

from cxm.connectors.models import Source
from cxm.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from cxm.feedback import policy
from cxm.promises import services
from cxm.promises.enums import PromiseEventKind, PromiseStatus, SuggestionStatus
from cxm.promises.models import Promise, PromiseAlert, PromiseEvent, PromiseSuggestion
from cxm.promises.tests.conftest import interaction, promise, utc

pytestmark = pytest.mark.usefixtures("office")


def kinds(p: Promise) -> list[tuple[str, object]]:
    return [(e.kind, e.at) for e in PromiseEvent.objects.filter(promise=p).order_by("at", "pk")]


# Lead times ---------------------------------------------------------------------------


def test_an_installation_is_at_risk_eight_business_hours_before_it_is_due(
    ann: int, dan: User
) -> None:
    made = promise(dan, ann)

    # Due Mon 9 Nov 10:00 (London is on GMT): Monday 09:00-10:00 gives one hour,
    # the weekend none, Friday 10:00-17:00 the other seven.
    assert made.at_risk_at == utc(2026, 11, 6, 10)
    assert made.status == PromiseStatus.OPEN
    assert made.made_by == dan and made.owner == dan and made.made_by_label == "dan"
    assert made.team is not None and made.team.name == "Sales"


def test_a_promise_made_at_shorter_notice_than_its_lead_time_is_at_risk_at_once(
    ann: int, dan: User
) -> None:
    made = promise(
        dan, ann, made_at=utc(2026, 11, 9, 8), due_at=utc(2026, 11, 9, 12), now=utc(2026, 11, 9, 8)
    )

    assert made.at_risk_at == utc(2026, 11, 9, 8)


def test_lead_times_are_set_per_kind_and_retime_the_open_promises(ann: int, dan: User) -> None:
    made = promise(dan, ann)

    services.lead_time_set(actor=None, kind="installation", minutes=120)

    made.refresh_from_db()
    # Two business hours before Mon 10:00: Mon 09:00-10:00 and Fri 16:00-17:00.
    assert made.at_risk_at == utc(2026, 11, 6, 16)
    with pytest.raises(ValidationFailed, match="whole number"):
        services.lead_time_set(actor=None, kind="installation", minutes=-1)
    with pytest.raises(NotFound):
        services.lead_time_set(actor=None, kind="moonshot", minutes=10)
    with pytest.raises(PermissionDenied):
        services.lead_time_set(actor=dan, kind="installation", minutes=10)


# The watch ---------------------------------------------------------------------------


def test_the_owner_is_alerted_before_the_due_date_and_a_case_opens_when_it_breaks(
    ann: int, dan: User
) -> None:
    made = promise(dan, ann)

    assert services.promises_sweep(now=utc(2026, 11, 6, 9, 59)) == {"at_risk": 0, "broken": 0}
    assert services.promises_sweep(now=utc(2026, 11, 6, 10, 5)) == {"at_risk": 1, "broken": 0}
    made.refresh_from_db()
    assert made.status == PromiseStatus.AT_RISK
    alert = PromiseAlert.objects.get(promise=made)
    # Raised when the lead time began, three days before the due date, to Dan.
    assert (alert.kind, alert.raised_at, alert.owner) == ("at_risk", utc(2026, 11, 6, 10), dan)

    assert services.promises_sweep(now=utc(2026, 11, 9, 10, 1)) == {"at_risk": 0, "broken": 1}
    made.refresh_from_db()
    assert made.status == PromiseStatus.BROKEN
    assert made.broken_at == utc(2026, 11, 9, 10)
    case = made.case
    assert case is not None
    assert (case.customer_id, case.topic, case.channel) == (ann, "broken_promise", "other")
    assert case.subject == "Broken promise: Fibre installed by Monday"
    assert case.opened_at == utc(2026, 11, 9, 10) and case.waiting_since == case.opened_at
    assert case.severity == "high"
    assert sorted(PromiseAlert.objects.filter(promise=made).values_list("kind", flat=True)) == [
        "at_risk",
        "broken",
    ]
    assert kinds(made) == [
        (PromiseEventKind.CREATED, utc(2026, 11, 4, 10)),
        (PromiseEventKind.AT_RISK, utc(2026, 11, 6, 10)),
        (PromiseEventKind.ALERT, utc(2026, 11, 6, 10)),
        (PromiseEventKind.BROKEN, utc(2026, 11, 9, 10)),
        (PromiseEventKind.ALERT, utc(2026, 11, 9, 10)),
        (PromiseEventKind.CASE_OPENED, utc(2026, 11, 9, 10)),
    ]
    # A second sweep changes nothing.
    assert services.promises_sweep(now=utc(2026, 11, 9, 12)) == {"at_risk": 0, "broken": 0}
    assert PromiseEvent.objects.filter(promise=made).count() == 6


def test_a_promise_broken_long_ago_opens_no_case(ann: int, dan: User) -> None:
    made = promise(dan, ann)

    services.promises_sweep(now=utc(2026, 12, 1))

    made.refresh_from_db()
    assert made.status == PromiseStatus.BROKEN and made.case is None
    # Never flagged by a sweep in time: the at-risk step is still on the record.
    assert [k for k, _ in kinds(made)].count(PromiseEventKind.AT_RISK) == 1


def test_without_an_owner_the_teams_supervisor_is_alerted(ann: int) -> None:
    from cxm.access import services as access_services
    from cxm.access.enums import Role

    boss = User.objects.create_user("sue", password="a-long-test-passphrase")
    access_services.membership_set(user=boss, role=Role.SUPERVISOR)
    made = promise(None, ann, made_by="Order system")

    services.promises_sweep(now=utc(2026, 11, 7))

    assert made.made_by is None and made.made_by_label == "Order system"
    assert PromiseAlert.objects.get(promise=made).owner == boss


# Evidence -------------------------------------------------------------------------------


def test_a_call_back_is_kept_by_the_outbound_call(ann: int, dan: User, helpdesk: Source) -> None:
    made = promise(dan, ann, kind="call_back", title="Call Ann back", due_at=utc(2026, 11, 5, 12))
    assert made.evidence_rule == {"channel": "phone", "direction": "outbound"}

    # An inbound call is not the evidence; our call to her is.
    interaction(helpdesk, "call-in", utc(2026, 11, 5, 9), channel="phone")
    made.refresh_from_db()
    assert made.status == PromiseStatus.OPEN
    call = interaction(
        helpdesk, "call-out", utc(2026, 11, 5, 11), channel="phone", direction="outbound"
    )

    made.refresh_from_db()
    assert call == ann
    assert made.status == PromiseStatus.KEPT and made.kept_at == utc(2026, 11, 5, 11)
    assert made.evidence_interaction is not None
    assert made.evidence_interaction.external_id == "call-out"


INSTALLED = {"source": "field-service", "attributes": {"job": "installation", "status": "done"}}


def test_evidence_after_the_due_date_is_a_late_delivery_of_a_broken_promise(
    ann: int, dan: User
) -> None:
    from cxm.connectors import services as connector_services

    field = connector_services.source_get_or_create(name="field-service")
    made = promise(dan, ann, evidence_rule=INSTALLED)

    interaction(
        field,
        "job-1",
        utc(2026, 11, 11, 15),
        channel="in_person",
        direction="outbound",
        attributes={"Job": "Installation", "status": "DONE"},
    )

    made.refresh_from_db()
    assert made.status == PromiseStatus.BROKEN
    assert made.broken_at == utc(2026, 11, 9, 10)
    assert made.delivered_late_at == utc(2026, 11, 11, 15)
    late = PromiseEvent.objects.get(promise=made, kind=PromiseEventKind.DELIVERED_LATE)
    assert late.detail["late_seconds"] == 2 * 86_400 + 5 * 3600


def test_a_late_delivery_already_on_record_is_judged_as_of_the_given_now(
    ann: int, dan: User
) -> None:
    """An order system sends the promise after the engineer came late: broken on its
    date, delivered late, and a case opened only if it broke within the week before
    the ``now`` the import gives (not the wall clock's)."""
    from cxm.connectors import services as connector_services

    field = connector_services.source_get_or_create(name="field-service")
    interaction(
        field,
        "job-1",
        utc(2026, 11, 11, 15),
        channel="in_person",
        direction="outbound",
        attributes={"job": "installation", "status": "done"},
    )

    fresh = promise(None, ann, evidence_rule=INSTALLED, now=utc(2026, 11, 12, 12))
    old = promise(None, ann, evidence_rule=INSTALLED, now=utc(2026, 11, 30))

    assert (fresh.status, fresh.delivered_late_at) == (
        PromiseStatus.BROKEN,
        utc(2026, 11, 11, 15),
    )
    assert fresh.case is not None and fresh.case.opened_at == utc(2026, 11, 9, 10)
    assert old.status == PromiseStatus.BROKEN and old.case is None


def test_evidence_dated_in_time_that_arrives_after_the_sweep_keeps_the_promise(
    ann: int, dan: User
) -> None:
    from cxm.connectors import services as connector_services

    field = connector_services.source_get_or_create(name="field-service")
    made = promise(dan, ann, evidence_rule=INSTALLED)
    services.promises_sweep(now=utc(2026, 11, 9, 11))

    # The engineer's job, closed on Friday, reaches CXM on Monday afternoon.
    interaction(
        field,
        "job-1",
        utc(2026, 11, 6, 15),
        attributes={"job": "installation", "status": "done"},
    )

    made.refresh_from_db()
    assert made.status == PromiseStatus.KEPT and made.kept_at == utc(2026, 11, 6, 15)
    kept = PromiseEvent.objects.get(promise=made, kind=PromiseEventKind.KEPT)
    assert "arrived late" in kept.detail["correction"]


def test_evidence_already_in_cxm_settles_a_promise_recorded_late(ann: int, dan: User) -> None:
    from cxm.connectors import services as connector_services

    field = connector_services.source_get_or_create(name="field-service")
    interaction(field, "job-1", utc(2026, 11, 6, 15), attributes=INSTALLED["attributes"])

    made = promise(dan, ann, evidence_rule=INSTALLED, now=utc(2026, 11, 10))

    assert made.status == PromiseStatus.KEPT and made.kept_at == utc(2026, 11, 6, 15)


# Transitions by hand --------------------------------------------------------------------


def test_renegotiating_before_the_due_date_makes_a_new_promise(ann: int, dan: User) -> None:
    made = promise(dan, ann)

    successor = services.promise_renegotiate(
        actor=dan,
        promise_id=made.pk,
        due_at="2026-11-16T10:00:00+00:00",
        note="Ann asked for the week after",
        now=utc(2026, 11, 5, 9),
    )

    made.refresh_from_db()
    assert made.status == PromiseStatus.RENEGOTIATED and made.replaced_by == successor
    assert successor.status == PromiseStatus.OPEN
    assert successor.due_at == utc(2026, 11, 16, 10) and successor.made_at == utc(2026, 11, 5, 9)
    assert successor.title == made.title and successor.kind == "installation"
    with pytest.raises(Conflict, match="already renegotiated"):
        services.promise_renegotiate(
            actor=dan, promise_id=made.pk, due_at=utc(2026, 12, 1), note="again"
        )


def test_a_broken_promise_is_not_renegotiated_but_replaced(ann: int, dan: User) -> None:
    made = promise(dan, ann)
    services.promise_break(
        actor=dan, promise_id=made.pk, reason="No engineer that week", now=utc(2026, 11, 5)
    )

    made.refresh_from_db()
    assert made.status == PromiseStatus.BROKEN and made.broken_at == utc(2026, 11, 5)
    assert not made.broken_automatically and made.case is not None
    with pytest.raises(Conflict, match="record what was agreed since as a new promise"):
        services.promise_renegotiate(
            actor=dan, promise_id=made.pk, due_at=utc(2026, 12, 1), note="later"
        )
    with pytest.raises(Conflict, match="already broken"):
        services.promise_break(actor=dan, promise_id=made.pk, reason="again")


def test_delivery_recorded_by_hand_keeps_it_once(ann: int, dan: User) -> None:
    made = promise(dan, ann)

    services.promise_deliver(
        actor=dan,
        promise_id=made.pk,
        note="Engineer's photo of the router",
        at=utc(2026, 11, 6, 14),
        now=utc(2026, 11, 6, 15),
    )

    made.refresh_from_db()
    assert (
        made.status == PromiseStatus.KEPT and made.outcome_note == "Engineer's photo of the router"
    )
    with pytest.raises(Conflict, match="already kept"):
        services.promise_deliver(actor=dan, promise_id=made.pk, note="again")
    with pytest.raises(ValidationFailed, match="note is required"):
        services.promise_deliver(actor=dan, promise_id=made.pk, note="  ")


def test_bad_promises_are_refused_with_reasons(ann: int, dan: User) -> None:
    with pytest.raises(ValidationFailed, match="due_at is before the promise was made"):
        promise(dan, ann, due_at=utc(2026, 11, 1))
    with pytest.raises(ValidationFailed, match="needs a time zone"):
        promise(dan, ann, due_at="2026-11-09T10:00:00")
    with pytest.raises(ValidationFailed, match="kind must be one of"):
        promise(dan, ann, kind="moonshot")
    with pytest.raises(ValidationFailed, match="title is required"):
        promise(dan, ann, title="")
    with pytest.raises(ValidationFailed, match="evidence_rule: unknown key 'colour'"):
        promise(dan, ann, evidence_rule={"colour": "red"})
    with pytest.raises(ValidationFailed, match="no team named 'Moon'"):
        promise(dan, ann, team="Moon")
    with pytest.raises(NotFound):
        promise(dan, 10**12)
    with pytest.raises(ValidationFailed, match="made_at is in the future"):
        promise(dan, ann, made_at=utc(2027, 1, 1), due_at=utc(2027, 2, 1))
    assert not Promise.objects.exists()


# Imports ---------------------------------------------------------------------------------


def test_an_import_keeps_good_lines_reports_bad_ones_and_replays_as_duplicates(
    ann: int, helpdesk: Source
) -> None:
    from cxm.connectors import services as connector_services
    from cxm.connectors.models import TokenScope

    crm = connector_services.source_get_or_create(name="crm")
    token = connector_services.token_create(source=crm, scope=TokenScope.INGEST).token
    good = {
        "external_id": "SO-1/install",
        "customer": {"email": "ANN@example.org"},
        "kind": "installation",
        "title": "Installation on 9 November",
        "made_at": "2026-11-04T10:00:00Z",
        "due_at": "2026-11-09T13:00:00Z",
        "made_by": "Dan Price",
        "evidence_rule": INSTALLED,
    }
    lines = [
        (1, json.dumps(good)),
        (2, "{not json"),
        (
            3,
            json.dumps(
                {**good, "external_id": "SO-2", "customer": {"email": "nobody@example.org"}}
            ),
        ),
        (4, json.dumps({**good, "external_id": "SO-3", "due_at": "tomorrow"})),
        (5, json.dumps({**good, "external_id": "SO-4", "colour": "red"})),
        (6, json.dumps({**good, "external_id": ""})),
    ]

    report = services.promises_import(
        actor=token, lines=lines, source=crm, now=utc(2026, 11, 4, 12)
    )
    again = services.promises_import(
        actor=token, lines=lines[:1], source=crm, now=utc(2026, 11, 4, 12)
    )

    assert (report.accepted, report.duplicates) == (1, 0)
    assert [(p.line, p.field) for p in report.rejected] == [
        (2, "(line)"),
        (3, "customer"),
        (4, "due_at"),
        (5, "(line)"),
        (6, "external_id"),
    ]
    assert report.rejected[1].message == "no customer has email nobody@example.org"
    assert report.rejected[3].message == "unknown field 'colour'"
    assert (again.accepted, again.duplicates, again.rejected) == (0, 1, [])
    imported = Promise.objects.get()
    assert (imported.customer_id, imported.made_by_label, imported.source) == (
        ann,
        "Dan Price",
        crm,
    )
    assert imported.made_by is None and imported.owner is None


# Suggestions ---------------------------------------------------------------------------


def test_a_commitment_in_an_agents_message_is_suggested_and_confirmed(
    ann: int, dan: User, helpdesk: Source
) -> None:
    interaction(
        helpdesk,
        "reply-1",
        utc(2026, 11, 5, 14),  # a Thursday
        direction="outbound",
        body="Sorry about the wait. We will call you back tomorrow morning. Thanks!",
        attributes={"agent": "Priya"},
    )

    suggestion = PromiseSuggestion.objects.get()
    assert (suggestion.kind, suggestion.quote, suggestion.made_by_label) == (
        "call_back",
        "We will call you back tomorrow morning.",
        "Priya",
    )
    assert suggestion.due_at == utc(2026, 11, 6, 12)
    assert suggestion.customer_id == ann

    made = services.suggestion_confirm(
        actor=dan, suggestion_id=suggestion.pk, title="", now=utc(2026, 11, 5, 15)
    )

    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.CONFIRMED and suggestion.promise == made
    assert (made.kind, made.made_at, made.due_at, made.made_by_label) == (
        "call_back",
        utc(2026, 11, 5, 14),
        utc(2026, 11, 6, 12),
        "Priya",
    )
    assert made.interaction is not None and made.interaction.external_id == "reply-1"
    with pytest.raises(Conflict, match="already confirmed"):
        services.suggestion_dismiss(actor=dan, suggestion_id=suggestion.pk)


def test_what_customers_write_and_hedged_words_suggest_nothing(ann: int, helpdesk: Source) -> None:
    interaction(helpdesk, "in-1", utc(2026, 11, 5, 14), body="I will call you back tomorrow.")
    interaction(
        helpdesk,
        "out-1",
        utc(2026, 11, 5, 15),
        direction="outbound",
        body="We might be able to send an engineer. If it drops again we will call you.",
    )

    assert not PromiseSuggestion.objects.exists()


# The contact policy -----------------------------------------------------------------------


def test_a_fresh_broken_promise_holds_back_surveys(ann: int, dan: User) -> None:
    from django.utils import timezone

    now = timezone.now()
    made = promise(
        dan,
        ann,
        made_at=now - timedelta(days=3),
        due_at=now - timedelta(days=1),
        now=now,
    )
    services.promises_sweep(now=now)
    made.refresh_from_db()

    assert made.status == PromiseStatus.BROKEN
    assert "a promise broken" in policy.held_back([ann], now=now)[ann]


def test_a_survey_sent_for_a_past_moment_heeds_the_promises_broken_before_it(
    ann: int, dan: User
) -> None:
    # Broken when its date passed, Mon 9 Nov 10:00; the engineer came on the 12th.
    made = promise(dan, ann)
    services.promises_sweep(now=utc(2026, 11, 10))
    services.promise_deliver(
        actor=dan,
        promise_id=made.pk,
        note="engineer came",
        at=utc(2026, 11, 12, 11),
        now=utc(2026, 11, 12, 12),
    )
    made.refresh_from_db()
    assert (made.status, made.delivered_late_at) == (PromiseStatus.BROKEN, utc(2026, 11, 12, 11))

    def reason(at: datetime) -> str | None:
        return policy.held_back([ann], now=at).get(ann)

    # Asked before it broke and once it was delivered; held back in between.
    assert reason(utc(2026, 11, 9, 9)) is None
    assert "a promise broken" in (reason(utc(2026, 11, 11)) or "")
    assert reason(utc(2026, 11, 13)) is None
