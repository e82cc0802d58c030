"""Northvale's sales, promises and leavers: the story the demo's journeys tell.

Plain Python, no Django. ``journey_plan`` decides, from the demo's plan and seed
only, who sold what to whom, what was promised, what became of it, and who left;
``journey_lines`` weaves the interactions that show it (a router's first sync,
a usage milestone, a call back, a fault cleared, an account closed) into the
generator's stream, each placed after the line it follows from. The sales and
promises themselves are sent to CXM afterwards, as an order system and the CRM
would (``cxm.demo.journeys``).

The story, after issue 7's seeds:

* **Sales that over-promise.** Every new customer's order is a sale by a named
  salesperson, who promises an installation date. Most book the engineer's slot
  and promise that day or a day or two after (now and then field service moves
  the slot further); two (Liam Doyle at home sales, Graham Whitley at business
  sales) promise "within a few days", sooner than field service can come: their
  promises break, and the engineer turns up later.
* **Business customers wait for value.** A home connection is used in earnest a
  week or two after the engineer leaves; a business takes weeks longer (staff,
  numbers ported, systems moved), far past the first-value target.
* **Broken promises come before leaving.** Existing customers who call about a
  fault or a complaint are promised a call back or a fix, and most are kept.
  Every customer may leave on any day, and the chance rises for two months
  after a promise broken to them, while their onboarding runs late, and after
  unhappy contact (complaints, disputed bills, outages). Who leaves comes from
  those chances, so the demo's churn follows the drivers without being
  dictated by them.

Everything is decided in days before ``now``, on episodes whose day does not
depend on the weekday ``now`` falls on (``generator.episode_day``), so a seed
gives the same lines, sales and promises whatever ``now`` is, and loading the
demo again finds them all stored. Times are then placed from the lines they
follow, as they stream past.
"""

from __future__ import annotations

import heapq
import math
import random
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from cxm.demo import content as c
from cxm.demo import generator as g
from cxm.demo.generator import DAY, HOUR, LONDON, Closure, DemoPlan, Line, Person

# Purposes of the journeys' own random streams (the generator uses 1 to 4).
SALES_STREAM = 11
PROMISE_STREAM = 12
CHURN_STREAM = 13
LINE_STREAM = 14
RENEWAL_STREAM = 15

NETWORK_SOURCE = "network"
SOURCES = {NETWORK_SOURCE: "Network monitoring: routers, lines and usage"}


@dataclass(frozen=True)
class Seller:
    name: str
    team: str
    kind: str  # residential | business: whose orders they take
    over_promises: bool = False


SELLERS = (
    Seller("Megan Ashworth", "Home sales", "residential"),
    Seller("Ryan Kettle", "Home sales", "residential"),
    Seller("Liam Doyle", "Home sales", "residential", over_promises=True),
    Seller("Sophie Barraclough", "Home sales", "residential"),
    Seller("Zainab Hussain", "Home sales", "residential"),
    Seller("Graham Whitley", "Business sales", "business", over_promises=True),
    Seller("Nadia Okafor", "Business sales", "business"),
    Seller("Peter Lund", "Business sales", "business"),
)
SALES_TEAMS = tuple(dict.fromkeys(s.team for s in SELLERS))


@dataclass(frozen=True)
class MilestoneSpec:
    key: str
    name: str
    target_days: int
    rule: dict[str, Any]
    marks_value: bool = False


def product_key(plan_name: str) -> str:
    """A plan's product key: "Fibre 150 + Home Phone" is fibre-150-home-phone."""
    return re.sub(r"[^a-z0-9]+", "-", plan_name.lower()).strip("-")


INSTALLED_RULE = {
    "source": "field-service",
    "attributes": {"job_type": "installation", "outcome": "completed"},
}


def milestones_for(plan_name: str) -> tuple[MilestoneSpec, ...]:
    """Each product's onboarding: installed, first use, first value, with target days."""
    business = plan_name in {name for name, _, _ in c.BUSINESS_PLANS}
    value_target = 45 if plan_name.startswith("Leased Line") else 30
    return (
        MilestoneSpec(
            "installed",
            "Installed",
            21 if plan_name.startswith("Leased Line") else 14,
            INSTALLED_RULE,
        ),
        MilestoneSpec(
            "first_use",
            "First use",
            value_target // 2,
            {"source": NETWORK_SOURCE, "attributes": {"event": "first_sync"}},
        ),
        MilestoneSpec(
            "first_value",
            "Everyone on site using it" if business else "Using it every day",
            value_target,
            {"source": NETWORK_SOURCE, "attributes": {"event": "usage_milestone"}},
            marks_value=True,
        ),
    )


PLANS = tuple(name for name, _, _ in (*c.RESIDENTIAL_PLANS, *c.BUSINESS_PLANS))

# How long after the engineer's visit a connection is in daily use (days,
# log-normal median and spread): at home within a fortnight; a business moves
# staff, devices and, for phone systems, numbers from its old provider.
VALUE_AFTER_INSTALL = {"residential": (8.0, 0.6), "business": (36.0, 0.45)}
VOICE_PORTING_FACTOR = 1.5  # hosted voice and SIP trunks wait for their numbers
NEVER_USED = 0.02  # home routers left in the box: no first sync on record
# The careful book the engineer and promise that day or up to two days after; now
# and then field service moves the slot later than that after the promise was made.
MARGIN_DAYS = (0, 2)
SLIP_SHARE = 0.12
SLIP_DAYS = (2, 4)

# Promises agents make on calls about these topics (a fix, or a call back), and how
# often: a fix is kept less often than a call back, and more often late.
FIX_TOPICS = {"router_drops", "slow_speeds", "landline_fault", "wifi_coverage"}
CALL_BACK_TOPICS = {
    "billing_dispute",
    "complaint",
    "payment_failed",
    "price_rise",
    "engineer_visit",
    "installation",
    "moving_house",
    "upgrade",
    "business_service",
}
PROMISE_RATE = {"fix": 0.5, "call_back": 0.35}
RECENT_DAYS = 2  # calls this close to now have promises whatever their exact day
OUTCOMES = {  # kept, late, broken
    "call_back": (0.78, 0.07, 0.15),
    "fix": (0.60, 0.25, 0.15),
}

# Leaving: a daily chance, raised by what happened to the customer lately.
# A conversation that ends in a renewal ("Done: renewed on Fibre 500 at ...", a call's
# or the shop's note) is followed by the CRM's record of the new term, which moves the
# journey from renewal back to steady service; one that ends undecided leaves it there.
# (The CRM's own notes of renewal calls are that record already.)
RENEWED = re.compile(r"\brenewed on\b", re.IGNORECASE)
RENEWAL_RECORDED = (10 * 60, 4 * HOUR)  # seconds after the agreement

BASE_HAZARD = 0.00025  # a day: about 4.5% over the 180 days
BROKEN_DAYS = 60  # how long a broken promise weighs
BROKEN_FACTOR = 12.0  # the first broken promise in that time; each further one doubles it
LATE_FACTOR = 6.0  # onboarding past its first-value target, value not reached
UNHAPPY_DAYS = 45
UNHAPPY_TOPICS = {"complaint", "cancellation", "billing_dispute", "outage", "price_rise"}
UNHAPPY_STEP = 0.8  # each unhappy conversation in that time adds this to the factor
UNHAPPY_CAP = 3.0
LEAVING_REASONS = (
    "moving to another provider for a better price",
    "fed up with the service",
    "moving abroad",
    "found a cheaper deal elsewhere",
    "too many faults",
    "promised things that never happened",
)


@dataclass
class Sale:
    person: int
    order: int  # the order's episode number
    install: int  # the installation visit's episode number
    install_day: int  # its day, most likely (days before now)
    product: str
    seller: Seller
    # The over-promiser's date: this many days after the order. 0: from the booked visit.
    promised_days: int
    # The careful: the promised date is this many days after the booked visit...
    margin_days: int
    # ... which moved this many days later after it was promised (0: it held).
    slip_days: int
    booking_minutes: int  # from the order to the promise being recorded
    first_use_hours: float | None  # after the visit; None: never seen
    value_days: float | None  # after the sale; None: not by now
    value_target: int

    @property
    def external_id(self) -> str:
        return f"SALE-{self.order:06d}"

    @property
    def promise_id(self) -> str:
        return f"INST-{self.order:06d}"

    @property
    def late(self) -> bool:
        return self.value_days is None or self.value_days > self.value_target


@dataclass
class AgentPromise:
    episode: int
    person: int
    kind: str  # call_back | fix
    topic: str
    day: int  # the call's day (days before now)
    due_days: float  # after it was made
    outcome: str  # kept | late | broken | pending (the last days' calls: yet to be seen)
    evidence_days: float | None  # after it was made; None when broken
    # Whether the evidence is on record by now: only when it comes a whole day
    # before today on any ``now`` (the call's hour and the office hours allowed for).
    evidence_by_now: bool = False

    @property
    def external_id(self) -> str:
        return f"PRM-{self.episode:06d}"


@dataclass
class Leaver:
    person: int
    day: int  # days before now
    reason: str
    # Episodes whose lines must come first: the leaving follows them.
    after: tuple[int, ...] = ()


@dataclass
class JourneyPlan:
    sales: list[Sale]
    promises: list[AgentPromise]
    leavers: list[Leaver]
    # Filled in as the lines stream past: when things happened, by episode; when
    # each leaver left.
    seen: dict[int, dict[str, Any]] = field(default_factory=dict)
    left_at: dict[int, float] = field(default_factory=dict)


def _eligible(person: Person) -> bool:
    """Account holders with no part in the review queue's ties."""
    return bool(person.crm_id) and person.segment in ("existing", "new") and not person.role


def journey_plan(plan: DemoPlan) -> JourneyPlan:
    """Who sold what, what was promised and kept, and who left; from the plan alone."""
    by_person: dict[int, list[g.Episode]] = {}
    for episode in plan.episodes:
        by_person.setdefault(episode.person, []).append(episode)
    people = {p.index: p for p in plan.people if _eligible(p)}
    sales = _sales(plan, people, by_person)
    promises = _agent_promises(plan, people, by_person)
    leavers = _leavers(plan, people, by_person, sales, promises)
    gone = {leaver.person: leaver.day for leaver in leavers}
    # Nobody promises a customer anything once they have left.
    promises = [p for p in promises if p.day > gone.get(p.person, -1)]
    for sale in sales:
        left = gone.get(sale.person)
        if (
            left is not None
            and sale.value_days is not None
            and plan.people[sale.person].first_day - sale.value_days <= left
        ):
            sale.value_days = None  # left before getting there
    return JourneyPlan(sales=sales, promises=promises, leavers=leavers)


def _sales(
    plan: DemoPlan, people: dict[int, Person], by_person: dict[int, list[g.Episode]]
) -> list[Sale]:
    sales = []
    for index, person in people.items():
        if person.segment != "new":
            continue
        episodes = by_person[index]
        order = next(e for e in episodes if e.kind == "order")
        install = next(
            e for e in episodes if e.kind == "engineer_visit" and e.topic == "installation"
        )
        rng = random.Random(g._stream(plan.seed, SALES_STREAM, person.index))
        sellers = [s for s in SELLERS if s.kind == person.kind]
        seller = rng.choice(sellers)
        plan_name = person.plan[0]
        install_day, _ = g.episode_day(plan, install)
        # The visit comes the day after its reminder.
        visit_after = max(person.first_day - install_day + 1, 1)
        promised = rng.randint(2, 5) if seller.over_promises else 0
        margin = 0 if seller.over_promises else rng.randint(*MARGIN_DAYS)
        slip = rng.randint(*SLIP_DAYS) if not promised and rng.random() < SLIP_SHARE else 0
        first_use = (
            None
            if rng.random() < NEVER_USED and person.kind == "residential"
            else (rng.uniform(0.2, 6.0))
        )
        median, spread = VALUE_AFTER_INSTALL[person.kind]
        if "Voice" in plan_name or "SIP" in plan_name:
            median *= VOICE_PORTING_FACTOR
        value_days: float | None = visit_after + rng.lognormvariate(math.log(median), spread)
        if first_use is None or value_days is None or value_days > person.first_day - 1:
            value_days = None  # not by now
        specs = milestones_for(plan_name)
        sales.append(
            Sale(
                person=person.index,
                order=order.number,
                install=install.number,
                install_day=install_day - 1,
                product=product_key(plan_name),
                seller=seller,
                promised_days=promised,
                margin_days=margin,
                slip_days=slip,
                booking_minutes=rng.randint(3, 25),
                first_use_hours=first_use,
                value_days=value_days,
                value_target=specs[-1].target_days,
            )
        )
    return sales


def _agent_promises(
    plan: DemoPlan, people: dict[int, Person], by_person: dict[int, list[g.Episode]]
) -> list[AgentPromise]:
    promises = []
    for index, person in people.items():
        if person.segment != "existing":
            continue
        for episode in by_person[index]:
            if episode.kind != "call_in" or episode.lines != 1 or episode.outage >= 0:
                continue
            kind = (
                "fix"
                if episode.topic in FIX_TOPICS
                else "call_back"
                if episode.topic in CALL_BACK_TOPICS
                else ""
            )
            if not kind:
                continue
            day, certain = g.episode_day(plan, episode)
            # The last days' calls may land a day either way of their first draw:
            # their promises are still pending (what becomes of them is for later).
            recent = not certain and day <= RECENT_DAYS
            if not certain and not recent:
                continue
            rng = random.Random(g._stream(plan.seed, PROMISE_STREAM, episode.number))
            if rng.random() >= PROMISE_RATE[kind]:
                continue
            due = 1.0 if kind == "call_back" else float(rng.randint(3, 8))
            outcome = g._weighted(rng, ("kept", "late", "broken"), OUTCOMES[kind])
            if recent:
                outcome = "pending"
            evidence: float | None = None
            if outcome == "kept":
                evidence = due * rng.uniform(0.1, 0.95)
            elif outcome == "late":
                evidence = due + (
                    rng.uniform(0.1, 2.0) if kind == "call_back" else rng.uniform(1, 9)
                )
            # A call back waits for office hours: up to the next day's late morning.
            latest = None if evidence is None else evidence + (1.0 if kind == "call_back" else 0.1)
            promises.append(
                AgentPromise(
                    episode=episode.number,
                    person=index,
                    kind=kind,
                    topic=episode.topic,
                    day=day,
                    due_days=due,
                    outcome=outcome,
                    evidence_days=evidence,
                    evidence_by_now=latest is not None and latest <= day - 1,
                )
            )
    return promises


def _leavers(
    plan: DemoPlan,
    people: dict[int, Person],
    by_person: dict[int, list[g.Episode]],
    sales: list[Sale],
    promises: list[AgentPromise],
) -> list[Leaver]:
    """Who leaves, and when: a day-by-day chance, oldest day first, raised for a
    while after a broken promise, while onboarding is late, and after unhappy contact."""
    broken: dict[int, list[tuple[int, int]]] = {}  # person -> (day it broke, episode)
    for promise in promises:
        if promise.outcome in ("late", "broken"):
            broken.setdefault(promise.person, []).append(
                (promise.day - math.ceil(promise.due_days), promise.episode)
            )
    sale_of = {sale.person: sale for sale in sales}
    for sale in sales:
        person = plan.people[sale.person]
        if sale.promised_days or sale.slip_days > sale.margin_days:
            due_day = (
                person.first_day - sale.promised_days
                if sale.promised_days
                else sale.install_day + sale.slip_days - sale.margin_days
            )
            broken.setdefault(sale.person, []).append((due_day, sale.install))
    leavers = []
    for index, person in people.items():
        unhappy = sorted(
            g.episode_day(plan, e)[0]
            for e in by_person[index]
            if e.topic in UNHAPPY_TOPICS and e.kind not in ("email_out", "call_out", "crm_note")
        )
        bought = sale_of.get(index)
        # From the day after the first record, or after the installation visit.
        start = (bought.install_day if bought else person.first_day) - 1
        late_from = late_until = -1
        if bought is not None and bought.late:
            late_from = person.first_day - bought.value_target
            late_until = person.first_day - math.ceil(bought.value_days) if bought.value_days else 0
        breaks = sorted(broken.get(index, []), reverse=True)
        rng = random.Random(g._stream(plan.seed, CHURN_STREAM, index))
        for day in range(start, 0, -1):
            factor = 1.0
            recent = [b for b, _ in breaks if day < b <= day + BROKEN_DAYS]
            if recent:
                factor *= BROKEN_FACTOR * 2 ** (len(recent) - 1)
            if late_from > day >= late_until:
                factor *= LATE_FACTOR
            upset = sum(1 for u in unhappy if day < u <= day + UNHAPPY_DAYS)
            factor *= min(1 + UNHAPPY_STEP * upset, UNHAPPY_CAP)
            if rng.random() < BASE_HAZARD * factor:
                after = [episode for b, episode in breaks if b > day]
                if bought is not None:
                    after.append(bought.install)
                leavers.append(
                    Leaver(index, day, rng.choice(LEAVING_REASONS), tuple(sorted(set(after))))
                )
                break
    return leavers


# Lines ------------------------------------------------------------------------------------


def _episode_of(external_id: str) -> int:
    return int(external_id.split("-")[1])


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, LONDON).isoformat(timespec="seconds")


def _moment(line: Line) -> float:
    return datetime.fromisoformat(line["occurred_at"]).timestamp()


def _in_office(moment: float, rng: random.Random) -> float:
    """``moment`` if it falls between 9:00 and 18:00 in London, else the next 9-11am."""
    local = datetime.fromtimestamp(moment, LONDON)
    if 9 <= local.hour < 18:
        return moment
    day = local.date() if local.hour < 9 else local.date() + timedelta(days=1)
    opening = datetime.combine(day, time(9), tzinfo=LONDON).timestamp()
    return opening + rng.randrange(2 * HOUR)


class _Weaver:
    """Makes the journeys' lines from the generator's lines they follow."""

    def __init__(self, plan: DemoPlan, journeys: JourneyPlan, now: datetime) -> None:
        self.plan = plan
        self.journeys = journeys
        self.latest = now.timestamp() - 60
        self.today = now.astimezone(LONDON).date()
        self.sale_by_order = {s.order: s for s in journeys.sales}
        self.sale_by_install = {s.install: s for s in journeys.sales}
        self.promise_by_episode = {p.episode: p for p in journeys.promises}
        self.leavers = {leaver.person: leaver for leaver in journeys.leavers}
        # Leavers waiting for the episodes they follow.
        self.waiting = {
            leaver.person: set(leaver.after) for leaver in journeys.leavers if leaver.after
        }
        self.closures: list[Closure] = []

    def start(self) -> list[Line]:
        """Lines that follow nothing in particular: leavers with no event to wait for."""
        return [
            self._leaving(leaver)
            for leaver in self.journeys.leavers
            if leaver.person not in self.waiting
        ]

    def observe(self, line: Line) -> list[Line]:
        source, external_id = line["source"], line["external_id"]
        out: list[Line] = []
        if source == "shop" and external_id.startswith("ORD-"):
            sale = self.sale_by_order.get(_episode_of(external_id))
            if sale is not None:
                self.journeys.seen[sale.order] = {
                    "at": _moment(line),
                    "channel": line["channel"],
                    "external_id": external_id,
                }
        elif source == "field-service" and external_id.startswith("JOB-"):
            sale = self.sale_by_install.get(_episode_of(external_id))
            if sale is not None:
                visit = _moment(line)
                self.journeys.seen[sale.install] = {"at": visit}
                out.extend(self._onboarding(sale, visit))
                out.extend(self._follows(sale.person, sale.install))
        elif source == "phone-switch" and external_id.endswith("-1"):
            number = _episode_of(external_id)
            promise = self.promise_by_episode.get(number)
            if promise is not None and line["direction"] == "inbound":
                out.extend(self._agent_promise(promise, line))
                out.extend(self._follows(promise.person, number))
        if source != "crm" and RENEWED.search(line["body"]):
            out.append(self._renewed(line))
        return out

    def _follows(self, person: int, episode: int) -> list[Line]:
        waiting = self.waiting.get(person)
        if waiting is None or episode not in waiting:
            return []
        waiting.discard(episode)
        if waiting:
            return []
        del self.waiting[person]
        return [self._leaving(self.leavers[person])]

    # -- what each makes --------------------------------------------------------

    def _onboarding(self, sale: Sale, visit: float) -> list[Line]:
        person = self.plan.people[sale.person]
        rng = random.Random(g._stream(self.plan.seed, LINE_STREAM, sale.order))
        customer = {"crm_id": person.crm_id}
        plan_name, _, speed = person.plan
        lines: list[Line] = []
        if sale.first_use_hours is None:
            return lines
        synced = min(visit + sale.first_use_hours * HOUR, self.latest)
        self.journeys.seen.setdefault(sale.install, {})["first_use"] = synced
        lines.append(
            {
                "source": NETWORK_SOURCE,
                "external_id": f"SYNC-{sale.order:06d}",
                "channel": "other",
                "direction": "outbound",
                "occurred_at": _iso(synced),
                "customer": customer,
                "subject": "Router online for the first time",
                "body": f"{person.router} synced at {max(1, int(speed * rng.uniform(0.85, 0.98)))}"
                f" Mb/s on {plan_name}.",
                "attributes": {"event": "first_sync", "router": person.router, "plan": plan_name},
                "automated": True,
            }
        )
        if sale.value_days is None:
            return lines
        order_at = self.journeys.seen[sale.order]["at"]
        valued = max(order_at + sale.value_days * DAY, synced + DAY)
        valued = min(valued, self.latest)
        business = person.kind == "business"
        body = (
            f"Daily use across the site on {plan_name}: every seat and device active for a week."
            if business
            else f"Connection used every day for a week on {plan_name}, "
            f"{rng.randint(40, 160)} GB so far."
        )
        lines.append(
            {
                "source": NETWORK_SOURCE,
                "external_id": f"VALUE-{sale.order:06d}",
                "channel": "other",
                "direction": "outbound",
                "occurred_at": _iso(valued),
                "customer": customer,
                "subject": "Usage milestone reached",
                "body": body,
                "attributes": {"event": "usage_milestone", "plan": plan_name},
                "automated": True,
            }
        )
        return lines

    def _agent_promise(self, promise: AgentPromise, call: Line) -> list[Line]:
        person = self.plan.people[promise.person]
        rng = random.Random(g._stream(self.plan.seed, LINE_STREAM, promise.episode))
        ended = _moment(call) + call["attributes"].get("duration_seconds", 300)
        made = min(ended + rng.randint(60, 300), self.latest)
        self.journeys.seen[promise.episode] = {
            "made": made,
            "due": made + promise.due_days * DAY,
            "agent": call["attributes"].get("agent", ""),
        }
        if promise.evidence_days is None or not promise.evidence_by_now:
            return []
        if promise.kind == "call_back" and promise.outcome == "kept":
            # Within a day: the same working day, else the next morning.
            at = _in_office(made + rng.uniform(0.5, 5) * HOUR, rng)
        elif promise.kind == "call_back":
            at = _in_office(made + promise.evidence_days * DAY, rng)
        else:
            at = made + promise.evidence_days * DAY
        at = min(at, self.latest)
        topic = c.TOPICS[promise.topic]
        if promise.kind == "call_back":
            return [
                {
                    "source": "phone-switch",
                    "external_id": f"CB-{promise.episode:06d}",
                    "channel": "phone",
                    "direction": "outbound",
                    "occurred_at": _iso(at),
                    "customer": {"phone": f"+44{person.contact_phone[1:]}"},
                    "subject": f"Outbound call: {topic.label}",
                    "body": f"Called back as promised re {topic.label.lower()}.",
                    "attributes": {
                        "agent": self.journeys.seen[promise.episode]["agent"],
                        "wrap_up": topic.label,
                        "duration_seconds": int(rng.lognormvariate(5.3, 0.5)),
                        "outcome": "answered",
                    },
                }
            ]
        return [
            {
                "source": NETWORK_SOURCE,
                "external_id": f"FIX-{promise.episode:06d}",
                "channel": "other",
                "direction": "outbound",
                "occurred_at": _iso(at),
                "customer": {"crm_id": person.crm_id},
                "subject": "Fault cleared",
                "body": f"Fault FLT-{promise.episode:06d} ({topic.label.lower()}) cleared; "
                "line test passed.",
                "attributes": {"event": "fault_cleared", "fault": f"FLT-{promise.episode:06d}"},
                "automated": True,
            }
        ]

    def _renewed(self, line: Line) -> Line:
        """The CRM's record of a renewal an agent, a call or the shop agreed: what
        takes the customer's journey out of the renewal stage."""
        key = zlib.crc32(f"{line['source']}/{line['external_id']}".encode())
        rng = random.Random(g._stream(self.plan.seed, RENEWAL_STREAM, key))
        at = min(_moment(line) + rng.uniform(*RENEWAL_RECORDED), self.latest)
        at = float(int(at))
        source, external_id = "crm", f"RENEWED-{key:08x}"
        return {
            "source": source,
            "external_id": external_id,
            "channel": "other",
            "direction": "inbound",
            "occurred_at": _iso(at),
            "customer": line["customer"],
            "subject": "Contract term extended",
            "body": "New 24-month term recorded; the price is fixed until its end.",
            "attributes": {"event": "contract_renewed"},
            "automated": True,
        }

    def _leaving(self, leaver: Leaver) -> Line:
        person = self.plan.people[leaver.person]
        rng = random.Random(g._stream(self.plan.seed, CHURN_STREAM, 1_000_000 + leaver.person))
        day = self.today - timedelta(days=leaver.day)
        at = g._local(day, 9 * HOUR + rng.randrange(8 * HOUR))
        # After what it follows: a broken promise's due date, the installation.
        for episode in leaver.after:
            seen = self.journeys.seen.get(episode, {})
            for moment in (seen.get("at"), seen.get("due")):
                if moment is not None:
                    at = max(at, moment + DAY)
        at = float(int(min(at, self.latest)))  # whole seconds, as the line says
        self.journeys.left_at[leaver.person] = at
        source, external_id = "crm", f"LEFT-{leaver.person:06d}"
        line = {
            "source": source,
            "external_id": external_id,
            "channel": "other",
            "direction": "inbound",
            "occurred_at": _iso(at),
            "customer": {"crm_id": person.crm_id},
            "subject": "Account closed",
            "body": f"Customer asked to close the account: {leaver.reason}. Final bill to "
            "follow; router return bag sent.",
            "attributes": {
                "event": "cancelled",
                "account_status": "closed",
                "agent": rng.choice(c.AGENTS),
            },
        }
        self.closures.append(
            Closure(
                ((source, external_id),),
                datetime.fromtimestamp(at + rng.randint(*g.RECORDED), UTC),
                "Nothing to answer",
            )
        )
        return line


def journey_lines(
    *,
    plan: DemoPlan,
    journeys: JourneyPlan,
    lines: Iterable[tuple[int, Line]],
    now: datetime,
    closures: list[Closure] | None = None,
) -> Iterator[tuple[int, Line]]:
    """The generator's lines with the journeys' woven in, each after the line it
    follows and near its time; numbered again from one."""
    weaver = _Weaver(plan, journeys, now)
    pending: list[tuple[float, str, Line]] = []

    def hold(extra: list[Line]) -> None:
        for line in extra:
            heapq.heappush(pending, (_moment(line), line["external_id"], line))

    hold(weaver.start())
    number = 0
    for _, line in lines:
        moment = _moment(line)
        while pending and pending[0][0] <= moment:
            number += 1
            yield number, heapq.heappop(pending)[2]
        number += 1
        yield number, line
        hold(weaver.observe(line))
    while pending:
        number += 1
        yield number, heapq.heappop(pending)[2]
    if closures is not None:
        closures.extend(weaver.closures)
