"""Writes of the feedback app: surveys, invitations, answers, dismissals, follow-ups."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.customers.enums import IdentityKind
from cxm.customers.models import Customer, Identity
from cxm.errors import Conflict, NotFound, ValidationFailed
from cxm.feedback import policy
from cxm.feedback.enums import (
    SCALES,
    FollowUpStatus,
    InvitationStatus,
    RespondentRole,
    SurveyKind,
    Trigger,
)
from cxm.feedback.models import FollowUp, Invitation, Response, Survey
from cxm.insights import services as insight_services
from cxm.interactions.enums import Channel

MAX_COMMENT = 5000
MAX_BULK_INVITATIONS = 10_000
# Whoever owns a follow-up has this long to call the customer back.
FOLLOW_UP_DAYS = 2


def global_daily_cap() -> int | None:
    cap = getattr(settings, "CXM_SURVEY_DAILY_CAP", None)
    return int(cap) if cap else None


def follow_up_days() -> int:
    return int(getattr(settings, "CXM_SURVEY_FOLLOW_UP_DAYS", FOLLOW_UP_DAYS))


# Surveys ---------------------------------------------------------------------


def survey_create(
    *,
    name: str,
    kind: str,
    question: str,
    comment_question: str = "",
    ask_role: bool = True,
    triggers: Sequence[str] = (),
    daily_cap: int | None = None,
    answer_days: int = 14,
) -> Survey:
    if kind not in SurveyKind.values:
        raise ValidationFailed(
            f"unknown survey kind '{kind}'; expected one of {', '.join(SurveyKind.values)}",
            code="bad_kind",
        )
    unknown = [t for t in triggers if t not in Trigger.values or t == Trigger.BULK]
    if unknown:
        automatic = [t for t in Trigger.values if t != Trigger.BULK]
        raise ValidationFailed(
            f"unknown trigger '{unknown[0]}'; a survey can be sent by "
            + ", ".join(automatic)
            + " (bulk sends need no trigger)",
            code="bad_trigger",
        )
    if not name.strip() or not question.strip():
        raise ValidationFailed("a survey needs a name and a question", code="invalid")
    if daily_cap is not None and daily_cap < 1:
        raise ValidationFailed("the daily cap must be at least 1", code="invalid")
    if not 1 <= answer_days <= 365:
        raise ValidationFailed("answers can be taken for 1 to 365 days", code="invalid")
    survey = Survey(
        name=name.strip()[:200],
        kind=kind,
        question=question.strip()[:500],
        comment_question=comment_question.strip()[:500],
        ask_role=ask_role,
        triggers=list(dict.fromkeys(triggers)),
        daily_cap=daily_cap,
        answer_days=answer_days,
    )
    survey.full_clean()
    survey.save()
    return survey


# Invitations -----------------------------------------------------------------


ACCOUNT_SIZES = ((1, "1 contact"), (3, "2-3 contacts"), (None, "4+ contacts"))


def _account_size(count: int) -> str:
    for limit, label in ACCOUNT_SIZES:
        if limit is None or count <= limit:
            return label
    raise AssertionError("unreachable")


def segments_for(customer_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """The segments of each customer that CXM knows for the whole base.

    Only these can be weighted to customer-base totals: kind, region and
    account size. A trigger may add what it knows (plan, journey stage).
    """
    ids = list(customer_ids)
    rows = list(Customer.objects.filter(pk__in=ids).values_list("pk", "kind", "city", "account_id"))
    accounts = {r[3] for r in rows if r[3] is not None}
    sizes = dict(
        Customer.objects.filter(account_id__in=accounts, merged_into__isnull=True)
        .values("account_id")
        .annotate(n=Count("id"))
        .values_list("account_id", "n")
    )
    return {
        pk: {
            "kind": kind,
            "region": city or "unknown",
            "account_size": _account_size(sizes.get(account, 1)) if account else "no account",
        }
        for pk, kind, city, account in rows
    }


def _channels_for(customer_ids: list[int]) -> dict[int, str]:
    """Email where the customer has an address, else SMS to a phone, else the web."""
    found: dict[int, str] = {}
    for pk, kind in Identity.objects.filter(
        customer_id__in=customer_ids, kind__in=(IdentityKind.EMAIL, IdentityKind.PHONE)
    ).values_list("customer_id", "kind"):
        if kind == IdentityKind.EMAIL or pk not in found:
            found[pk] = Channel.EMAIL if kind == IdentityKind.EMAIL else Channel.SMS
    return {pk: found.get(pk, Channel.WEB) for pk in customer_ids}


@dataclass
class SendReport:
    invited: list[Invitation] = field(default_factory=list)
    held_back: list[tuple[int, str]] = field(default_factory=list)


def _sent_today(*, now: datetime, survey: Survey | None) -> int:
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    invitations = Invitation.objects.filter(invited_at__gte=start, invited_at__lte=now)
    if survey is not None:
        invitations = invitations.filter(survey=survey)
    return invitations.count()


@transaction.atomic
def invitations_send(
    *,
    survey: Survey,
    customer_ids: Sequence[int],
    trigger: str = Trigger.BULK,
    channel: str | None = None,
    segments: Mapping[int, Mapping[str, str]] | None = None,
    now: datetime | None = None,
) -> SendReport:
    """Invite each customer the contact policy allows, in the order given.

    Every customer not invited is reported with the reason; nothing is sent
    twice to one customer in one batch.
    """
    now = now or timezone.now()
    if not survey.active:
        raise Conflict(f"the survey '{survey}' is switched off", code="survey_inactive")
    if channel is not None and channel not in Channel.values:
        raise ValidationFailed(f"unknown channel '{channel}'", code="bad_channel")
    if len(customer_ids) > MAX_BULK_INVITATIONS:
        raise ValidationFailed(
            f"at most {MAX_BULK_INVITATIONS} customers per send, not {len(customer_ids)}",
            code="too_many",
        )
    ids = list(dict.fromkeys(customer_ids))
    report = SendReport()
    blocked = policy.held_back(ids, now=now)
    room: list[int | None] = []
    for cap, scope in ((survey.daily_cap, survey), (global_daily_cap(), None)):
        room.append(None if cap is None else max(0, cap - _sent_today(now=now, survey=scope)))
    allowed: list[int] = []
    for pk in ids:
        if pk in blocked:
            report.held_back.append((pk, blocked[pk]))
        elif any(r is not None and len(allowed) >= r for r in room):
            report.held_back.append((pk, "the daily cap of invitations is reached"))
        else:
            allowed.append(pk)
    if not allowed:
        return report
    known = segments_for(allowed)
    channels = _channels_for(allowed)
    invitations = [
        Invitation(
            survey=survey,
            customer_id=pk,
            token=secrets.token_urlsafe(32),
            trigger=trigger,
            channel=channel or channels[pk],
            segments={**known.get(pk, {}), **dict((segments or {}).get(pk, {}))},
            invited_at=now,
            expires_at=now + timedelta(days=survey.answer_days),
        )
        for pk in allowed
    ]
    report.invited = Invitation.objects.bulk_create(invitations)
    return report


def survey_trigger(
    *,
    trigger: str,
    customer_id: int,
    segments: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> list[Invitation]:
    """An event happened to a customer: send the surveys that wait for it.

    Called by the parts of CXM where the events happen (a case resolved, an
    onboarding milestone); the contact policy decides whether anyone is asked.
    """
    if trigger not in Trigger.values or trigger == Trigger.BULK:
        raise ValidationFailed(f"unknown trigger '{trigger}'", code="bad_trigger")
    invited: list[Invitation] = []
    for survey in Survey.objects.filter(active=True).order_by("pk"):
        if trigger in survey.triggers:
            report = invitations_send(
                survey=survey,
                customer_ids=[customer_id],
                trigger=trigger,
                segments={customer_id: segments or {}},
                now=now,
            )
            invited.extend(report.invited)
    return invited


def relationship_sample(
    *, survey: Survey, size: int, seed: int | None = None, now: datetime | None = None
) -> list[int]:
    """A simple random sample of the customers the policy lets through as of ``now``.

    Chosen at random rather than by who is easy or friendly to reach: a
    relationship survey that picks its respondents picks its score.
    """
    import random

    ids = list(
        Customer.objects.filter(merged_into__isnull=True, erased_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rng = random.Random(seed)
    rng.shuffle(ids)
    now = now or timezone.now()
    # The policy judges a few more than the sample at a time, not the whole base.
    step = max(2 * size, policy.CHUNK)
    chosen: list[int] = []
    for start in range(0, len(ids), step):
        if len(chosen) >= size:
            break
        part = ids[start : start + step]
        blocked = policy.held_back(part, now=now)
        chosen.extend(pk for pk in part if pk not in blocked)
    return chosen[:size]


# Spread a relationship survey so that each customer is asked about once in
# this many days, unless the survey's daily cap says fewer.
RELATIONSHIP_CYCLE_DAYS = 90


def relationship_waves_send(*, now: datetime | None = None) -> dict[str, int]:
    """Send today's random sample of every active relationship survey."""
    now = now or timezone.now()
    sent: dict[str, int] = {}
    base = Customer.objects.filter(merged_into__isnull=True, erased_at__isnull=True).count()
    for survey in Survey.objects.filter(active=True).order_by("pk"):
        if Trigger.RELATIONSHIP not in survey.triggers:
            continue
        size = max(1, -(-base // RELATIONSHIP_CYCLE_DAYS))
        if survey.daily_cap:
            size = min(size, survey.daily_cap)
        sample = relationship_sample(survey=survey, size=size, now=now)
        report = invitations_send(
            survey=survey, customer_ids=sample, trigger=Trigger.RELATIONSHIP, now=now
        )
        sent[survey.name] = len(report.invited)
    return sent


# Answering -------------------------------------------------------------------


_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def invitation_by_token(token: str) -> Invitation:
    # Only what CXM could have issued reaches the database (a NUL, say, is refused
    # by PostgreSQL with an error rather than found missing).
    found = (
        Invitation.objects.select_related("survey").filter(token=token).first()
        if _TOKEN.fullmatch(token or "")
        else None
    )
    if found is None:
        raise NotFound("This survey link is not one CXM sent, or it was mistyped.")
    return found


def check_open(invitation: Invitation, now: datetime | None = None) -> None:
    """Raise ``Conflict`` unless the invitation still takes an answer."""
    now = now or timezone.now()
    if invitation.responded_at is not None:
        raise Conflict("This survey has already been answered. Thank you.", code="answered")
    if invitation.dismissed_at is not None:
        raise Conflict("You chose not to answer this survey.", code="dismissed")
    if now > invitation.expires_at:
        raise Conflict("This survey has closed.", code="expired")


def invitation_display(*, invitation: Invitation, now: datetime | None = None) -> None:
    """The customer opened the link: counted once, at the first opening."""
    if invitation.displayed_at is not None:
        return
    now = now or timezone.now()
    Invitation.objects.filter(pk=invitation.pk, displayed_at__isnull=True).update(
        displayed_at=now,
        status=InvitationStatus.DISPLAYED,
    )
    invitation.displayed_at = now
    if invitation.status == InvitationStatus.INVITED:
        invitation.status = InvitationStatus.DISPLAYED


def _score(survey: Survey, raw: Any) -> int:
    low, high = SCALES[survey.kind]
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(f"choose a score from {low} to {high}", code="bad_score") from None
    if not low <= value <= high:
        raise ValidationFailed(f"choose a score from {low} to {high}", code="bad_score")
    return value


def needs_follow_up(kind: str, score: int) -> str | None:
    """Why an answer needs a call back, or None."""
    if kind == SurveyKind.NPS and score <= 6:
        return f"NPS {score}: a detractor"
    if kind == SurveyKind.CSAT and score <= 2:
        return f"CSAT {score} of 5: dissatisfied"
    return None


@transaction.atomic
def response_record(
    *,
    invitation: Invitation,
    score: Any,
    comment: str = "",
    role: str = "",
    now: datetime | None = None,
) -> Response:
    now = now or timezone.now()
    invitation = (
        Invitation.objects.select_for_update().select_related("survey").get(pk=invitation.pk)
    )
    check_open(invitation, now)
    survey = invitation.survey
    value = _score(survey, score)
    if role and role not in RespondentRole.values:
        raise ValidationFailed(
            "choose your role from: " + ", ".join(str(r.label) for r in RespondentRole),
            code="bad_role",
        )
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(
            f"the comment is {len(comment)} characters; at most {MAX_COMMENT} fit",
            code="too_long",
        )
    enrichment = insight_services.texts_enrich([comment])[0] if comment else None
    response = Response(
        invitation=invitation,
        survey=survey,
        customer_id=invitation.customer_id,
        score=value,
        comment=comment,
        role=role,
        sentiment_label=enrichment.label if enrichment else "",
        sentiment_score=enrichment.score if enrichment else None,
        sentiment_model=enrichment.model if enrichment else "",
        topics=enrichment.topics if enrichment else [],
        created_at=now,
    )
    response.full_clean(exclude=["invitation"])
    response.save()
    if invitation.displayed_at is None:  # answered from a form sent inline, say
        invitation.displayed_at = now
    invitation.responded_at = now
    invitation.status = InvitationStatus.RESPONDED
    invitation.save(update_fields=["displayed_at", "responded_at", "status"])
    reason = needs_follow_up(survey.kind, value)
    if reason is not None:
        FollowUp.objects.create(
            response=response,
            customer_id=invitation.customer_id,
            reason=reason,
            owner=_follow_up_owner(invitation.customer_id),
            due_at=now + timedelta(days=follow_up_days()),
            created_at=now,
        )
    return response


@transaction.atomic
def invitation_dismiss(*, invitation: Invitation, now: datetime | None = None) -> None:
    """ "No thanks": recorded as such, never as an answer."""
    now = now or timezone.now()
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    check_open(invitation, now)
    invitation.dismissed_at = now
    invitation.status = InvitationStatus.DISMISSED
    invitation.save(update_fields=["dismissed_at", "status"])


# The closed loop --------------------------------------------------------------


def _follow_up_owner(customer_id: int) -> User | None:
    """A supervisor of the customer's team, the one with fewest open follow-ups;
    failing that, any supervisor; None leaves it for someone to take."""
    team_id = Customer.objects.filter(pk=customer_id).values_list("team_id", flat=True).first()
    supervisors = User.objects.filter(is_active=True, membership__role=Role.SUPERVISOR).annotate(
        load=Count("survey_follow_ups", filter=Q(survey_follow_ups__status=FollowUpStatus.OPEN))
    )
    if team_id is not None:
        in_team = supervisors.filter(membership__teams=team_id)
        if in_team.exists():
            supervisors = in_team
    return supervisors.order_by("load", "pk").first()


def follow_up_assign(*, follow_up: FollowUp, owner: User, actor: Any) -> FollowUp:
    if follow_up.status != FollowUpStatus.OPEN:
        raise Conflict("this follow-up is already done", code="done")
    follow_up.owner = owner
    follow_up.save(update_fields=["owner"])
    return follow_up


@transaction.atomic
def follow_up_close(
    *, follow_up: FollowUp, outcome: str, actor: Any, now: datetime | None = None
) -> FollowUp:
    """Record what was done for the customer; a follow-up closes only with that."""
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationFailed(
            "say what was done for the customer (the call, the fix, the answer)",
            code="outcome_required",
        )
    if len(outcome) > MAX_COMMENT:
        raise ValidationFailed(f"at most {MAX_COMMENT} characters", code="too_long")
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.status != FollowUpStatus.OPEN:
        raise Conflict("this follow-up is already done", code="done")
    follow_up.status = FollowUpStatus.DONE
    follow_up.outcome = outcome
    follow_up.closed_at = now or timezone.now()
    follow_up.closed_by = actor if isinstance(actor, User) else None
    follow_up.closed_by_label = access_services.actor_label(actor)[:150]
    follow_up.save(update_fields=["status", "outcome", "closed_at", "closed_by", "closed_by_label"])
    return follow_up
