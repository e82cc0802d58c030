"""Queue, charter and scorecards benchmark: the latency of the pages agents and
the public read most, at 1,000,000 interactions and 200,000 cases.

    .venv/bin/python bench/queue_pages.py [--interactions 1000000] [--cases 200000]
        [--customers 100000] [--requests 30] [--warm-up 5] [--seed 42]
        [--skip-sqlite] [--skip-postgres] [--json PATH]

For each database (SQLite in a temp dir; a throw-away PostgreSQL server), a
fresh database migrated by ``cxm migrate`` is filled by a fresh process (this
script with ``--worker``), by bulk insert rather than through ingestion and
routing (those have their own benchmark, bench/ingest.py):

- customers spread over three teams (a tenth owned by none), a tenth with a
  Standing (followers, account value, their tiers);
- cases opened over the last 12 months on the channels in a contact centre's
  mix (email 30%, phone 20%, chat 15%, ...): 1.5% new or open (in the queue,
  most opened in the last days, their due time spread from two days past to
  three days ahead, about 15% breached, 3% without a policy and so without a due
  time), 0.5% waiting on the customer, the rest resolved (last 7 days) or
  closed, a few merged into the customer's earlier case; first response and
  resolution in business seconds on the answered ones (log-normal around a
  median per channel), recontacts where the customer came back within 7 days;
- the interactions of each case (the customer's messages and the replies, now
  and then on another channel, sentiment scored on the inbound ones) linked by
  CaseInteraction, and outbound notifications belonging to no case, up to the
  number asked for, all with ids in time order as ingestion gives them;
- two service-level clocks per case (first or next response, and resolution:
  stopped, paused or running as the case's status says);
- SLA policies for every channel and priority, a charter entry for every
  channel, CSAT and CES surveys answered after a tenth of the resolved cases.

PostgreSQL then gets ``VACUUM ANALYZE`` (what autovacuum would do within
minutes of such a load); SQLite gets nothing (CXM runs no ANALYZE there).

The timed part, in the worker, through ``django.test.Client`` (the whole
middleware stack, a new SQLite connection per request as CONN_MAX_AGE=0 makes
it in production): the console pages /queue/, /charter/ and /scorecards/ when
the URL configuration has them (as an administrator), and the API operations
GET /api/v1/cases/queue (first page; channel=email; as a supervisor of one team
through the console session), GET /api/v1/charter (public) and GET
/api/v1/scorecards (a read token). Each: warm-up requests, one request whose
queries are captured (``CaptureQueriesContext``: the query count, and the SQL
replayed bare with a cursor: the "SQL" column), then the timed requests. Also
the selectors alone, and the baseline: the queue's ORDER BY ... LIMIT 50 and
its count as bare SQL.

Goal (issue 6, 2-core machine): p95 under 300 ms for the queue page, the
charter and the scorecards. Not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
CXM = Path(sys.executable).parent / "cxm"
GOAL_P95_MS = 300.0
CHUNK = 50_000
DAY = 86_400


# ---------------------------------------------------------------------------
# Generated cases and interactions
# ---------------------------------------------------------------------------

# A contact centre's channel mix; "other" carries no traffic but has a charter entry.
CHANNEL_MIX = (
    ("email", 30),
    ("phone", 20),
    ("chat", 15),
    ("sms", 10),
    ("social", 10),
    ("web", 10),
    ("in_person", 5),
)
# Median first response in business seconds, and the charter's target in minutes.
FIRST_RESPONSE = {
    "email": (3 * 3600, 8 * 60),
    "phone": (90, 5),
    "chat": (240, 10),
    "sms": (5400, 4 * 60),
    "social": (3600, 2 * 60),
    "web": (4 * 3600, 8 * 60),
    "in_person": (300, 15),
    "other": (6 * 3600, 24 * 60),
}
# Answers come in business time; the wall clock runs about this much faster.
WALL_PER_BUSINESS = 2.0
PRIORITY_WEIGHTS = ((1, 5), (2, 20), (3, 60), (4, 15))
PRIORITY_FACTOR = {1: 0.25, 2: 0.5, 3: 1.0, 4: 2.0}
TOPICS = ("billing", "outage", "moving", "cancellation", "upgrade", "refund", "engineer", "signal")
SUBJECTS = (
    "Router keeps dropping",
    "Question about my bill",
    "Moving house next month",
    "Cancel my contract",
    "Slow speeds in the evening",
    "Engineer did not turn up",
    "Upgrade to fibre",
    "Refund not received",
    "Wrong charge on invoice",
    "No signal at home",
)
SENTENCES = (
    "Since Tuesday the connection drops every evening around eight.",
    "My last bill was higher than the price I was quoted on the phone.",
    "The engineer was booked for the morning slot but nobody came.",
    "I am moving to a new address and would like to keep the same number.",
    "I was promised a call back within 24 hours and I am still waiting.",
    "Speed tests show 12 Mbps on a package that promises 500.",
    "This is the third time I have had to get in touch about the same problem.",
    "Thank you for sorting this out so quickly yesterday.",
)
REPLIES = (
    "Thank you for getting in touch; I have looked into your account.",
    "I have booked a technician visit and sent you the details.",
    "The refund has been issued and should reach you in three to five days.",
    "Could you restart the router and tell us whether the light turns green?",
)
NOTIFICATIONS = ("Your bill is ready.", "Your engineer is on the way.", "Planned maintenance.")
FIRST_NAMES = ("Ann", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Harry", "Isla", "Jack")
SURNAMES = ("Lee", "Smith", "Jones", "Taylor", "Brown", "Patel", "Khan", "Evans", "Okafor")


@dataclass(slots=True)
class Draft:
    """One generated case; times are whole seconds since the epoch."""

    kind: str  # queue, waiting or done (resolved or closed)
    opened: int
    channel: str
    priority: int
    topic: str
    customer: int
    count: int  # its interactions
    pk: int = 0
    status: str = ""
    due: int | None = None
    first_seconds: float | None = None
    resolution_seconds: float | None = None
    first_at: int | None = None
    resolved_at: int | None = None
    closed_at: int | None = None
    waiting_since: int | None = None
    last_message: int = 0
    last_outbound: int | None = None
    messages: int = 0
    replies: int = 0
    handoffs: int = 0
    last_channel: str = ""
    sentiment: float | None = None
    recontact_of: int | None = None
    merged_into: int | None = None
    assignee: int | None = None


@dataclass
class World:
    now: int
    customer_teams: list[int | None]  # by customer id - 1
    standings: dict[int, tuple[int | None, str, float | None, str]]  # followers, tier, value, tier
    cases: list[Draft]
    # (time, customer, channel, inbound, case id or 0, sentiment or None), in id order
    interactions: list[tuple[int, int, str, bool, int, float | None]]


def _weighted(pairs: Sequence[tuple[Any, int]]) -> tuple[list[Any], list[float]]:
    values = [value for value, _ in pairs]
    total, cumulative = 0.0, []
    for _, weight in pairs:
        total += weight
        cumulative.append(total)
    return values, cumulative


def _influence_tier(followers: int | None) -> str:
    if not followers:
        return "none"
    if followers >= 100_000:
        return "high"
    return "medium" if followers >= 1_000 else "low"


def _value_tier(value: float | None) -> str:
    if value is None:
        return "unknown"
    if value >= 100_000:
        return "large"
    return "mid" if value >= 10_000 else "small"


def world_generate(
    *, customers: int, cases: int, interactions: int, teams: list[int], agents: list[int],
    now: int, seed: int,
) -> World:  # fmt: skip
    rng = random.Random(seed)
    channels, channel_cum = _weighted(CHANNEL_MIX)
    priorities, priority_cum = _weighted(PRIORITY_WEIGHTS)
    team_choices, team_cum = _weighted([(t, w) for t, w in zip(teams, (45, 35, 20), strict=False)])

    customer_teams: list[int | None] = [
        None if rng.random() < 0.1 else rng.choices(team_choices, cum_weights=team_cum)[0]
        for _ in range(customers)
    ]
    standings: dict[int, tuple[int | None, str, float | None, str]] = {}
    for customer in rng.sample(range(1, customers + 1), customers // 10):
        followers = int(math.exp(rng.gauss(5.5, 2.5))) if rng.random() < 0.6 else None
        value = round(math.exp(rng.gauss(8.5, 1.5)), 2) if rng.random() < 0.7 else None
        standings[customer] = (followers, _influence_tier(followers), value, _value_tier(value))

    # Interactions per case: at least one, on average about 80% of the
    # interactions over the cases; the rest are notifications in no case.
    mean_extra = max(0.0, 0.8 * interactions / cases - 1.0)
    queue_count = max(1, round(cases * 0.015))
    waiting_count = round(cases * 0.005)
    drafts = []
    for index in range(cases):
        if index < queue_count:
            kind = "queue"
            age = (
                min(rng.expovariate(1 / (1.5 * DAY)), 30 * DAY)
                if rng.random() < 0.8
                else rng.uniform(0, 60 * DAY)
            )
        elif index < queue_count + waiting_count:
            kind = "waiting"
            age = min(rng.expovariate(1 / (3 * DAY)), 45 * DAY)
        else:
            kind = "done"
            age = rng.uniform(600, 365 * DAY)
        extra = int(rng.expovariate(1 / mean_extra)) if mean_extra > 0 else 0
        drafts.append(
            Draft(
                kind=kind,
                opened=now - max(120, int(age)),
                channel=rng.choices(channels, cum_weights=channel_cum)[0],
                priority=rng.choices(priorities, cum_weights=priority_cum)[0],
                topic=rng.choice(TOPICS),
                # A few customers write a lot: the first 1% open about 6% of the cases.
                customer=1 + min(customers - 1, int(customers * rng.random() ** 1.6)),
                count=1 + min(40, extra),
            )
        )
    drafts.sort(key=lambda d: d.opened)

    links: list[tuple[int, int, str, bool, int, float | None]] = []
    previous: dict[int, Draft] = {}  # the customer's latest case so far
    for pk, draft in enumerate(drafts, start=1):
        draft.pk = pk
        _case_fill(draft, rng, now, channels, channel_cum, agents)
        links.extend(_case_interactions(draft, rng, now, channels))
        before = previous.get(draft.customer)
        if before is not None:
            if before.resolved_at is not None and 0 <= draft.opened - before.resolved_at <= 7 * DAY:
                draft.recontact_of = before.pk
            if draft.kind == "done" and draft.status == "closed" and rng.random() < 0.01:
                draft.merged_into = before.pk
        previous[draft.customer] = draft
    if len(links) > interactions:
        raise ValueError(
            f"{cases:,} cases make {len(links):,} interactions: ask for more than "
            f"{interactions:,} interactions or fewer cases"
        )
    for _ in range(interactions - len(links)):
        links.append(
            (
                now - rng.randrange(60, 365 * DAY),
                1 + min(customers - 1, int(customers * rng.random() ** 1.6)),
                rng.choices(channels, cum_weights=channel_cum)[0],
                False,
                0,
                None,
            )
        )
    links.sort(key=lambda link: link[0])
    return World(now, customer_teams, standings, drafts, links)


def _case_fill(
    draft: Draft,
    rng: random.Random,
    now: int,
    channels: list[str],
    channel_cum: list[float],
    agents: list[int],
) -> None:
    median = FIRST_RESPONSE[draft.channel][0]
    first = median * math.exp(rng.gauss(0, 1.0))
    draft.sentiment = max(-1.0, min(1.0, rng.gauss(-0.1, 0.35)))
    if draft.kind == "done":
        resolution = first + 6 * 3600 * math.exp(rng.gauss(0, 1.2))
        room = now - 60 - draft.opened
        if resolution * WALL_PER_BUSINESS > room:
            scale = room * rng.uniform(0.3, 1.0) / (resolution * WALL_PER_BUSINESS)
            first, resolution = first * scale, resolution * scale
        draft.count = max(2, draft.count)
        draft.first_seconds, draft.resolution_seconds = first, resolution
        draft.first_at = draft.opened + max(1, int(first * WALL_PER_BUSINESS))
        draft.resolved_at = draft.opened + max(2, int(resolution * WALL_PER_BUSINESS))
        draft.resolved_at = max(draft.resolved_at, draft.first_at + 1)
        if draft.resolved_at < now - 7 * DAY:
            draft.status, draft.closed_at = "closed", draft.resolved_at + 7 * DAY
        else:
            draft.status = "resolved"
        draft.assignee = rng.choice(agents)
        return
    room = now - 60 - draft.opened
    first = min(first, room / WALL_PER_BUSINESS * rng.uniform(0.2, 0.6))
    if draft.kind == "waiting":
        draft.status = "waiting"
        draft.count = max(2, draft.count)
        draft.assignee = rng.choice(agents)
    elif rng.random() < 0.5:
        draft.status = "new"
        draft.count = min(3, draft.count)
        first = 0.0
    else:
        draft.status = "open"
        draft.count = max(3, draft.count)
        if rng.random() < 0.4:
            draft.assignee = rng.choice(agents)
    if first:
        draft.first_seconds = first
        draft.first_at = draft.opened + max(1, int(first * WALL_PER_BUSINESS))
    if draft.status in ("new", "open"):
        draw = rng.random()
        if draw < 0.03:
            draft.due = None  # no policy for this channel and priority
        elif draw < 0.18:
            draft.due = now - rng.randrange(60, 2 * DAY)  # breached
        else:
            draft.due = now + rng.randrange(60, 3 * DAY)


def _case_interactions(
    draft: Draft, rng: random.Random, now: int, channels: list[str]
) -> Iterator[tuple[int, int, str, bool, int, float | None]]:
    """The case's interactions, first an inbound one at its opening; sets the
    counts, the last message and the time the customer has waited since."""
    end = draft.resolved_at or (now - 30)
    times = [draft.opened]
    if draft.first_at is not None:
        times.append(draft.first_at)
    start = draft.first_at or draft.opened
    times += sorted(rng.randint(start, max(start, end)) for _ in range(draft.count - len(times)))
    directions = [True]
    if draft.first_at is not None:
        directions.append(False)
    while len(directions) < len(times):
        if draft.status == "new":
            directions.append(True)
        else:
            directions.append(not directions[-1] if rng.random() < 0.75 else directions[-1])
    if draft.status == "open":
        directions[-1] = True
    elif draft.status == "waiting":
        directions[-1] = False
    channel = draft.channel
    for index, (at, inbound) in enumerate(zip(times, directions, strict=True)):
        if index and rng.random() < 0.08:
            other = rng.choice(channels)
            draft.handoffs += other != channel
            channel = other
        sentiment = None
        if inbound:
            base = draft.sentiment if draft.sentiment is not None else 0.0
            sentiment = max(-1.0, min(1.0, rng.gauss(base, 0.3)))
            draft.messages += 1
            draft.last_message = at
        else:
            draft.replies += 1
            draft.last_outbound = at
        yield (at, draft.customer, channel, inbound, draft.pk, sentiment)
    draft.last_channel = channel
    if draft.status in ("new", "open"):
        # Waiting since the first message after the last reply.
        answered = draft.last_outbound if draft.last_outbound is not None else -1
        draft.waiting_since = min(
            at for at, inbound in zip(times, directions, strict=True) if inbound and at > answered
        )


# ---------------------------------------------------------------------------
# The worker: one database
# ---------------------------------------------------------------------------


def quantiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else []
    pick = (lambda p: cuts[p - 1]) if cuts else (lambda p: values[0])
    return {
        "n": len(values),
        "mean": statistics.fmean(values),
        "p50": pick(50),
        "p95": pick(95),
        "max": max(values),
    }


class Inserter:
    """Bulk rows into a model's table: COPY on PostgreSQL, executemany on SQLite.

    Times are whole epoch seconds, written as each database stores them; JSON
    values come already encoded. Every column is named: Django sets defaults in
    Python, not in the schema.
    """

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.rows = 0

    def time(self, seconds: int | None) -> Any:
        if seconds is None:
            return None
        moment = datetime.fromtimestamp(seconds, UTC)
        # SQLite stores naive UTC text, as Django's adapt_datetimefield_value does.
        return moment if self.postgres else str(moment.replace(tzinfo=None))

    def insert(self, model: Any, names: Sequence[str], rows: Iterator[Sequence[Any]]) -> int:
        from django.db import transaction

        by_name = {field.name: field for field in model._meta.concrete_fields}
        columns = [by_name[name].column for name in names]
        table = model._meta.db_table
        quote = self.connection.ops.quote_name
        column_list = ", ".join(quote(c) for c in columns)
        count = 0
        batch: list[Sequence[Any]] = []

        def flush() -> None:
            with transaction.atomic():
                if self.postgres:
                    raw = self.connection.connection
                    with (
                        raw.cursor() as cursor,
                        cursor.copy(f"COPY {quote(table)} ({column_list}) FROM STDIN") as copy,
                    ):
                        for row in batch:
                            copy.write_row(row)
                else:
                    marks = ", ".join(["%s"] * len(columns))
                    with self.connection.cursor() as cursor:
                        cursor.executemany(
                            f"INSERT INTO {quote(table)} ({column_list}) VALUES ({marks})", batch
                        )

        for row in rows:
            batch.append(row)
            if len(batch) == CHUNK:
                flush()
                count += len(batch)
                batch = []
        if batch:
            flush()
            count += len(batch)
        self.rows += count
        return count


def _progress(message: str) -> None:
    from django.db import connection

    print(f"[{connection.vendor}] {message}", file=sys.stderr, flush=True)


@dataclass
class Actors:
    admin: Any
    supervisor: Any
    read_token: Any
    read_secret: str
    agents: list[int]


def _setup_small() -> tuple[Any, Actors, dict[tuple[str, int], int], list[int]]:
    """Teams, users, a token, SLA policies and the charter, through the services."""
    from django.contrib.auth.models import User

    from cxm.access import services as access_services
    from cxm.access.enums import Role
    from cxm.cases.models import SlaPolicy
    from cxm.channels import services as channel_services
    from cxm.connectors import services as connector_services
    from cxm.connectors.models import TokenScope

    source = connector_services.source_get_or_create(name="bench")
    teams = [access_services.team_get_or_create(name=n) for n in ("North", "South", "West")]
    admin = User.objects.create_superuser("bench-admin", password=None)
    supervisor = User.objects.create_user("bench-supervisor", password=None)
    access_services.membership_set(user=supervisor, role=Role.SUPERVISOR, teams=[teams[0]])
    agents = []
    for index in range(24):
        agent = User.objects.create_user(f"bench-agent-{index}", password=None)
        access_services.membership_set(user=agent, role=Role.AGENT, teams=[teams[index % 3]])
        agents.append(agent.pk)
    issued = connector_services.token_create(source=source, scope=TokenScope.READ)
    policies = {}
    for channel, (_, minutes) in FIRST_RESPONSE.items():
        for priority, factor in PRIORITY_FACTOR.items():
            policy = SlaPolicy.objects.create(
                channel=channel,
                priority=priority,
                first_response_minutes=max(1, round(minutes * factor)),
                next_response_minutes=max(1, round(minutes * factor)),
                resolution_minutes=round(3 * 24 * 60 * factor),
            )
            policies[(channel, priority)] = policy.pk
    week = {day: [["08:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    for position, channel in enumerate(FIRST_RESPONSE):
        always = channel in ("phone", "chat")
        channel_services.charter_set(
            actor=None,
            channel=channel,
            entry=channel_services.CharterIn(
                name=channel.replace("_", " ").capitalize(),
                how_to_reach=f"Reach us by {channel.replace('_', ' ')}",
                hours={
                    "timezone": "Europe/London",
                    "weekly": {**week, "sat": [["09:00", "17:00"]]} if always else week,
                    "holidays": "GB",
                },
                handles="Faults, bills, moves and everything else about your service.",
                target_first_response_minutes=FIRST_RESPONSE[channel][1],
                position=position,
            ),
        )
    actors = Actors(admin, supervisor, issued.token, issued.secret, agents)
    return source, actors, policies, [t.pk for t in teams]


def _insert_world(
    world: World,
    inserter: Inserter,
    source_id: int,
    policies: dict[tuple[str, int], int],
    seed: int,
) -> dict[str, int]:
    from cxm.cases.models import Case, CaseInteraction, SlaClock, Standing
    from cxm.customers.models import Customer
    from cxm.feedback.models import Invitation, Response, Survey
    from cxm.interactions.models import Interaction

    rng = random.Random(seed + 1)
    t = inserter.time
    counts: dict[str, int] = {}
    created = t(world.now - 400 * DAY)

    def customers() -> Iterator[Sequence[Any]]:
        for pk, team in enumerate(world.customer_teams, start=1):
            name = f"{FIRST_NAMES[pk % len(FIRST_NAMES)]} {SURNAMES[(pk // 7) % len(SURNAMES)]}"
            yield (pk, name, "residential", team, "", "", "", created, created)

    counts["customers"] = inserter.insert(
        Customer,
        ("id", "display_name", "kind", "team", "address", "postcode", "city", "created_at",
         "updated_at"),
        customers(),
    )  # fmt: skip
    _progress(f"{counts['customers']:,} customers")

    def standings() -> Iterator[Sequence[Any]]:
        for customer, (followers, tier, value, value_tier) in sorted(world.standings.items()):
            score = 0.0 if not followers else min(100.0, 50 + 10 * math.log10(followers / 1000))
            yield (customer, followers, followers and followers * 3, None, max(0.0, score), tier,
                   value, value_tier, created)  # fmt: skip

    counts["standings"] = inserter.insert(
        Standing,
        ("customer", "followers", "reach", "reshares", "influence_score", "influence_tier",
         "account_value", "value_tier", "updated_at"),
        standings(),
    )  # fmt: skip

    def cases() -> Iterator[Sequence[Any]]:
        for d in world.cases:
            _, influence, _, value_tier = world.standings.get(
                d.customer, (None, "none", None, "unknown")
            )
            # Without a policy a case in the queue has no clocks and no due time.
            queued_without = d.status in ("new", "open") and d.due is None
            policy = None if queued_without else policies[(d.channel, d.priority)]
            updated = max(x for x in (d.last_message, d.last_outbound, d.closed_at, d.opened) if x)
            severity = "high" if d.topic == "outage" else "normal"
            yield (
                d.pk, d.customer, world.customer_teams[d.customer - 1], d.channel, d.topic,
                SUBJECTS[d.pk % len(SUBJECTS)], d.status, severity, "normal", d.priority,
                d.sentiment, d.assignee, policy, t(d.opened), t(d.waiting_since),
                t(d.last_message), t(d.first_at), t(d.resolved_at), t(d.closed_at), t(d.due),
                d.first_seconds, d.resolution_seconds, influence, value_tier, d.messages,
                d.replies, d.handoffs, d.last_channel, d.recontact_of, d.merged_into, t(updated),
            )  # fmt: skip

    counts["cases"] = inserter.insert(
        Case,
        ("id", "customer", "team", "channel", "topic", "subject", "status", "severity",
         "urgency", "priority", "sentiment", "assignee", "policy", "opened_at", "waiting_since",
         "last_message_at", "first_response_at", "resolved_at", "closed_at", "due_at",
         "first_response_seconds", "resolution_seconds", "influence_tier", "value_tier",
         "messages", "replies", "handoffs", "last_channel", "recontact_of", "merged_into",
         "updated_at"),
        cases(),
    )  # fmt: skip
    _progress(f"{counts['cases']:,} cases")

    cases_by_pk = {d.pk: d for d in world.cases}
    attributes = [json.dumps({"plan": plan}) for plan in ("fibre-80", "fibre-500", "mobile-10gb")]

    def interactions() -> Iterator[Sequence[Any]]:
        for pk, (at, customer, channel, inbound, case, sentiment) in enumerate(
            world.interactions, start=1
        ):
            moment = t(at)
            if inbound and sentiment is not None:
                subject = SUBJECTS[case % len(SUBJECTS)] if channel in ("email", "web") else ""
                body = f"{SENTENCES[pk % 8]} {SENTENCES[(pk // 8) % 8]} Ref {pk:07d}."
                label = "neutral"
                if abs(sentiment) > 0.25:
                    label = "positive" if sentiment > 0 else "negative"
                topics = f'["{cases_by_pk[case].topic}"]'
                model = "bench"
            else:
                subject, label, model, topics = "", "", "", "[]"
                body = REPLIES[pk % 4] if case else NOTIFICATIONS[pk % 3]
            yield (
                pk, source_id, f"b-{pk}", customer, channel,
                "inbound" if inbound else "outbound", moment, subject, body,
                attributes[pk % 3], moment, label, sentiment, model, topics, moment, moment,
            )  # fmt: skip

    counts["interactions"] = inserter.insert(
        Interaction,
        ("id", "source", "external_id", "customer", "channel", "direction", "occurred_at",
         "subject", "body", "attributes", "received_at", "sentiment_label", "sentiment_score",
         "sentiment_model", "topics", "enriched_at", "routed_at"),
        interactions(),
    )  # fmt: skip
    _progress(f"{counts['interactions']:,} interactions")

    counts["case_interactions"] = inserter.insert(
        CaseInteraction,
        ("case", "interaction"),
        ((link[4], pk) for pk, link in enumerate(world.interactions, start=1) if link[4]),
    )
    _progress(f"{counts['case_interactions']:,} case links")

    def clocks() -> Iterator[Sequence[Any]]:
        for d in world.cases:
            if d.status in ("new", "open") and d.due is None:
                continue  # no policy, no clocks
            factor = PRIORITY_FACTOR[d.priority]
            first_target = max(60.0, FIRST_RESPONSE[d.channel][1] * factor * 60)
            resolution_target = 3 * DAY * factor
            yield _clock(
                d, "first_response", first_target, d.opened, d.first_at, d.first_seconds, t,
                world.now,
            )  # fmt: skip
            if d.status == "open":
                # Answered, then the customer wrote again: the next response runs.
                yield _clock(d, "next_response", first_target, d.waiting_since or d.opened, None,
                             None, t, world.now)  # fmt: skip
            yield _clock(
                d, "resolution", resolution_target, d.opened, d.resolved_at,
                d.resolution_seconds, t, world.now,
            )  # fmt: skip

    counts["sla_clocks"] = inserter.insert(
        SlaClock,
        ("case", "metric", "target_seconds", "at_risk_share", "started_at", "due_at",
         "at_risk_at", "paused_at", "remaining_seconds", "stopped_at", "elapsed_seconds",
         "at_risk_flagged_at", "breached_at"),
        clocks(),
    )  # fmt: skip
    _progress(f"{counts['sla_clocks']:,} clocks")

    # Surveys after a tenth of the resolved cases: CSAT and CES, three in five answered.
    surveys = {
        kind: Survey.objects.create(name=f"After a case ({kind})", kind=kind, question="How?").pk
        for kind in ("csat", "ces")
    }
    answered: list[tuple[int, int, int, str, int]] = []

    def invitations() -> Iterator[Sequence[Any]]:
        pk = 0
        for d in world.cases:
            if d.resolved_at is None or rng.random() >= 0.1:
                continue
            pk += 1
            kind = "csat" if pk % 2 else "ces"
            invited = d.resolved_at + 3600
            responded = invited + rng.randrange(60, DAY) if rng.random() < 0.6 else None
            if responded is not None and responded < world.now:
                answered.append((pk, surveys[kind], d.customer, kind, responded))
            else:
                responded = None
            yield (
                pk, surveys[kind], d.customer, f"bench{pk}", "case_resolved", d.channel,
                json.dumps({"channel": d.channel, "kind": "residential"}),
                "responded" if responded else "invited", t(invited), t(responded),
                t(invited + 14 * DAY),
            )  # fmt: skip

    counts["invitations"] = inserter.insert(
        Invitation,
        ("id", "survey", "customer", "token", "trigger", "channel", "segments", "status",
         "invited_at", "responded_at", "expires_at"),
        invitations(),
    )  # fmt: skip
    counts["responses"] = inserter.insert(
        Response,
        ("invitation", "survey", "customer", "score", "comment", "role", "sentiment_label",
         "sentiment_model", "topics", "created_at"),
        (
            (pk, survey, customer, rng.randint(1, 5 if kind == "csat" else 7), "", "", "", "",
             "[]", t(at))
            for pk, survey, customer, kind, at in answered
        ),
    )  # fmt: skip
    return counts


def _clock(
    d: Draft,
    metric: str,
    target: float,
    started: int,
    stopped: int | None,
    elapsed: float | None,
    t: Callable[[int | None], Any],
    now: int,
) -> tuple[Any, ...]:
    """One clock row: stopped when its answer came, paused while the case waits on
    the customer, else running to the case's due time."""
    share = 0.75
    due: int | None = started + int(target * WALL_PER_BUSINESS)
    at_risk: int | None = started + int(target * share * WALL_PER_BUSINESS)
    paused = remaining = None
    if stopped is None and d.status in ("new", "open"):
        due = d.due if metric != "resolution" else max(d.due or now, due or now)
        at_risk = None if due is None else due - int(target * (1 - share) * WALL_PER_BUSINESS)
    elif stopped is None and d.status == "waiting":
        paused, remaining, due, at_risk = d.last_outbound, target / 2, None, None
    elif stopped is None:
        # A case closed without that answer (merged, or resolved on the first message).
        stopped = d.closed_at or d.resolved_at or now
    flagged = at_risk if at_risk is not None and at_risk <= min(now, stopped or now) else None
    breached = due if due is not None and due <= min(now, stopped or now) else None
    return (d.pk, metric, target, share, t(started), t(due), t(at_risk), t(paused), remaining,
            t(stopped), elapsed, t(flagged), t(breached))  # fmt: skip


def _database_mb(connection: Any, settings: Any) -> float:
    if connection.vendor == "sqlite":
        name = Path(settings.DATABASES["default"]["NAME"])
        files = [name, name.with_name(name.name + "-wal")]
        return sum(f.stat().st_size for f in files if f.exists()) / 1024 / 1024
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return float(cursor.fetchone()[0]) / 1024 / 1024


class Recorder:
    """The SELECTs of one call, as the driver sent them, to replay bare."""

    def __init__(self) -> None:
        self.reads: list[tuple[str, Any]] = []

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if not many and sql.lstrip()[:6].upper() == "SELECT":
            self.reads.append((sql, params))
        return execute(sql, params, many, context)


def _explain(connection: Any, sql: str, params: Any) -> str:
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        return "\n".join(str(row[-1]) for row in rows)
    return "\n".join(str(row[0]) for row in rows)


def measure(
    name: str,
    via: str,
    call: Callable[[], Any],
    args: argparse.Namespace,
    *,
    goal: bool,
    bare: bool = False,
) -> dict[str, Any]:
    """Warm up, count and record the queries of one call, time the others, replay
    the recorded SQL bare."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    try:
        for _ in range(args.warm_up):
            call()
    except Exception as error:  # a page still being built: say so and go on
        _progress(f"{name} via {via} failed: {error!r}")
        return {"page": name, "via": via, "goal": goal, "error": repr(error)[:500]}
    recorder = Recorder()
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(recorder):
        detail = call()
    # Read now: the list is the connection's log, which the next request empties.
    queries = list(captured.captured_queries)
    times = []
    for _ in range(args.requests):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    figures: dict[str, Any] = {
        "page": name,
        "via": via,
        "goal": goal,
        "detail": detail,
        "queries": len(queries),
        "ms": quantiles(times),
        "sql": [q["sql"][:2000] for q in queries],
    }
    if bare:
        return figures
    # The same SELECTs with a bare cursor, rows fetched: what the database alone takes.
    per_query: list[list[float]] = [[] for _ in recorder.reads]
    totals = []
    for _ in range(args.requests):
        total = 0.0
        with connection.cursor() as cursor:
            for index, (sql, params) in enumerate(recorder.reads):
                start = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                seconds = (time.perf_counter() - start) * 1000
                per_query[index].append(seconds)
                total += seconds
        totals.append(total)
    figures["sql_ms"] = quantiles(totals)
    if recorder.reads:
        slowest = max(range(len(recorder.reads)), key=lambda i: statistics.median(per_query[i]))
        sql, params = recorder.reads[slowest]
        figures["slowest"] = {
            "sql": sql[:2000],
            "ms_p50": statistics.median(per_query[slowest]),
            "plan": _explain(connection, sql, params),
        }
    _progress(
        f"{name} via {via}: p50 {figures['ms']['p50']:.1f} ms, p95 {figures['ms']['p95']:.1f} ms, "
        f"{figures['queries']} queries"
    )
    return figures


def _console_paths() -> dict[str, str]:
    """The console pages of issue 6 that the URL configuration has."""
    from django.urls import Resolver404, resolve

    found = {}
    for name, path in (
        ("queue", "/queue/"),
        ("charter", "/charter/"),
        ("scorecards", "/scorecards/"),
    ):
        try:
            resolve(path)
        except Resolver404:
            continue
        found[name] = path
    return found


def worker(args: argparse.Namespace) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxm.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from cxm.cases import selectors as case_selectors
    from cxm.channels import selectors as channel_selectors

    figures: dict[str, Any] = {"vendor": connection.vendor, "setup": {}, "pages": []}
    setup = figures["setup"]
    now = datetime.now(UTC).replace(microsecond=0)

    start = time.perf_counter()
    source, actors, policies, team_ids = _setup_small()
    world = world_generate(
        customers=args.customers, cases=args.cases, interactions=args.interactions,
        teams=team_ids, agents=actors.agents, now=int(now.timestamp()), seed=args.seed,
    )  # fmt: skip
    setup["generate_seconds"] = time.perf_counter() - start
    _progress(f"generated in {setup['generate_seconds']:.1f} s")

    start = time.perf_counter()
    inserter = Inserter(connection)
    setup["rows"] = _insert_world(world, inserter, source.pk, policies, args.seed)
    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        from cxm.cases.models import Case
        from cxm.customers.models import Customer
        from cxm.feedback.models import Invitation
        from cxm.interactions.models import Interaction

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(
                no_style(), [Customer, Case, Interaction, Invitation]
            ):
                cursor.execute(sql)
    setup["insert_seconds"] = time.perf_counter() - start
    _progress(f"inserted {inserter.rows:,} rows in {setup['insert_seconds']:.1f} s")
    start = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    setup["vacuum_seconds"] = time.perf_counter() - start
    setup["database_mb"] = _database_mb(connection, settings)
    drafts = world.cases
    setup["queue"] = sum(d.status in ("new", "open") for d in drafts)
    setup["queue_breached"] = sum(
        d.status in ("new", "open") and d.due is not None and d.due <= world.now for d in drafts
    )
    setup["queue_email"] = sum(d.status in ("new", "open") and d.channel == "email" for d in drafts)
    setup["cases_30_days"] = sum(d.opened >= world.now - 30 * DAY for d in drafts)
    setup["interactions_30_days"] = sum(i[0] >= world.now - 30 * DAY for i in world.interactions)
    setup["statuses"] = {
        status: sum(d.status == status for d in drafts)
        for status in ("new", "open", "waiting", "resolved", "closed")
    }
    del world, drafts

    admin, supervisor = Client(), Client()
    admin.force_login(actors.admin)
    supervisor.force_login(actors.supervisor)
    api, bearer = Client(), {"HTTP_AUTHORIZATION": f"Bearer {actors.read_secret}"}

    def get(client: Client, path: str, **headers: Any) -> Callable[[], dict[str, Any]]:
        def call() -> dict[str, Any]:
            response = client.get(path, **headers)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: {response.status_code} {response.content[:300]!r}")
            return {"path": path, "bytes": len(response.content)}

        return call

    pages = figures["pages"]
    console = _console_paths()
    figures["console_pages"] = sorted(console)
    if "queue" in console:
        pages += [
            measure("queue, first page", "console", get(admin, "/queue/"), args, goal=True),
            measure("queue, channel=email", "console",
                    get(admin, "/queue/?channel=email"), args, goal=True),
        ]  # fmt: skip
    if "charter" in console:
        pages.append(measure("charter", "console", get(admin, "/charter/"), args, goal=True))
    if "scorecards" in console:
        pages.append(measure("scorecards, 30 days", "console", get(admin, "/scorecards/"), args,
                             goal=True))  # fmt: skip
    queue_path = "/api/v1/cases/queue"
    pages += [
        measure("queue, first page", "API token", get(api, queue_path, **bearer), args, goal=True),
        measure("queue, channel=email", "API token",
                get(api, f"{queue_path}?channel=email", **bearer), args, goal=True),
        measure("queue, one team", "API session", get(supervisor, queue_path), args, goal=True),
        measure("charter", "API public", get(api, "/api/v1/charter"), args, goal=True),
        measure("scorecards, 30 days", "API token",
                get(api, "/api/v1/scorecards?days=30", **bearer), args, goal=True),
    ]  # fmt: skip

    def selector(function: Callable[[], Any]) -> Callable[[], None]:
        def call() -> None:
            function()

        return call

    token = actors.read_token
    pages += [
        measure("queue, first page", "selector",
                selector(lambda: case_selectors.case_queue(actor=token)), args, goal=False),
        measure("charter", "selector", selector(channel_selectors.charter), args, goal=False),
        measure("scorecards, 30 days", "selector",
                selector(lambda: channel_selectors.scorecards(actor=token, days=30)), args,
                goal=False),
    ]  # fmt: skip
    pages += bare_queue(connection, args)
    return figures


QUEUE_ORDER_SQL = (
    "ORDER BY c.due_at ASC NULLS LAST, c.priority ASC, c.waiting_since ASC NULLS LAST, c.id ASC"
)


def bare_queue(connection: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The baseline: the queue's page (its cases with their customer's name) and its
    count as bare SQL, rows fetched as tuples."""

    def run(sql: str, params: Sequence[Any]) -> Callable[[], dict[str, Any]]:
        def call() -> dict[str, Any]:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return {"rows": len(cursor.fetchall())}

        return call

    page = (
        "SELECT c.*, cu.display_name FROM cases_case c "
        "JOIN customers_customer cu ON cu.id = c.customer_id "
        "WHERE c.status IN ('new', 'open'){} " + QUEUE_ORDER_SQL + " LIMIT 50"
    )
    count = "SELECT COUNT(*) FROM cases_case c WHERE c.status IN ('new', 'open'){}"
    email = " AND c.channel = %s"
    results = [
        measure("queue ORDER BY .. LIMIT 50", "bare SQL", run(page.format(""), []), args,
                goal=False, bare=True),
        measure("queue count", "bare SQL", run(count.format(""), []), args, goal=False, bare=True),
        measure("queue channel=email, LIMIT 50", "bare SQL", run(page.format(email), ["email"]),
                args, goal=False, bare=True),
    ]  # fmt: skip
    for result, sql in zip(results, (page.format(""), count.format(""), page.format(email)),
                           strict=True):  # fmt: skip
        params = ["email"] if "%s" in sql else []
        result["slowest"] = {"sql": sql, "plan": _explain(connection, sql, params)}
        _progress(f"{result['page']} bare: p50 {result['ms']['p50']:.2f} ms")
    return results


# ---------------------------------------------------------------------------
# The driver: fresh databases, one worker process each, the report
# ---------------------------------------------------------------------------


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "CXM_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "cxm.settings",
        "CXM_DEBUG": "0",
        # django.test.Client sends Host: testserver.
        "CXM_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    }


def _code_state() -> dict[str, Any]:
    """Which code ran: the commit, and whether the measured modules differ from it."""
    root = BENCH_DIR.parent
    modules = [
        f"cxm/{name}.py"
        for name in ("cases/selectors", "channels/selectors", "cases/api", "channels/api",
                     "cases/models", "console/case_views")
    ]  # fmt: skip

    def git(*arguments: str) -> str:
        done = subprocess.run(["git", *arguments], cwd=root, capture_output=True, text=True)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "modified": git("diff", "--name-only", "HEAD", "--", *modules).split(),
    }


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_worker(
    label: str, database_url: str, data_dir: Path, args: argparse.Namespace
) -> dict[str, Any]:
    env = _env(database_url, data_dir)
    subprocess.run([str(CXM), "migrate", "--no-input", "-v", "0"], env=env, check=True)
    command = [
        sys.executable, str(Path(__file__).resolve()), "--worker",
        "--customers", str(args.customers), "--cases", str(args.cases),
        "--interactions", str(args.interactions), "--requests", str(args.requests),
        "--warm-up", str(args.warm_up), "--seed", str(args.seed),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out)  # progress on our stderr
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"the worker for {label} failed")
        out.seek(0)
        figures: dict[str, Any] = json.loads(out.read().decode().strip().splitlines()[-1])
    figures["database"] = label
    figures["worker_seconds"] = seconds
    figures["peak_rss_mb"] = usage.ru_maxrss / 1024
    figures["load_after"] = _load()
    return figures


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def report(results: dict[str, Any]) -> str:
    p = results["parameters"]
    code = results["code"]
    lines = [
        f"CXM queue, charter and scorecards: {p['interactions']:,} interactions, "
        f"{p['cases']:,} cases, {p['customers']:,} customers; seed {p['seed']}",
        f"{p['warm_up']} warm-up and {p['requests']} timed requests each; "
        f"{results['machine']['cpus']} CPUs, Python {results['machine']['python']}, "
        f"load average at start {results['load_before']}",
        f"code: commit {code['commit']}"
        + (f", working-tree changes in {', '.join(code['modified'])}" if code["modified"] else ""),
        "",
    ]
    header = (
        f"{'database':<11}{'page':<31}{'via':<12}{'queries':>8}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'max ms':>8}{'SQL p50':>8}  goal"
    )
    lines += [header, "-" * len(header)]
    for run in results["runs"]:
        for page in run["pages"]:
            if "error" in page:
                lines.append(
                    f"{run['database']:<11}{page['page']:<31}{page['via']:<12}"
                    f"  failed: {page['error'][:60]}"
                )
                continue
            goal = "-"
            if page["goal"]:
                verdict = "PASS" if page["ms"]["p95"] < GOAL_P95_MS else "FAIL"
                goal = f"p95 < {GOAL_P95_MS:.0f} ms {verdict}"
            queries = "-" if page["via"] == "bare SQL" else str(page["queries"])
            lines.append(
                f"{run['database']:<11}{page['page']:<31}{page['via']:<12}{queries:>8}"
                f"{_ms(page['ms']['p50']):>8}{_ms(page['ms']['p95']):>8}{_ms(page['ms']['max']):>8}"
                f"{_ms(page.get('sql_ms', {}).get('p50')):>8}  {goal}"
            )
    lines += [
        "p50..max: wall time of the request through django.test.Client (the middleware, the",
        "view or API operation, rendering), of the selector call, or of the bare SQL; queries:",
        "counted in one request (authentication included). SQL p50: the SELECTs of that request",
        "replayed with a bare cursor and fetched (what the database alone takes).",
        "",
    ]
    for run in results["runs"]:
        s = run["setup"]
        rows = ", ".join(f"{name.replace('_', ' ')} {n:,}" for name, n in s["rows"].items())
        statuses = ", ".join(f"{k} {v:,}" for k, v in s["statuses"].items())
        console = ", ".join(run["console_pages"]) or "none (the console pages are not there yet)"
        lines += [
            f"{run['database']}:",
            f"  generated in {s['generate_seconds']:.1f} s, inserted in "
            f"{s['insert_seconds']:.1f} s ({rows}); "
            + ("VACUUM ANALYZE" if run["database"] == "postgresql" else "WAL checkpoint")
            + f" {s['vacuum_seconds']:.1f} s; database {s['database_mb']:,.0f} MB",
            f"  cases: {statuses}; in the queue {s['queue']:,} ({s['queue_breached']:,} "
            f"breached, {s['queue_email']:,} email); opened in the last 30 days "
            f"{s['cases_30_days']:,}, interactions {s['interactions_30_days']:,}",
            f"  console pages measured: {console}",
            f"  worker: {run['worker_seconds']:.0f} s wall, peak RSS {run['peak_rss_mb']:,.0f} MB; "
            f"load average after {run['load_after']}",
        ]
        for page in run["pages"]:
            slowest = page.get("slowest")
            if page["via"] in ("selector", "bare SQL") or not slowest:
                continue
            lines.append(
                f"  slowest query of {page['page']} ({page['via']}): {slowest['ms_p50']:.1f} ms"
            )
            lines += [f"      {step}" for step in slowest["plan"].splitlines()[:12]]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warm-up", type=int, default=5, help="untimed requests first")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--json", help="also write every figure to this JSON file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.cases <= args.interactions or args.customers < 1 or args.requests < 2:
        parser.error("need 1 <= cases <= interactions, customers >= 1 and requests >= 2")

    if args.worker:
        figures = worker(args)
        json.dump(figures, sys.stdout)
        sys.stdout.write("\n")
        return

    from _pg import postgres_server

    results: dict[str, Any] = {
        "parameters": {
            "interactions": args.interactions,
            "cases": args.cases,
            "customers": args.customers,
            "requests": args.requests,
            "warm_up": args.warm_up,
            "seed": args.seed,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "code": _code_state(),
        "goal": {"p95_ms": GOAL_P95_MS},
        "load_before": _load(),
        "runs": [],
    }
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cxm-bench-queue-") as tmp:
        if not args.skip_sqlite:
            data_dir = Path(tmp) / "sqlite"
            data_dir.mkdir()
            url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
            results["runs"].append(run_worker("sqlite", url, data_dir, args))
            for path in data_dir.glob("bench.sqlite3*"):
                path.unlink()
        if not args.skip_postgres:
            data_dir = Path(tmp) / "postgresql"
            data_dir.mkdir()
            with postgres_server() as url:
                results["runs"].append(run_worker("postgresql", url, data_dir, args))
    results["seconds"] = time.perf_counter() - start
    results["load_after"] = _load()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))


if __name__ == "__main__":
    main()
