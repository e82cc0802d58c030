"""Loading the demo company through the one ingestion path, and its console login."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.cases import selectors as case_selectors
from cxm.cases import services as case_services
from cxm.cases.enums import OPEN_STATUSES, CaseStatus
from cxm.cases.models import CaseInteraction
from cxm.channels import services as channel_services
from cxm.channels.models import CharterEntry
from cxm.connectors import services as connector_services
from cxm.customers import resolution
from cxm.customers import services as customer_services
from cxm.customers.dedupe import DedupeReport, customers_dedupe
from cxm.customers.enums import CustomerKind
from cxm.demo import content, generator, journey_plan, journeys
from cxm.demo.surveys import SurveysLoaded, demo_surveys_load
from cxm.insights import services as insight_services
from cxm.insights.models import Topic
from cxm.interactions import services as interaction_services
from cxm.interactions.models import Interaction
from cxm.interactions.parsing import Record
from cxm.interactions.services import IngestResult, SourcePolicy

DEMO_USERNAME = "demo"
PASSWORD_ENV = "CXM_DEMO_PASSWORD"  # noqa: S105 - the variable's name, not a secret
PASSWORD_FILE = "demo-password"  # noqa: S105 - a file name


@dataclass(frozen=True)
class DemoLoaded:
    result: IngestResult
    # What the plan set up for the review queue, by description.
    planted: dict[str, int]
    # The match model's first run over the loaded customers; None when a model
    # was already trained (a run again leaves it).
    dedupe: DedupeReport | None
    # Northvale's surveys and their answers; ``existing`` when already there.
    surveys: SurveysLoaded
    service_levels: ServiceLevels
    # None when the load was asked not to build them.
    cases: CasesBuilt | None
    # Sales, promises and journeys (``cxm.demo.journeys``); None without cases.
    journeys: JourneysLoaded | None = None


@dataclass(frozen=True)
class JourneysLoaded:
    prepared: journeys.JourneysPrepared
    settled: journeys.JourneysSettled


def demo_load(
    *,
    seed: int = generator.DEFAULT_SEED,
    customers: int = generator.DEFAULT_CUSTOMERS,
    interactions: int = generator.DEFAULT_INTERACTIONS,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    cases: bool = True,
    with_journeys: bool | None = None,
) -> DemoLoaded:
    """Send Northvale Telecom's interactions through the ingestion service.

    Then, unless a model exists, trains the match model on the loaded customers,
    which merges or proposes the billing twins (and from then on scores every
    new customer at ingest).

    Raises ``generator.DemoSizeError`` before writing anything if the size is
    impossible. Loading again stores nothing new: every line is a duplicate,
    and the model stays as trained. (Retraining on the merged base can score a
    pair just over the review threshold that the first model left: that is
    ``cxm dedupe``'s to do, not a demo run's.)

    Then the service levels (calendars, SLA policies, the channel charter), and
    the history routed into cases, which are resolved as their conversations end
    (``demo_cases_build``). ``cases=False`` leaves the history unrouted, for
    tests of the other parts, which need no cases and load faster without.

    With the cases (unless ``with_journeys`` is False), the sales, promises and
    journeys (``cxm.demo.journeys``): their lines go in with the history, the
    sales and promises are imported before it is routed, and the sweeps run once
    it is, before the surveys, whose contact policy heeds the broken promises.

    Last, the surveys (``cxm.demo.surveys``): months of NPS, CSAT and CES
    answers from the loaded customers, unless the demo surveys exist already.
    """
    plan = generator.demo_plan(seed=seed, customers=customers, interactions=interactions)
    now = now or timezone.now()
    if with_journeys is None:
        with_journeys = cases
    if with_journeys and not cases:
        raise ValueError("the journeys follow the routed history: they need the cases")
    demo_taxonomy_ensure(now=now)
    for name, description in generator.SOURCES.items():
        connector_services.source_get_or_create(name=name, description=description)

    def on_chunk(result: IngestResult, chunk: list[Record]) -> None:
        if progress is not None:
            progress(len(chunk))

    closures: list[generator.Closure] = []
    records: Iterable[Record] = generator.demo_lines(plan=plan, now=now, closures=closures)
    story = journey_plan.journey_plan(plan) if with_journeys else None
    if story is not None:
        journeys.demo_journeys_sources()
        records = journey_plan.journey_lines(
            plan=plan, journeys=story, lines=records, now=now, closures=closures
        )
    result = _ingest(records, on_chunk=on_chunk)
    demo_teams_assign()
    # A load this size leaves its texts to the worker; the demo enriches them now,
    # so that the console shows sentiment and topics from the start.
    insight_services.interactions_enrich_all()
    report = customers_dedupe() if resolution.model_load() is None else None
    # Cases open on the customers the match model left, under the demo's targets.
    service_levels = demo_service_levels_ensure()
    prepared = (
        journeys.demo_journeys_prepare(plan=plan, journeys=story, now=now)
        if story is not None
        else None
    )
    built = (
        demo_cases_build(
            closures=closures,
            now=now,
            every_day=journeys.demo_journeys_day if story is not None else None,
        )
        if cases
        else None
    )
    loaded_journeys = None
    if prepared is not None:
        loaded_journeys = JourneysLoaded(prepared, journeys.demo_journeys_settle(now=now))
    surveys = demo_surveys_load(seed=seed, now=now)
    return DemoLoaded(
        result=result,
        planted=plan.planted,
        dedupe=report,
        surveys=surveys,
        service_levels=service_levels,
        cases=built,
        journeys=loaded_journeys,
    )


def _ingest(
    records: Iterable[Record], *, on_chunk: Callable[[IngestResult, list[Record]], None]
) -> IngestResult:
    """The lines through the ingestion service in chunks of about ``CHUNK_SIZE``,
    none much smaller: a small last chunk, with few texts, would be enriched and
    routed at ingest, before the history it follows."""
    total = IngestResult()
    size = interaction_services.CHUNK_SIZE
    policy = SourcePolicy(default=None, bound=False)
    held: list[Record] = []
    for record in records:
        held.append(record)
        if len(held) == 2 * size:
            chunk, held = held[:size], held[size:]
            total.add(_ingest_chunk(chunk, policy, on_chunk))
    # The rest: one chunk, or two halves of the last two.
    halves = [held] if len(held) <= size else [held[: len(held) // 2], held[len(held) // 2 :]]
    for chunk in halves:
        if chunk:
            total.add(_ingest_chunk(chunk, policy, on_chunk))
    return total


def _ingest_chunk(
    chunk: list[Record],
    policy: SourcePolicy,
    on_chunk: Callable[[IngestResult, list[Record]], None],
) -> IngestResult:
    return interaction_services.interactions_ingest(
        records=chunk, policy=policy, chunk_size=len(chunk), on_chunk=on_chunk
    )


def demo_taxonomy_ensure(*, now: datetime) -> int:
    """Northvale's topics, so that what customers write is tagged from the start.

    Only into an empty taxonomy: one someone has edited is theirs. Returns the
    number of topics created.
    """
    if Topic.objects.exists():
        return 0
    for key, name, phrases in content.SURVEY_TAXONOMY:
        insight_services.topic_save(
            key=key, name=name, any_phrases=list(phrases), actor=None, now=now
        )
    return len(content.SURVEY_TAXONOMY)


DEMO_TEAMS = {
    CustomerKind.RESIDENTIAL: "Residential care",
    CustomerKind.BUSINESS: "Business care",
}


def demo_teams_assign() -> dict[str, int]:
    """Northvale's two care teams own the residential and the business customers.

    Customers whose kind is not known yet stay with no team, where every agent sees
    them. Only customers without a team are assigned, so a run again changes nothing.
    """
    assigned = {}
    for kind, name in DEMO_TEAMS.items():
        team = access_services.team_get_or_create(name=name)
        assigned[name] = customer_services.customers_team_assign(kind=kind, team=team)
    return assigned


@dataclass(frozen=True)
class ServiceLevels:
    """What ``demo_service_levels_ensure`` set up; zero where something was there already."""

    calendars: int
    policies: int
    charter: int


def demo_service_levels_ensure() -> ServiceLevels:
    """Northvale's business calendars, SLA policies and public channel charter.

    Each only where there is none yet: calendars, policies or a charter someone
    has set are theirs. CXM itself (no actor) sets them, through the same
    services as the console.
    """
    calendars = policies = charter = 0
    if not case_selectors.calendars(actor=None):
        case_services.calendar_set(actor=None, team_id=None, definition=content.COMPANY_CALENDAR)
        for name, definition in content.TEAM_CALENDARS.items():
            team = access_services.team_get_or_create(name=name)
            case_services.calendar_set(actor=None, team_id=team.pk, definition=definition)
        calendars = 1 + len(content.TEAM_CALENDARS)
    if not case_selectors.sla_policies(actor=None):
        for channel, targets in content.SLA_TARGETS.items():
            for priority, (first, following, resolution_minutes) in enumerate(targets, start=1):
                policy = case_services.PolicyIn(
                    channel, priority, first, following, resolution_minutes
                )
                case_services.sla_policy_set(actor=None, policy=policy)
                policies += 1
    if not CharterEntry.objects.exists():
        for position, promise in enumerate(content.CHARTER):
            entry = channel_services.CharterIn(
                name=promise.name,
                how_to_reach=promise.how_to_reach,
                hours=promise.hours,
                handles=promise.handles,
                does_not_handle=promise.does_not_handle,
                target_first_response_minutes=promise.target_minutes,
                position=position,
            )
            channel_services.charter_set(actor=None, channel=promise.channel, entry=entry)
            charter += 1
    return ServiceLevels(calendars=calendars, policies=policies, charter=charter)


@dataclass(frozen=True)
class CasesBuilt:
    routed: int  # interactions
    resolved: int  # cases
    queue: int  # cases waiting for Northvale at the end


ROUTE_CHUNK = 2000  # interactions per routing call


def demo_cases_build(
    *,
    closures: Sequence[generator.Closure],
    now: datetime,
    every_day: Callable[[datetime], None] | None = None,
) -> CasesBuilt:
    """Route the history into cases in the order it happened, resolving each case
    when its conversation ended (the generator's closures), so that the customer's
    next contact opens a new case and a later notice answers nothing.

    Routing goes in runs of interactions; a run ends where a customer with a
    closure due comes back, so each case is resolved before anything later of
    its customer is routed. Closures after ``now`` are still to come: those cases
    stay open. Only lines not routed yet are routed, and only their closures
    applied, so a run again changes nothing.

    ``every_day(moment)`` runs before a run that starts a day or more after it
    last ran: the daily sweeps a live system runs while the history happens.
    """
    waiting = list(
        Interaction.objects.filter(routed_at__isnull=True, enriched_at__isnull=False)
        .order_by("occurred_at", "pk")
        .values_list("pk", "occurred_at", "customer_id", "source__name", "external_id")
    )
    line_of = {(source, external): (pk, customer) for pk, _, customer, source, external in waiting}
    due = sorted(
        (c for c in closures if c.at <= now and all(line in line_of for line in c.lines)),
        key=lambda c: c.at,
    )
    routed = resolved = 0
    run: list[int] = []
    ending: list[tuple[list[int], generator.Closure]] = []
    closing: set[int] = set()
    run_start: list[datetime] = []
    swept: datetime | None = None

    def flush() -> None:
        nonlocal routed, resolved, swept
        if (
            every_day is not None
            and run_start
            and (swept is None or run_start[0] - swept >= timedelta(days=1))
        ):
            swept = run_start[0]
            every_day(swept)
        with transaction.atomic():
            for start in range(0, len(run), ROUTE_CHUNK):
                ids = run[start : start + ROUTE_CHUNK]
                routed += case_services.interactions_route(ids=ids, limit=len(ids)).routed
            resolved += _cases_resolve(ending)
        run.clear()
        ending.clear()
        closing.clear()
        run_start.clear()

    def close(closure: generator.Closure) -> None:
        named = [line_of[line] for line in closure.lines]
        ending.append(([pk for pk, _ in named], closure))
        closing.update(customer for _, customer in named)

    upcoming = iter(due)
    closure = next(upcoming, None)
    for pk, at, customer, _, _ in waiting:
        while closure is not None and closure.at < at:
            close(closure)
            closure = next(upcoming, None)
        if customer in closing:
            flush()
        if not run:
            run_start.append(at)
        run.append(pk)
    while closure is not None:
        close(closure)
        closure = next(upcoming, None)
    flush()
    # Whatever was enriched meanwhile; normally nothing.
    routed += case_services.interactions_route_all()
    return CasesBuilt(routed=routed, resolved=resolved, queue=_queue_size())


def _cases_resolve(closures: Sequence[tuple[list[int], generator.Closure]]) -> int:
    """Resolve the open cases of these closures (found by the interactions each names)."""
    if not closures:
        return 0
    cases = {
        line: case_id
        for line, case_id, status in CaseInteraction.objects.filter(
            interaction_id__in=[line for lines, _ in closures for line in lines]
        ).values_list("interaction_id", "case_id", "case__status")
        if status in OPEN_STATUSES
    }
    done: set[int] = set()
    for lines, closure in closures:
        for case_id in dict.fromkeys(cases[line] for line in lines if line in cases):
            if case_id in done:
                continue
            case_services.case_status_set(
                actor=None,
                case_id=case_id,
                status=CaseStatus.RESOLVED,
                note=closure.note,
                now=closure.at,
            )
            done.add(case_id)
    return len(done)


def _queue_size() -> int:
    return case_selectors.case_queue(actor=None, limit=1).total


def demo_password_ensure(*, data_dir: Path, environ: Mapping[str, str] = os.environ) -> str:
    """The demo login's password: from the environment, else generated once and kept."""
    configured = environ.get(PASSWORD_ENV, "")
    if configured:
        return configured
    path = data_dir / PASSWORD_FILE
    if path.exists():
        saved = path.read_text().strip()
        if saved:
            return saved
    password = secrets.token_urlsafe(12)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(password + "\n")
    return password


@transaction.atomic
def demo_login_ensure(*, password: str) -> User:
    """A login named ``demo`` with the administrator role, with this password.

    Not a superuser: Django's own user admin stays closed to it.
    """
    user, _ = User.objects.get_or_create(
        username=DEMO_USERNAME, defaults={"first_name": "Demo", "last_name": "Agent"}
    )
    user.is_staff = True
    user.is_active = True
    user.set_password(password)
    user.full_clean()
    user.save()
    membership = getattr(user, "membership", None)
    if membership is None or membership.role != Role.ADMINISTRATOR:
        access_services.membership_set(user=user, role=Role.ADMINISTRATOR)
    return user
