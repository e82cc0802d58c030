"""Loading the demo company through the one ingestion path, and its console login."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.connectors import services as connector_services
from cxm.customers import resolution
from cxm.customers import services as customer_services
from cxm.customers.dedupe import DedupeReport, customers_dedupe
from cxm.customers.enums import CustomerKind
from cxm.demo import content, generator
from cxm.demo.surveys import SurveysLoaded, demo_surveys_load
from cxm.insights import services as insight_services
from cxm.insights.models import Topic
from cxm.interactions import services as interaction_services
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


def demo_load(
    *,
    seed: int = generator.DEFAULT_SEED,
    customers: int = generator.DEFAULT_CUSTOMERS,
    interactions: int = generator.DEFAULT_INTERACTIONS,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
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

    Last, the surveys (``cxm.demo.surveys``): months of NPS, CSAT and CES
    answers from the loaded customers, unless the demo surveys exist already.
    """
    plan = generator.demo_plan(seed=seed, customers=customers, interactions=interactions)
    now = now or timezone.now()
    demo_taxonomy_ensure(now=now)
    for name, description in generator.SOURCES.items():
        connector_services.source_get_or_create(name=name, description=description)

    def on_chunk(result: IngestResult, chunk: list[Record]) -> None:
        if progress is not None:
            progress(len(chunk))

    result = interaction_services.interactions_ingest(
        records=generator.demo_lines(plan=plan, now=now),
        policy=SourcePolicy(default=None, bound=False),
        on_chunk=on_chunk,
    )
    demo_teams_assign()
    # A load this size leaves its texts to the worker; the demo enriches them now,
    # so that the console shows sentiment and topics from the start.
    insight_services.interactions_enrich_all()
    report = customers_dedupe() if resolution.model_load() is None else None
    surveys = demo_surveys_load(seed=seed, now=now)
    return DemoLoaded(result=result, planted=plan.planted, dedupe=report, surveys=surveys)


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
