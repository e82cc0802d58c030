"""The promise ledger's writes: making a promise, what becomes of it, and the
watch that catches the gaps before the customer has to call.

A promise is made (in the console, through the API, by an order or CRM system's
import, or confirmed from a commitment CXM found in what an agent wrote), then:

- **at risk** once its due date is nearer than its kind's lead time, counted in
  the team's business hours, with the evidence still missing: its owner is
  alerted (``promises_sweep``);
- **kept** when the evidence arrives by the due date: an interaction matching
  its evidence rule (``interactions_observe``), or a person recording it;
- **broken** when the due date passes without it, or when someone says it
  cannot be kept: the owner is alerted, a case opens for the customer under the
  usual service levels, and it counts against the customer's health. What was
  promised may still come later: that is recorded as delivered late, and the
  promise stays broken;
- **renegotiated** when new terms are agreed before the due date: the new terms
  are a new promise, linked to the old one.

Every change writes a ``PromiseEvent``. Times are those at which things
happened, so a history imported late gives the same ledger as the live stream.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from cxm import fields
from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.access.models import Membership, Team
from cxm.access.permissions import Permission
from cxm.access.selectors import Actor, actor_require, visible_for_update
from cxm.cases import hours
from cxm.cases import services as case_services
from cxm.connectors.models import Source
from cxm.customers import selectors as customer_selectors
from cxm.customers.models import Customer
from cxm.errors import Conflict, NotFound, ValidationFailed
from cxm.fields import ImportReport
from cxm.interactions.enums import Channel, Direction
from cxm.interactions.models import Interaction
from cxm.interactions.rules import Facts, InteractionRule, RuleError
from cxm.promises import commitments
from cxm.promises.enums import (
    PENDING_STATUSES,
    AlertKind,
    PromiseEventKind,
    PromiseKind,
    PromiseStatus,
    SuggestionStatus,
)
from cxm.promises.models import LeadTime, Promise, PromiseAlert, PromiseEvent, PromiseSuggestion

# Business minutes before the due date at which a promise with no evidence yet is
# at risk, unless an administrator set another (``lead_time_set``).
DEFAULT_LEAD_MINUTES: dict[str, int] = {
    PromiseKind.CALL_BACK: 60,
    PromiseKind.INSTALLATION: 8 * 60,
    PromiseKind.DELIVERY: 8 * 60,
    PromiseKind.FEATURE: 5 * 8 * 60,
    PromiseKind.SERVICE_LEVEL: 8 * 60,
    PromiseKind.PRICE: 8 * 60,
    PromiseKind.FIX: 3 * 8 * 60,
    PromiseKind.VALUE_TARGET: 10 * 8 * 60,
    PromiseKind.OTHER: 8 * 60,
}
# Evidence CXM can see for itself, when the promise names none.
DEFAULT_EVIDENCE_RULES: dict[str, dict[str, Any]] = {
    PromiseKind.CALL_BACK: {"channel": "phone", "direction": "outbound"},
}
MAX_LEAD_MINUTES = 365 * 24 * 60
MAX_TITLE = Promise._meta.get_field("title").max_length or 200
MAX_TERMS = 10_000
MAX_NOTE = 1000
MAX_LABEL = 150
MAX_IMPORT_LINES = 10_000
# A promise broken longer ago than this (an imported history) opens no case: the
# customer's moment has passed, and a case would sit in the queue already breached.
CASE_WINDOW = timedelta(days=7)
# A due date further out than this is a typing mistake, not a promise.
MAX_HORIZON = timedelta(days=20 * 366)
BROKEN_TOPIC = "broken_promise"
SWEEP_CHUNK = 500


def _label(actor: Actor) -> str:
    return access_services.actor_label(actor)[:MAX_LABEL]


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _event(
    promise: Promise, kind: str, at: datetime, *, actor: Actor = None, **detail: Any
) -> PromiseEvent:
    return PromiseEvent.objects.create(
        promise=promise, kind=kind, at=at, actor_label=_label(actor), detail=detail
    )


# Lead times ---------------------------------------------------------------------------


def lead_times() -> dict[str, int]:
    """Business minutes of warning for each kind: the defaults with what was set."""
    minutes = dict(DEFAULT_LEAD_MINUTES)
    minutes.update(dict(LeadTime.objects.values_list("kind", "minutes")))
    return minutes


def _calendar(team_id: int | None) -> hours.Calendar:
    return case_services.Calendars().for_team(team_id)


def at_risk_moment(
    *, made_at: datetime, due_at: datetime, lead_minutes: int, calendar: hours.Calendar
) -> datetime:
    """When a promise turns at risk: ``lead_minutes`` of business time before it is
    due, but never before it was made (a promise made at shorter notice than its
    lead time is at risk from the start)."""
    try:
        moment = hours.before(calendar, due_at, lead_minutes * 60.0)
    except hours.CalendarError:
        moment = due_at - timedelta(minutes=lead_minutes)
    return min(max(moment, made_at), due_at)


@transaction.atomic
def lead_time_set(*, actor: Actor, kind: str, minutes: int) -> LeadTime:
    """A kind's lead time; the open promises of that kind are re-timed."""
    actor_require(actor, Permission.JOURNEY_MANAGE)
    if kind not in PromiseKind.values:
        raise NotFound(f"there is no kind of promise '{kind[:40]}'")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
        raise ValidationFailed("minutes must be a whole number ≥ 0", code="bad_lead_time")
    if minutes > MAX_LEAD_MINUTES:
        raise ValidationFailed(
            "a lead time of more than a year warns of nothing", code="bad_lead_time"
        )
    row, _ = LeadTime.objects.update_or_create(kind=kind, defaults={"minutes": minutes})
    calendars = case_services.Calendars()
    for promise in Promise.objects.filter(kind=kind, status=PromiseStatus.OPEN):
        promise.at_risk_at = at_risk_moment(
            made_at=promise.made_at,
            due_at=promise.due_at,
            lead_minutes=minutes,
            calendar=calendars.for_team(promise.team_id),
        )
        promise.save(update_fields=["at_risk_at", "updated_at"])
    return row


# Making a promise -----------------------------------------------------------------------


@dataclass(frozen=True)
class PromiseIn:
    """A promise as a person or a system states it."""

    kind: str
    title: str
    due_at: datetime | str
    customer_id: int | None = None
    # Strong identifiers naming the customer, for systems that do not know CXM's ids.
    customer: Mapping[str, Any] | None = None
    terms: str = ""
    made_at: datetime | str | None = None
    # Who made it: a name as the sending system knows it; by default the actor.
    made_by: str = ""
    # The team that made it, by name; by default the maker's team, else the customer's.
    team: str = ""
    owner_id: int | None = None
    channel: str = ""
    document: str = ""
    evidence: str = ""
    # None: the kind's default (a call-back is kept by an outbound call).
    evidence_rule: Mapping[str, Any] | None = None
    interaction_id: int | None = None
    external_id: str = ""
    # For a history sent late: when what was promised was delivered.
    delivered_at: datetime | str | None = None


def _customer_for(actor: Actor, promise: PromiseIn) -> Customer:
    if promise.customer_id is not None:
        if isinstance(promise.customer_id, bool) or not 0 < promise.customer_id < 2**62:
            raise NotFound(f"there is no customer {promise.customer_id}")
        customer_id = promise.customer_id
    elif promise.customer:
        customer_id = customer_selectors.customer_by_identifiers(
            identifiers=promise.customer, default_region=settings.CXM_PHONE_REGION
        )
    else:
        raise ValidationFailed(
            "say whom the promise was made to: customer_id, or the customer's identifiers",
            code="no_customer",
        )
    return customer_selectors.customer_to_act_on(actor=actor, customer_id=customer_id)


def _team_for(name: str, maker: User | None, customer: Customer) -> int | None:
    if name:
        team_id = Team.objects.filter(name__iexact=name).values_list("pk", flat=True).first()
        if team_id is None:
            raise ValidationFailed(
                f"there is no team named '{name[:60]}'; an administrator creates teams "
                "with `cxm role set`",
                code="unknown_team",
            )
        return int(team_id)
    if maker is not None:
        membership = Membership.objects.filter(user=maker).first()
        if membership is not None:
            team_id = membership.teams.order_by("pk").values_list("pk", flat=True).first()
            if team_id is not None:
                return int(team_id)
    return customer.team_id


def _owner(owner_id: int | None) -> User | None:
    if owner_id is None:
        return None
    if isinstance(owner_id, bool) or not 0 < owner_id < 2**62:
        raise ValidationFailed(f"there is no user {owner_id}", code="unknown_owner")
    owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        raise ValidationFailed(f"there is no active user {owner_id}", code="unknown_owner")
    return owner


def _rule(kind: str, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    if raw is None:
        return dict(DEFAULT_EVIDENCE_RULES.get(kind, {}))
    try:
        return InteractionRule.from_dict(raw).to_dict()
    except RuleError as error:
        raise ValidationFailed(f"evidence_rule: {error}", code="bad_rule") from None


@dataclass
class _Prepared:
    fields: dict[str, Any]
    delivered_at: datetime | None


def _prepare(actor: Actor, promise: PromiseIn, now: datetime) -> _Prepared:
    if promise.kind not in PromiseKind.values:
        raise ValidationFailed(
            f"kind must be one of {', '.join(PromiseKind.values)}, not '{str(promise.kind)[:40]}'",
            code="bad_kind",
        )
    title = fields.text(promise.title, "title", limit=MAX_TITLE, required=True)
    terms = fields.text(promise.terms, "terms", limit=MAX_TERMS)
    made_at = fields.moment(promise.made_at, "made_at") if promise.made_at is not None else now
    if made_at > now + timedelta(minutes=5):
        raise ValidationFailed("made_at is in the future", code="bad_date")
    due_at = fields.moment(promise.due_at, "due_at")
    if due_at < made_at:
        raise ValidationFailed("due_at is before the promise was made (made_at)", code="bad_date")
    if due_at - made_at > MAX_HORIZON:
        raise ValidationFailed(
            "due_at is more than 20 years after the promise was made", code="bad_date"
        )
    delivered_at = (
        fields.moment(promise.delivered_at, "delivered_at")
        if promise.delivered_at is not None
        else None
    )
    if delivered_at is not None and not made_at <= delivered_at <= now + timedelta(minutes=5):
        raise ValidationFailed(
            "delivered_at must lie between when the promise was made and now", code="bad_date"
        )
    channel = fields.text(promise.channel, "channel", limit=20)
    if channel and channel not in Channel.values:
        raise ValidationFailed(
            f"channel must be one of {', '.join(Channel.values)}", code="bad_channel"
        )
    customer = _customer_for(actor, promise)
    maker = _user(actor)
    made_by = fields.text(promise.made_by, "made_by", limit=MAX_LABEL)
    if made_by and maker is not None and made_by != _label(maker):
        maker = None  # recorded on someone else's behalf
    if not made_by:
        made_by = _label(actor)
    team_id = _team_for(fields.text(promise.team, "team", limit=150), maker, customer)
    owner = _owner(promise.owner_id) or maker
    interaction_id = promise.interaction_id
    if interaction_id is not None and not (
        0 < interaction_id < 2**62
        and Interaction.objects.filter(pk=interaction_id, customer_id=customer.pk).exists()
    ):
        raise ValidationFailed(
            f"interaction {interaction_id} is not one of this customer's", code="bad_interaction"
        )
    lead = lead_times()[promise.kind]
    return _Prepared(
        fields={
            "customer": customer,
            "kind": promise.kind,
            "title": title,
            "terms": terms,
            "made_at": made_at,
            "made_by": maker,
            "made_by_label": made_by,
            "team_id": team_id,
            "owner": owner,
            "channel": channel,
            "document": fields.text(promise.document, "document", limit=200),
            "interaction_id": interaction_id,
            "due_at": due_at,
            "at_risk_at": at_risk_moment(
                made_at=made_at, due_at=due_at, lead_minutes=lead, calendar=_calendar(team_id)
            ),
            "evidence": fields.text(promise.evidence, "evidence", limit=500),
            "evidence_rule": _rule(promise.kind, promise.evidence_rule),
            "external_id": fields.text(promise.external_id, "external_id", limit=255),
        },
        delivered_at=delivered_at,
    )


def promise_create(
    *, actor: Actor, promise: PromiseIn, source: Source | None = None, now: datetime | None = None
) -> Promise:
    """Record a promise; evidence already in CXM (an import sent after the
    delivery) settles it at once."""
    if _is_system(actor):
        actor_require(actor, Permission.PROMISE_IMPORT)
    else:
        actor_require(actor, Permission.PROMISE_WORK)
    now = now or timezone.now()
    prepared = _prepare(actor, promise, now)
    return _create(actor, prepared, source, now)


def _is_system(actor: Actor) -> bool:
    return actor is not None and hasattr(actor, "scope") and hasattr(actor, "token_hash")


@transaction.atomic
def _create(actor: Actor, prepared: _Prepared, source: Source | None, now: datetime) -> Promise:
    promise = Promise(**prepared.fields, source=source)
    promise.full_clean(exclude=["customer", "made_by", "owner", "team", "interaction", "source"])
    promise.save()
    _event(
        promise,
        PromiseEventKind.CREATED,
        promise.made_at,
        actor=actor,
        due_at=promise.due_at.isoformat(),
        made_by=promise.made_by_label,
    )
    if prepared.delivered_at is not None:
        _deliver(
            promise,
            prepared.delivered_at,
            actor=actor,
            note="delivery sent with the promise",
            now=now,
        )
    else:
        _evidence_search(promise, now)
    return promise


def _evidence_search(promise: Promise, now: datetime) -> None:
    """Interactions already in CXM since the promise was made that prove it kept."""
    rule = InteractionRule.from_dict(promise.evidence_rule)
    if rule.empty:
        return
    group = customer_selectors.customer_group_ids(customer_id=promise.customer_id)
    candidates = (
        Interaction.objects.filter(customer_id__in=group, occurred_at__gte=promise.made_at)
        .exclude(pk=promise.interaction_id or 0)
        .select_related("source")
        .order_by("occurred_at", "pk")
    )
    for row in candidates[:5000].iterator():
        if rule.matches(_facts(row)):
            _deliver(promise, row.occurred_at, interaction=row, now=now)
            return


def _facts(row: Interaction) -> Facts:
    return Facts(
        source=row.source.name,
        channel=row.channel,
        direction=row.direction,
        topics=tuple(row.topics or ()),
        attributes=row.attributes or {},
        text=f"{row.subject}\n{row.body}",
    )


# Imports from order and CRM systems -------------------------------------------------------


IMPORT_FIELDS = {f for f in PromiseIn.__dataclass_fields__}


def _line_promise(raw: Mapping[str, Any]) -> PromiseIn:
    fields.whole_numbers(raw, ("customer_id", "owner_id", "interaction_id"))
    fields.objects(raw, {"customer": "an object of identifiers", "evidence_rule": "an object"})
    for name in ("kind", "title", "due_at"):
        if raw.get(name) in (None, ""):
            raise ValidationFailed(f"{name} is required", code="bad_field")
    return PromiseIn(**{k: v for k, v in raw.items() if v is not None})


def promises_import(
    *,
    actor: Actor,
    lines: Iterable[tuple[int, bytes | str]],
    source: Source,
    now: datetime | None = None,
) -> ImportReport:
    """Promises from an order or CRM system, one JSON object a line.

    Each line needs an ``external_id`` (the system's own key): a line already
    imported from this source is a duplicate and changes nothing. Good lines are
    kept when others are bad; each bad one is reported with its number and reason.
    """
    actor_require(actor, Permission.PROMISE_IMPORT)
    moment = now or timezone.now()

    def create(raw: Mapping[str, Any]) -> int | None:
        promise = _line_promise(raw)
        external_id = fields.text(promise.external_id, "external_id", limit=255, required=True)
        if Promise.objects.filter(source=source, external_id=external_id).exists():
            return None
        prepared = _prepare(actor, promise, moment)
        try:
            return _create(actor, prepared, source, moment).pk
        except IntegrityError:  # the same line, imported at the same moment elsewhere
            return None

    return fields.import_lines(lines, names=IMPORT_FIELDS, create=create)


# What becomes of a promise ----------------------------------------------------------------


def _locked(actor: Actor, promise_id: int) -> Promise:
    promise: Promise = visible_for_update(Promise, actor=actor, pk=promise_id, noun="promise")
    return promise


def _deliver(
    promise: Promise,
    at: datetime,
    *,
    actor: Actor = None,
    interaction: Interaction | None = None,
    note: str = "",
    now: datetime | None = None,
) -> None:
    """What was promised arrived at ``at``: kept if by the due date, else late."""
    proof: dict[str, Any] = {"interaction": interaction.pk} if interaction is not None else {}
    if note:
        proof["note"] = note
    on_time = at <= promise.due_at
    if on_time and promise.status in (*PENDING_STATUSES, PromiseStatus.BROKEN):
        # Delivered by the due date: kept, even if it had been given up for broken
        # (the evidence, dated in time, came late; or it came after all).
        corrected = promise.status == PromiseStatus.BROKEN
        promise.status = PromiseStatus.KEPT
        promise.kept_at = at
        promise.broken_at = None
        promise.broken_automatically = False
        promise.evidence_interaction = interaction
        promise.outcome_note = note[:MAX_NOTE]
        promise.save()
        if corrected:
            proof["correction"] = "the evidence, dated before the due date, arrived late"
        _event(promise, PromiseEventKind.KEPT, at, actor=actor, **proof)
        return
    if promise.status in PENDING_STATUSES and not on_time:
        _break(
            promise, promise.due_at, actor=None, reason="due date passed", automatic=True, now=now
        )
    if promise.status == PromiseStatus.BROKEN and promise.delivered_late_at is None:
        promise.delivered_late_at = at
        if promise.evidence_interaction is None:
            promise.evidence_interaction = interaction
        promise.save(update_fields=["delivered_late_at", "evidence_interaction", "updated_at"])
        late = at - promise.due_at
        _event(
            promise,
            PromiseEventKind.DELIVERED_LATE,
            at,
            actor=actor,
            late_seconds=max(late.total_seconds(), 0.0),
            **proof,
        )


@transaction.atomic
def promise_deliver(
    *,
    actor: Actor,
    promise_id: int,
    note: str,
    at: datetime | None = None,
    now: datetime | None = None,
) -> Promise:
    """A person records that what was promised was delivered (and how they know)."""
    actor_require(actor, Permission.PROMISE_WORK)
    now = now or timezone.now()
    promise = _locked(actor, promise_id)
    note = fields.text(note, "note", limit=MAX_NOTE, required=True)
    at = fields.moment(at, "at") if at is not None else now
    if at > now + timedelta(minutes=5) or at < promise.made_at:
        raise ValidationFailed(
            "the delivery must lie between when the promise was made and now", code="bad_date"
        )
    if promise.status in (PromiseStatus.KEPT, PromiseStatus.RENEGOTIATED):
        raise Conflict(f"this promise is already {promise.get_status_display().lower()}")
    if promise.status == PromiseStatus.BROKEN and promise.delivered_late_at is not None:
        raise Conflict("the late delivery of this promise is already recorded")
    _deliver(promise, at, actor=actor, note=note, now=now)
    return promise


def _alert_owner(promise: Promise) -> User | None:
    if promise.owner_id is not None:
        owner = User.objects.filter(pk=promise.owner_id, is_active=True).first()
        if owner is not None:
            return owner
    supervisors = User.objects.filter(is_active=True, membership__role=Role.SUPERVISOR)
    if promise.team_id is not None:
        in_team = supervisors.filter(membership__teams=promise.team_id)
        if in_team.exists():
            supervisors = in_team
    return supervisors.order_by("pk").first()


def _alert(promise: Promise, kind: str, at: datetime) -> None:
    owner = _alert_owner(promise)
    _, created = PromiseAlert.objects.get_or_create(
        promise=promise, kind=kind, defaults={"raised_at": at, "owner": owner}
    )
    if created:
        _event(
            promise,
            PromiseEventKind.ALERT,
            at,
            alert=kind,
            owner=owner.get_username() if owner else "no owner: the team's supervisors",
        )


def _break(
    promise: Promise,
    at: datetime,
    *,
    actor: Actor,
    reason: str,
    automatic: bool,
    now: datetime | None = None,
) -> None:
    promise.status = PromiseStatus.BROKEN
    promise.broken_at = at
    promise.broken_automatically = automatic
    promise.outcome_note = reason[:MAX_NOTE]
    promise.save()
    _event(promise, PromiseEventKind.BROKEN, at, actor=actor, reason=reason)
    _alert(promise, AlertKind.BROKEN, at)
    now = now or timezone.now()
    if now - at > CASE_WINDOW:
        return
    case = case_services.case_open_for(
        customer_id=promise.customer_id,
        channel=promise.channel or Channel.OTHER,
        topic=BROKEN_TOPIC,
        subject=f"Broken promise: {promise.title}",
        at=at,
        reason={"promise": promise.pk, "reason": reason},
    )
    promise.case = case
    promise.save(update_fields=["case", "updated_at"])
    _event(promise, PromiseEventKind.CASE_OPENED, at, case=case.pk)


@transaction.atomic
def promise_break(
    *, actor: Actor, promise_id: int, reason: str, now: datetime | None = None
) -> Promise:
    """Someone says the promise cannot be kept: broken now, before its date."""
    actor_require(actor, Permission.PROMISE_WORK)
    now = now or timezone.now()
    promise = _locked(actor, promise_id)
    reason = fields.text(reason, "reason", limit=MAX_NOTE, required=True)
    if promise.status not in PENDING_STATUSES:
        raise Conflict(f"this promise is already {promise.get_status_display().lower()}")
    _break(promise, min(now, promise.due_at), actor=actor, reason=reason, automatic=False, now=now)
    return promise


@transaction.atomic
def promise_renegotiate(
    *,
    actor: Actor,
    promise_id: int,
    due_at: datetime | str,
    note: str,
    title: str = "",
    terms: str = "",
    now: datetime | None = None,
) -> Promise:
    """New terms agreed with the customer before the due date; returns the new promise."""
    actor_require(actor, Permission.PROMISE_WORK)
    now = now or timezone.now()
    promise = _locked(actor, promise_id)
    note = fields.text(note, "note", limit=MAX_NOTE, required=True)
    new_due = fields.moment(due_at, "due_at")
    if promise.status == PromiseStatus.BROKEN:
        raise Conflict(
            f"this promise was broken on {promise.broken_at:%d %b %Y}; record what was agreed "
            "since as a new promise",
            code="already_broken",
        )
    if promise.status not in PENDING_STATUSES:
        raise Conflict(f"this promise is already {promise.get_status_display().lower()}")
    if new_due <= now:
        raise ValidationFailed("the new due date must be in the future", code="bad_date")
    if new_due - now > MAX_HORIZON:
        raise ValidationFailed("the new due date is more than 20 years away", code="bad_date")
    successor = Promise.objects.create(
        customer_id=promise.customer_id,
        kind=promise.kind,
        title=fields.text(title, "title", limit=MAX_TITLE) or promise.title,
        terms=fields.text(terms, "terms", limit=MAX_TERMS) or promise.terms,
        made_at=now,
        made_by=_user(actor),
        made_by_label=_label(actor),
        team_id=promise.team_id,
        owner_id=promise.owner_id,
        channel=promise.channel,
        document=promise.document,
        due_at=new_due,
        at_risk_at=at_risk_moment(
            made_at=now,
            due_at=new_due,
            lead_minutes=lead_times()[promise.kind],
            calendar=_calendar(promise.team_id),
        ),
        evidence=promise.evidence,
        evidence_rule=promise.evidence_rule,
    )
    promise.status = PromiseStatus.RENEGOTIATED
    promise.renegotiated_at = now
    promise.replaced_by = successor
    promise.outcome_note = note
    promise.save()
    _event(promise, PromiseEventKind.RENEGOTIATED, now, actor=actor, note=note, new=successor.pk)
    _event(
        successor,
        PromiseEventKind.CREATED,
        now,
        actor=actor,
        due_at=new_due.isoformat(),
        replaces=promise.pk,
    )
    return successor


@transaction.atomic
def promise_owner_set(*, actor: Actor, promise_id: int, owner_id: int) -> Promise:
    actor_require(actor, Permission.PROMISE_WORK)
    promise = _locked(actor, promise_id)
    owner = _owner(owner_id)
    promise.owner = owner
    promise.save(update_fields=["owner", "updated_at"])
    _event(promise, PromiseEventKind.OWNER, timezone.now(), actor=actor, owner=_label(owner))
    return promise


@transaction.atomic
def promise_alert_acknowledge(*, actor: Actor, alert_id: int) -> PromiseAlert:
    """The owner has seen the alert (it leaves their list; the promise stays as it is)."""
    actor_require(actor, Permission.PROMISE_WORK)
    alert: PromiseAlert = visible_for_update(
        PromiseAlert, actor=actor, pk=alert_id, noun="alert", via="promise__customer__"
    )
    if alert.acknowledged_at is not None:
        raise Conflict("this alert was already acknowledged")
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by_label = _label(actor)
    alert.save(update_fields=["acknowledged_at", "acknowledged_by_label"])
    return alert


# The watch ------------------------------------------------------------------------------


def promises_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Flag the promises whose lead time has begun, and break those past due.

    Each change is dated when it happened (the at-risk moment, the due date), so
    a sweep that runs late, or over an imported history, records the same ledger.
    Idempotent: a promise changes status once.
    """
    now = now or timezone.now()
    flagged = broken = 0
    while True:
        with transaction.atomic():
            batch = list(
                Promise.objects.select_for_update(skip_locked=True)
                .filter(status=PromiseStatus.OPEN, at_risk_at__lte=now, due_at__gt=now)
                .order_by("at_risk_at", "pk")[:SWEEP_CHUNK]
            )
            for promise in batch:
                promise.status = PromiseStatus.AT_RISK
                promise.save(update_fields=["status", "updated_at"])
                _event(promise, PromiseEventKind.AT_RISK, promise.at_risk_at)
                _alert(promise, AlertKind.AT_RISK, promise.at_risk_at)
        flagged += len(batch)
        if len(batch) < SWEEP_CHUNK:
            break
    while True:
        with transaction.atomic():
            batch = list(
                Promise.objects.select_for_update(skip_locked=True)
                .filter(status__in=PENDING_STATUSES, due_at__lte=now)
                .order_by("due_at", "pk")[:SWEEP_CHUNK]
            )
            for promise in batch:
                if promise.status == PromiseStatus.OPEN:
                    # Never flagged (made at short notice, or the sweep ran late):
                    # the owner still hears of it before it breaks.
                    _event(promise, PromiseEventKind.AT_RISK, promise.at_risk_at)
                    _alert(promise, AlertKind.AT_RISK, promise.at_risk_at)
                _break(
                    promise,
                    promise.due_at,
                    actor=None,
                    reason="the due date passed without the evidence",
                    automatic=True,
                    now=now,
                )
        broken += len(batch)
        if len(batch) < SWEEP_CHUNK:
            break
    return {"at_risk": flagged, "broken": broken}


# Interactions: evidence and commitments ---------------------------------------------------


@dataclass
class ObserveReport:
    kept: int = 0
    delivered_late: int = 0
    suggested: int = 0


def interactions_observe(ids: Sequence[int], now: datetime) -> ObserveReport:
    """Look at routed interactions for the evidence that open promises were kept,
    and at what agents wrote for commitments to suggest as promises."""
    report = ObserveReport()
    rows = list(
        Interaction.objects.filter(pk__in=list(ids))
        .select_related("source", "customer")
        .order_by("occurred_at", "pk")
    )
    if not rows:
        return report
    roots = {row.customer_id for row in rows}
    owner = {pk: pk for pk in roots}
    owner.update(customer_selectors.customers_absorbed(root_ids=roots))
    watching: dict[int, list[Promise]] = defaultdict(list)
    candidates = (
        Promise.objects.filter(customer_id__in=list(owner))
        .filter(
            Q(status__in=PENDING_STATUSES)
            | Q(status=PromiseStatus.BROKEN, delivered_late_at__isnull=True)
        )
        .exclude(evidence_rule={})
        .order_by("due_at", "pk")
    )
    for promise in candidates:
        watching[owner[promise.customer_id]].append(promise)
    rules: dict[int, InteractionRule] = {}
    for row in rows:
        facts = _facts(row)
        for promise in list(watching.get(row.customer_id, ())):
            if row.occurred_at < promise.made_at or row.pk == promise.interaction_id:
                continue
            rule = rules.get(promise.pk)
            if rule is None:
                rule = rules[promise.pk] = InteractionRule.from_dict(promise.evidence_rule)
            if not rule.matches(facts):
                continue
            _deliver(promise, row.occurred_at, interaction=row, now=now)
            if promise.status == PromiseStatus.KEPT:
                report.kept += 1
            else:
                report.delivered_late += 1
            watching[row.customer_id].remove(promise)
    report.suggested = _suggest(rows, now)
    return report


def _zone_of(team_ids: Iterable[int | None]) -> dict[int | None, str]:
    calendars = case_services.Calendars()
    return {team_id: calendars.for_team(team_id).timezone for team_id in set(team_ids)}


def _suggest(rows: Sequence[Interaction], now: datetime) -> int:
    outbound = [r for r in rows if r.direction == Direction.OUTBOUND and (r.body or r.subject)]
    if not outbound:
        return 0
    zones = _zone_of(r.customer.team_id for r in outbound)
    found = []
    for row in outbound:
        agent = (row.attributes or {}).get("agent")
        for commitment in commitments.find(
            f"{row.subject}\n{row.body}",
            said_at=row.occurred_at,
            zone=zones[row.customer.team_id] or "UTC",
        ):
            found.append(
                PromiseSuggestion(
                    interaction=row,
                    customer_id=row.customer_id,
                    kind=commitment.kind,
                    quote=commitment.quote,
                    due_at=commitment.due
                    if commitment.due is None or commitment.due >= row.occurred_at
                    else None,
                    made_by_label=str(agent)[:MAX_LABEL] if isinstance(agent, str) else "",
                    created_at=row.occurred_at,
                )
            )
    created = PromiseSuggestion.objects.bulk_create(found, ignore_conflicts=True)
    return len(created)


def _suggestion(actor: Actor, suggestion_id: int) -> PromiseSuggestion:
    suggestion: PromiseSuggestion = visible_for_update(
        PromiseSuggestion, actor=actor, pk=suggestion_id, noun="suggestion"
    )
    if suggestion.status != SuggestionStatus.PENDING:
        raise Conflict(f"this suggestion was already {suggestion.status}")
    return suggestion


@transaction.atomic
def suggestion_confirm(
    *,
    actor: Actor,
    suggestion_id: int,
    title: str,
    kind: str = "",
    due_at: datetime | str | None = None,
    now: datetime | None = None,
) -> Promise:
    """The agent confirms the commitment: it enters the ledger, made when it was said."""
    actor_require(actor, Permission.PROMISE_WORK)
    now = now or timezone.now()
    suggestion = _suggestion(actor, suggestion_id)
    due = due_at if due_at not in (None, "") else suggestion.due_at
    if due is None:
        raise ValidationFailed(
            "the message names no date CXM could read: give the due date", code="bad_date"
        )
    interaction = suggestion.interaction
    promise = promise_create(
        actor=actor,
        promise=PromiseIn(
            customer_id=suggestion.customer_id,
            kind=kind or suggestion.kind,
            title=title or suggestion.quote[:MAX_TITLE],
            terms=suggestion.quote,
            due_at=due,
            made_at=interaction.occurred_at,
            made_by=suggestion.made_by_label or _label(actor),
            channel=interaction.channel,
            interaction_id=interaction.pk,
        ),
        now=now,
    )
    suggestion.status = SuggestionStatus.CONFIRMED
    suggestion.promise = promise
    suggestion.decided_at = now
    suggestion.decided_by_label = _label(actor)
    suggestion.save(update_fields=["status", "promise", "decided_at", "decided_by_label"])
    return promise


@transaction.atomic
def suggestion_dismiss(*, actor: Actor, suggestion_id: int) -> PromiseSuggestion:
    """Not a commitment after all (or one already in the ledger)."""
    actor_require(actor, Permission.PROMISE_WORK)
    suggestion = _suggestion(actor, suggestion_id)
    suggestion.status = SuggestionStatus.DISMISSED
    suggestion.decided_at = timezone.now()
    suggestion.decided_by_label = _label(actor)
    suggestion.save(update_fields=["status", "decided_at", "decided_by_label"])
    return suggestion
