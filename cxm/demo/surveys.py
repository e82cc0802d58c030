"""Northvale's surveys: months of answers that show the NPS trap.

A relationship NPS goes out in monthly waves, a CSAT after each resolved support
case, a CES after an installation; all through the feedback services, at the
times they happened, so the contact policy (one invitation per customer in 30
days, none while a follow-up is open, the daily caps) holds back whom it would
have held back.

The trap, after the article behind seed 001 ("even a good NPS doesn't mean all
customers are happy"):

- the headline NPS looks good, yet the business customers are unhappy, and their
  day-to-day staff more than the decision makers who chose Northvale;
- the residential customers of the largest town are asked far more often than
  anyone else and answer more willingly, and they are the happiest: the
  respondents are not the customer base, and weighting them back to it lowers
  the score.

Scores come from a ``random.Random`` seeded by the demo's seed; a seed gives the
same answers (the answer-link tokens differ, being secrets).
"""

from __future__ import annotations

import functools
import heapq
import itertools
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from cxm.customers.enums import CustomerKind
from cxm.customers.models import Customer
from cxm.demo import content
from cxm.feedback import services as feedback
from cxm.feedback.enums import FollowUpStatus, InvitationStatus, SurveyKind, Trigger
from cxm.feedback.models import FollowUp, Invitation, Survey
from cxm.interactions.enums import Direction
from cxm.interactions.models import Interaction

NPS_NAME = "Northvale relationship NPS"
CSAT_NAME = "Support case CSAT"
CES_NAME = "Installation effort (CES)"

# The relationship waves, in days before now (about monthly, a little more than
# the 30-day cooldown apart, so a customer can be asked in consecutive waves).
WAVE_DAYS_AGO = (203, 172, 141, 110, 79, 48, 17)
WAVE_HOUR = 10
# Share of the eligible customers each wave invites: the home town's residential
# customers far more than anyone else (they are easy to reach and "always answer").
WAVE_RATE = {"home": 0.32, "residential": 0.10, "business": 0.22, "unknown": 0.16}
# Chance that an invitation is opened, then that an opened one is answered;
# an opened invitation not answered is dismissed with DISMISS_RATE.
OPEN_RATE = {"home": 0.75, "residential": 0.50, "business": 0.55, "unknown": 0.50}
ANSWER_RATE = {"home": 0.75, "residential": 0.55, "business": 0.55, "unknown": 0.50}
DISMISS_RATE = 0.45
# Promoter, passive and detractor shares of each group.
NPS_MIX: dict[str, tuple[float, float, float]] = {
    "home": (0.68, 0.21, 0.11),
    "residential": (0.50, 0.30, 0.20),
    "unknown": (0.38, 0.30, 0.32),
    "business/decision_maker": (0.30, 0.35, 0.35),
    "business/day_to_day": (0.08, 0.24, 0.68),
    "business/other": (0.15, 0.35, 0.50),
}
# A business contact's role; a household mostly leaves the question blank.
BUSINESS_ROLES = (("decision_maker", 0.38), ("day_to_day", 0.52), ("other", 0.10))
HOME_ROLES = (("", 0.70), ("other", 0.25), ("decision_maker", 0.05))
COMMENT_RATE = {"detractor": 0.75, "passive": 0.40, "promoter": 0.50}

# Of the inbound support contacts, the share that ends a case resolved.
CASE_SHARE = 0.3
CSAT_DAILY_CAP = 6
CSAT_MIX: dict[str, tuple[float, ...]] = {  # scores 1..5
    CustomerKind.RESIDENTIAL: (0.06, 0.07, 0.12, 0.30, 0.45),
    CustomerKind.BUSINESS: (0.17, 0.18, 0.20, 0.25, 0.20),
}
CES_MIX: dict[str, tuple[float, ...]] = {  # scores 1..7, 7 = very easy
    CustomerKind.RESIDENTIAL: (0.03, 0.04, 0.07, 0.12, 0.22, 0.27, 0.25),
    CustomerKind.BUSINESS: (0.12, 0.16, 0.20, 0.18, 0.14, 0.12, 0.08),
}
# A follow-up older than this is almost always closed by now; a younger one may
# be; the last week's are still open (some past their due date).
SETTLED_DAYS = 21
RECENT_DAYS = 7


@dataclass(frozen=True)
class SurveysLoaded:
    surveys: int
    invited: int
    held_back: int  # by the contact policy, over every send
    displayed: int
    responded: int
    dismissed: int
    follow_ups_open: int
    follow_ups_closed: int
    # True when the demo surveys were already there and nothing was added.
    existing: bool = False


@dataclass(frozen=True)
class _Member:
    pk: int
    kind: str
    group: str  # home | residential | business | unknown
    role: str
    plan: str
    new_since: datetime | None  # when a customer who joined in the window joined

    def stage(self, when: datetime) -> str | None:
        """The journey stage at ``when``; None before the customer joined."""
        if self.new_since is None:
            return "established"
        if when < self.new_since:
            return None
        return "onboarding" if when - self.new_since < timedelta(days=90) else "established"


def _pick(rng: random.Random, weighted: Sequence[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _population(rng: random.Random, now: datetime) -> tuple[list[_Member], str]:
    """Whom Northvale can ask, and the home town.

    Everyone in the base, as a relationship survey should sample: the
    residential and business customers, and the people CXM cannot place yet
    (kind unknown: a number that rang, a chat visitor), each asked the way they
    can be reached.
    """
    rows = list(
        Customer.objects.filter(merged_into__isnull=True, erased_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "kind", "city")
    )
    ids = [pk for pk, _, _ in rows]
    plans: dict[int, str] = {}
    for pk, attributes in (
        Interaction.objects.filter(customer_id__in=ids, attributes__has_key="plan")
        .order_by("occurred_at", "pk")
        .values_list("customer_id", "attributes")
    ):
        plans[pk] = str(attributes["plan"])
    first_seen = dict(
        Interaction.objects.filter(customer_id__in=ids)
        .values("customer_id")
        .annotate(first=Min("occurred_at"))
        .values_list("customer_id", "first")
    )
    towns = Counter(city for _, kind, city in rows if kind == CustomerKind.RESIDENTIAL and city)
    home = min(towns, key=lambda town: (-towns[town], town)) if towns else ""
    window_start = now - timedelta(days=150)
    members = []
    for pk, kind, city in rows:
        if kind == CustomerKind.UNKNOWN:
            group, role = "unknown", _pick(rng, HOME_ROLES)
        elif kind == CustomerKind.BUSINESS:
            group, role = "business", _pick(rng, BUSINESS_ROLES)
        else:
            group = "home" if city == home else "residential"
            role = _pick(rng, HOME_ROLES)
        seen = first_seen.get(pk)
        members.append(
            _Member(
                pk,
                kind,
                group,
                role,
                plans.get(pk, ""),
                seen if seen and seen > window_start else None,
            )
        )
    return members, home


class _Run:
    """Events in time order: sends, openings, answers, dismissals, call-backs."""

    def __init__(self, *, seed: int, now: datetime) -> None:
        self.rng = random.Random(f"northvale-surveys-{seed}")
        self.now = now
        self.queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self.order = itertools.count()
        self.held_back = 0

    def at(self, when: datetime, action: Callable[[], None]) -> None:
        if when < self.now:
            heapq.heappush(self.queue, (when, next(self.order), action))

    def run(self) -> None:
        while self.queue:
            _, _, action = heapq.heappop(self.queue)
            action()

    # Sending and what the customer does with the invitation ------------------

    def send(
        self,
        survey: Survey,
        members: list[_Member],
        trigger: str,
        when: datetime,
        answer: Callable[[_Member, int], tuple[int, str, str]],
        wave: int = 0,
    ) -> None:
        segments: dict[int, dict[str, str]] = {}
        for member in members:
            stage = member.stage(when) or "onboarding"
            segments[member.pk] = {"journey_stage": stage}
            if member.plan:
                segments[member.pk]["plan"] = member.plan
        report = feedback.invitations_send(
            survey=survey,
            customer_ids=[m.pk for m in members],
            trigger=trigger,
            segments=segments,
            now=when,
        )
        self.held_back += len(report.held_back)
        by_pk = {m.pk: m for m in members}
        for invitation in report.invited:
            self._fate(invitation, by_pk[invitation.customer_id], answer, wave)

    def _fate(
        self,
        invitation: Invitation,
        member: _Member,
        answer: Callable[[_Member, int], tuple[int, str, str]],
        wave: int,
    ) -> None:
        rng = self.rng
        group = member.group
        if rng.random() >= OPEN_RATE[group]:
            return  # never opened
        hours = min(rng.expovariate(1 / 20), invitation.survey.answer_days * 24 - 2)
        opened = invitation.invited_at + timedelta(hours=hours)
        if rng.random() < ANSWER_RATE[group]:
            score, comment, role = answer(member, wave)
            answered = opened + timedelta(minutes=rng.uniform(1, 6))

            def respond() -> None:
                feedback.invitation_display(invitation=invitation, now=opened)
                response = feedback.response_record(
                    invitation=invitation, score=score, comment=comment, role=role, now=answered
                )
                follow_up = FollowUp.objects.filter(response=response).first()
                if follow_up is not None:
                    self._call_back(follow_up, member)

            self.at(answered, respond)
        elif rng.random() < DISMISS_RATE:
            dismissed = opened + timedelta(seconds=rng.uniform(5, 90))

            def dismiss() -> None:
                feedback.invitation_display(invitation=invitation, now=opened)
                feedback.invitation_dismiss(invitation=invitation, now=dismissed)

            self.at(dismissed, dismiss)
        else:
            self.at(opened, lambda: feedback.invitation_display(invitation=invitation, now=opened))

    def _call_back(self, follow_up: FollowUp, member: _Member) -> None:
        """Old follow-ups are nearly all closed, recent ones mostly open."""
        rng = self.rng
        age = self.now - follow_up.created_at
        if age > timedelta(days=SETTLED_DAYS):
            chance = 0.93
        elif age > timedelta(days=RECENT_DAYS):
            chance = 0.45
        else:
            chance = 0.0
        if rng.random() >= chance:
            return
        closed = follow_up.created_at + timedelta(hours=rng.uniform(3, 24 * 5))
        if closed >= self.now:
            return
        outcomes = (
            content.FOLLOW_UP_BUSINESS_OUTCOMES
            if member.kind == CustomerKind.BUSINESS
            else content.FOLLOW_UP_OUTCOMES
        )
        outcome = rng.choice(outcomes)

        def close() -> None:
            feedback.follow_up_close(follow_up=follow_up, outcome=outcome, actor=None, now=closed)

        self.at(closed, close)

    # Answers ------------------------------------------------------------------

    def comment(self, pool: Sequence[str], rate: float) -> str:
        rng = self.rng
        if rng.random() >= rate:
            return ""
        return " ".join(rng.sample(list(pool), k=1 if rng.random() < 0.6 else 2))

    def nps_answer(self, member: _Member, wave: int) -> tuple[int, str, str]:
        rng = self.rng
        business = member.kind == CustomerKind.BUSINESS
        mix = NPS_MIX[f"business/{member.role}" if business else member.group]
        if business and member.role == "day_to_day":
            # The day-to-day staff's patience wears thinner month by month.
            shift = 0.015 * wave
            mix = (max(mix[0] - shift, 0.02), mix[1], mix[2] + shift)
        band = _pick(rng, list(zip(("promoter", "passive", "detractor"), mix, strict=True)))
        pool: Sequence[str]
        if band == "promoter":
            score = 10 if rng.random() < 0.5 else 9
            pool = content.BUSINESS_PROMOTER if business else content.HOME_PROMOTER
        elif band == "passive":
            score = 8 if rng.random() < 0.55 else 7
            pool = content.BUSINESS_PASSIVE if business else content.HOME_PASSIVE
        else:
            score = rng.choices(range(7), weights=(3, 2, 3, 4, 5, 7, 8))[0]
            pool = content.BUSINESS_DETRACTOR if business else content.HOME_DETRACTOR
            if business and rng.random() < 0.25:
                pool = content.HOME_DETRACTOR  # offices have the household complaints too
        return score, self.comment(pool, COMMENT_RATE[band]), member.role

    def csat_answer(self, member: _Member, wave: int) -> tuple[int, str, str]:
        rng = self.rng
        score = rng.choices(range(1, 6), weights=CSAT_MIX[_kind(member)])[0]
        if score <= 2:
            pool: Sequence[str] = content.SUPPORT_UNHAPPY
            if member.kind == CustomerKind.BUSINESS and rng.random() < 0.6:
                pool = content.SUPPORT_BUSINESS_UNHAPPY
            text = self.comment(pool, 0.7)
        elif score >= 4:
            text = self.comment(content.SUPPORT_HAPPY, 0.35)
        else:
            text = self.comment(content.SUPPORT_UNHAPPY, 0.3)
        return score, text, ""

    def ces_answer(self, member: _Member, wave: int) -> tuple[int, str, str]:
        rng = self.rng
        score = rng.choices(range(1, 8), weights=CES_MIX[_kind(member)])[0]
        if score <= 3:
            pool: Sequence[str] = content.ONBOARDING_HARD
            if member.kind == CustomerKind.BUSINESS and rng.random() < 0.6:
                pool = content.ONBOARDING_BUSINESS_HARD
            text = self.comment(pool, 0.65)
        else:
            text = self.comment(content.ONBOARDING_EASY, 0.35 if score >= 5 else 0.2)
        return score, text, ""


def _kind(member: _Member) -> str:
    """Business or residential, for the score mixes: the unknown answer like households."""
    if member.kind == CustomerKind.BUSINESS:
        return CustomerKind.BUSINESS
    return CustomerKind.RESIDENTIAL


def _at_local(day: datetime, hour: int, minute: int = 0) -> datetime:
    local = timezone.localtime(day).date()
    return timezone.make_aware(datetime.combine(local, time(hour, minute)))


def _surveys_create() -> tuple[Survey, Survey, Survey]:
    nps = feedback.survey_create(
        name=NPS_NAME,
        kind=SurveyKind.NPS,
        question=content.NPS_QUESTION,
        comment_question=content.NPS_COMMENT_QUESTION,
        ask_role=True,
        triggers=[Trigger.RELATIONSHIP],
    )
    csat = feedback.survey_create(
        name=CSAT_NAME,
        kind=SurveyKind.CSAT,
        question=content.CSAT_QUESTION,
        comment_question=content.CSAT_COMMENT_QUESTION,
        ask_role=False,
        triggers=[Trigger.CASE_RESOLVED],
        daily_cap=CSAT_DAILY_CAP,
        answer_days=7,
    )
    ces = feedback.survey_create(
        name=CES_NAME,
        kind=SurveyKind.CES,
        question=content.CES_QUESTION,
        comment_question=content.CES_COMMENT_QUESTION,
        ask_role=False,
        triggers=[Trigger.ONBOARDING_MILESTONE],
        answer_days=10,
    )
    return nps, csat, ces


def _support_cases(run: _Run, members: dict[int, _Member]) -> dict[datetime, list[_Member]]:
    """Resolved support cases, by the evening their CSAT goes out.

    A case is an inbound helpdesk ticket or call; some of them end resolved a
    few hours to two days later, and that evening's batch asks the customers.
    """
    days: dict[datetime, list[_Member]] = {}
    for customer_id, occurred_at in (
        Interaction.objects.filter(
            customer_id__in=list(members),
            direction=Direction.INBOUND,
            source__name__in=("helpdesk", "phone-switch"),
        )
        .order_by("occurred_at", "pk")
        .values_list("customer_id", "occurred_at")
    ):
        if run.rng.random() >= CASE_SHARE:
            continue
        resolved = occurred_at + timedelta(hours=run.rng.uniform(2, 48))
        evening = _at_local(resolved, 18, 30)
        if evening < resolved:
            evening += timedelta(days=1)
        days.setdefault(evening, []).append(members[customer_id])
    return days


def _installations(run: _Run, members: dict[int, _Member]) -> dict[datetime, list[_Member]]:
    """Completed installations, by the evening after, when the CES goes out."""
    days: dict[datetime, list[_Member]] = {}
    for customer_id, occurred_at in (
        Interaction.objects.filter(
            customer_id__in=list(members),
            source__name="field-service",
            attributes__job_type="installation",
            attributes__outcome="completed",
        )
        .order_by("occurred_at", "pk")
        .values_list("customer_id", "occurred_at")
    ):
        days.setdefault(_at_local(occurred_at, 19) + timedelta(days=1), []).append(
            members[customer_id]
        )
    return days


def demo_surveys_exist() -> bool:
    return Survey.objects.filter(name__in=(NPS_NAME, CSAT_NAME, CES_NAME)).exists()


@transaction.atomic
def demo_surveys_load(*, seed: int, now: datetime) -> SurveysLoaded:
    """Northvale's three surveys with months of invitations, answers and call-backs.

    Uses the customers already loaded; does nothing when the demo surveys exist.
    """
    if demo_surveys_exist():
        return _counts(held_back=0, existing=True)
    run = _Run(seed=seed, now=now)
    members, _home = _population(run.rng, now)
    nps, csat, ces = _surveys_create()

    for wave, days_ago in enumerate(WAVE_DAYS_AGO):
        when = _at_local(now - timedelta(days=days_ago), WAVE_HOUR)

        def send_wave(when: datetime = when, wave: int = wave) -> None:
            chosen = [
                m
                for m in members
                if m.stage(when) is not None and run.rng.random() < WAVE_RATE[m.group]
            ]
            run.send(nps, chosen, Trigger.RELATIONSHIP, when, run.nps_answer, wave)

        run.at(when, send_wave)

    by_pk = {m.pk: m for m in members}
    for sends, survey, trigger, answer in (
        (_support_cases(run, by_pk), csat, Trigger.CASE_RESOLVED, run.csat_answer),
        (_installations(run, by_pk), ces, Trigger.ONBOARDING_MILESTONE, run.ces_answer),
    ):
        for when, batch in sorted(sends.items()):
            run.at(when, functools.partial(run.send, survey, batch, trigger, when, answer))
    run.run()
    return _counts(held_back=run.held_back, existing=False)


def _counts(*, held_back: int, existing: bool) -> SurveysLoaded:
    surveys = Survey.objects.filter(name__in=(NPS_NAME, CSAT_NAME, CES_NAME))
    invitations = Invitation.objects.filter(survey__in=surveys)
    follow_ups = FollowUp.objects.filter(response__survey__in=surveys)
    return SurveysLoaded(
        surveys=surveys.count(),
        invited=invitations.count(),
        held_back=held_back,
        displayed=invitations.filter(displayed_at__isnull=False).count(),
        responded=invitations.filter(status=InvitationStatus.RESPONDED).count(),
        dismissed=invitations.filter(status=InvitationStatus.DISMISSED).count(),
        follow_ups_open=follow_ups.filter(status=FollowUpStatus.OPEN).count(),
        follow_ups_closed=follow_ups.filter(status=FollowUpStatus.DONE).count(),
        existing=existing,
    )
