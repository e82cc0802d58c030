"""Northvale Telecom, the demo company, and every contact its customers had with it.

Plain Python, no Django. ``demo_plan`` decides who the customers are and which
conversations happen (from the seed only); ``demo_lines`` places them in the
180 days before ``now`` and yields interaction lines, one at a time, in the
format the ingestion service documents.

The same seed and size always give the same external ids, whatever ``now`` is,
so loading the demo again finds every line already stored. With the same
``now`` the lines are identical.

How identities are laid out, so that unification has something to do:

* every account holder's earliest interaction carries their CRM id, email and
  phone (a CRM record, or a new customer's shop order), and a verification
  text ties a second number to the CRM id; their later emails, calls, texts,
  chats and posts, each with one identifier, resolve to that one customer.
  (Prospects without an account start with a web form: email and phone.);
* the first chat of a chat user, and the first social message of a social
  user, carry their email (pre-chat form, "my account email is ..." in a DM),
  which links the visitor id or handle to the customer;
* some people stay split: anonymous chat visitors, social handles never tied to
  an email, second phone numbers never given to the CRM;
* some are split first and tied later by a line carrying both identifiers: a
  merge proposal for a person to accept;
* some lines tie two different people together (a family landline shared by
  two account holders, a phone number keyed onto the wrong CRM record): merge
  proposals a person should reject;
* a few account holders also have an old account in the billing system, under
  its own account number, as "Bill Hughes" or "Sarah Sutclife": the same date of
  birth and postcode as their CRM record but no email or phone, so that only the
  match model can tie the two (``DemoPlan.twins``).

Account systems (CRM, shop, billing, field service, post room) send the
person's postcode and town, and a residential customer's date of birth. These
come from each person's own random stream, as do the billing twins, so that
they left every draw of the plan as it was.

The resolver works in the order lines arrive, so conversations are yielded in
the order they started; what a person has revealed so far (has this visitor
given an email yet?) decides what their next line carries.

How Northvale answers, for its cases, SLA clocks and channel charter:

* agents answer in staffed hours, chat in minutes, a call back from the phone
  queue within ten, texts and social posts within the hour, web forms the same
  day; the email queue is slow, most answers taking the best part of a working
  day against a promise of four working hours;
* the social team answers big accounts first (the more followers, the sooner):
  unequal service for the fairness audit to find. Public posts carry the
  followers, reach and re-shares the listening tool saw;
* every episode with a line from the customer ends in a ``Closure``: its cases
  are resolved as an agent's answer ends the conversation, as a call or a store
  visit ends, at once for a record that asks nothing (a bill downloaded), soon
  for a message that needs no reply, and days later for a lone email no one
  answered in writing. A lone message may come in just before ``now``: its
  case is still open then, in the queue.
"""

from __future__ import annotations

import bisect
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cxm.demo import content as c
from cxm.demo.content import TOPICS, Topic, Town

LONDON = ZoneInfo("Europe/London")
WINDOW_DAYS = 180
MAX_CUSTOMERS = 8000
DEFAULT_SEED = 42
DEFAULT_CUSTOMERS = 2000
DEFAULT_INTERACTIONS = 50_000

SOURCES = {
    "helpdesk": "Helpdesk: customer email",
    "sms-gateway": "SMS gateway",
    "phone-switch": "Phone switch call records",
    "web-chat": "Web chat on northvale.example",
    "social-listening": "Social listening: X, Instagram, Facebook",
    "crm": "CRM activities",
    "billing": "Billing system",
    "shop": "Online shop and high-street stores",
    "website": "Website forms and My Account",
    "field-service": "Field engineer jobs",
    "post-room": "Scanned letters",
}

Line = dict[str, Any]


class DemoSizeError(ValueError):
    """The requested demo cannot be built (too many customers, too few interactions)."""


# --------------------------------------------------------------------------
# When things happen
# --------------------------------------------------------------------------


def _hours(spec: dict[tuple[int, int], float]) -> tuple[float, ...]:
    weights = [0.0] * 24
    for (first, last), weight in spec.items():
        for hour in range(first, last + 1):
            weights[hour] = weight
    return tuple(weights)


OFFICE_HOURS = _hours(
    {(8, 8): 1.5, (9, 11): 4, (12, 13): 3, (14, 16): 3.5, (17, 18): 2, (19, 19): 1}
)
ANY_HOURS = _hours(
    {
        (0, 0): 0.3,
        (1, 5): 0.08,
        (6, 6): 0.4,
        (7, 8): 1.2,
        (9, 17): 2,
        (18, 21): 2.6,
        (22, 22): 1.5,
        (23, 23): 0.7,
    }
)
SHOP_HOURS = _hours({(9, 9): 1, (10, 11): 2.5, (12, 14): 3, (15, 16): 2.5, (17, 17): 1.5})
ENGINEER_HOURS = _hours({(8, 9): 3, (10, 12): 2.5, (13, 16): 2.5})
BATCH_HOURS = _hours({(5, 6): 1})
POST_HOURS = _hours({(9, 11): 1})
CHAT_HOURS = _hours({(8, 8): 1, (9, 17): 2, (18, 20): 2.6, (21, 21): 1.5})
NOTICE_HOURS = _hours({(9, 12): 2, (13, 18): 2, (19, 19): 1})

EVERY_DAY = (1.0,) * 7
OFFICE_DAYS = (1.0, 1.0, 1.0, 1.0, 1.0, 0.7, 0.35)
SHOP_DAYS = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.4)
ENGINEER_DAYS = (1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.0)
POST_DAYS = (1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0)

HOUR = 3600
DAY = 86400


@dataclass(frozen=True)
class KindSpec:
    max_span: int  # seconds from an episode's first line to its last
    hours: tuple[float, ...]
    weekdays: tuple[float, ...]
    lines: tuple[tuple[int, float], ...] = ((1, 1.0),)


KINDS: dict[str, KindSpec] = {
    "email_thread": KindSpec(3 * DAY, ANY_HOURS, EVERY_DAY, ((1, 15), (2, 45), (3, 22), (4, 18))),
    "email_out": KindSpec(DAY, NOTICE_HOURS, OFFICE_DAYS, ((1, 70), (2, 30))),
    "call_in": KindSpec(DAY, OFFICE_HOURS, OFFICE_DAYS, ((1, 80), (2, 20))),
    "call_out": KindSpec(0, OFFICE_HOURS, OFFICE_DAYS),
    "sms_thread": KindSpec(18 * HOUR, NOTICE_HOURS, EVERY_DAY, ((1, 30), (2, 45), (3, 25))),
    "survey": KindSpec(6 * HOUR, NOTICE_HOURS, OFFICE_DAYS, ((1, 45), (2, 55))),
    "chat": KindSpec(45 * 60, CHAT_HOURS, EVERY_DAY, ((2, 35), (3, 30), (4, 35))),
    "social": KindSpec(18 * HOUR, ANY_HOURS, EVERY_DAY, ((1, 25), (2, 35), (3, 20), (4, 20))),
    "web_form": KindSpec(DAY, ANY_HOURS, EVERY_DAY, ((1, 55), (2, 45))),
    "my_account": KindSpec(0, ANY_HOURS, EVERY_DAY),
    "shop_visit": KindSpec(0, SHOP_HOURS, SHOP_DAYS),
    "engineer_visit": KindSpec(30 * HOUR, ENGINEER_HOURS, ENGINEER_DAYS, ((2, 1),)),
    "crm_note": KindSpec(0, OFFICE_HOURS, OFFICE_DAYS),
    "billing": KindSpec(0, BATCH_HOURS, EVERY_DAY),
    "letter": KindSpec(2 * DAY, POST_HOURS, POST_DAYS, ((1, 60), (2, 40))),
    # Kinds that only the plan itself creates.
    "first_record": KindSpec(HOUR, OFFICE_HOURS, OFFICE_DAYS),
    "order": KindSpec(HOUR, SHOP_HOURS, SHOP_DAYS),
    "availability": KindSpec(0, ANY_HOURS, EVERY_DAY),
    "contact_update": KindSpec(0, OFFICE_HOURS, OFFICE_DAYS),
    "outage_sms": KindSpec(12 * HOUR, NOTICE_HOURS, EVERY_DAY, ((2, 1),)),
    "billing_twin": KindSpec(10 * DAY, BATCH_HOURS, EVERY_DAY, ((2, 1),)),
}

# How often each kind of contact happens for a customer of each style.
FILLER_WEIGHTS = {
    "email_thread": 13,
    "email_out": 3,
    "call_in": 18,
    "call_out": 3,
    "sms_thread": 7,
    "survey": 3,
    "chat": 10,
    "social": 7,
    "web_form": 3,
    "my_account": 4,
    "shop_visit": 2,
    "engineer_visit": 3,
    "crm_note": 3,
    "billing": 7,
    "letter": 1.5,
}
STYLE_FACTORS = {
    "phone": {
        "call_in": 1.8,
        "call_out": 1.5,
        "letter": 3,
        "shop_visit": 2,
        "chat": 0.4,
        "social": 0.5,
        "email_thread": 0.6,
        "web_form": 0.5,
        "my_account": 0.4,
    },
    "digital": {
        "chat": 1.8,
        "social": 1.6,
        "email_thread": 1.3,
        "web_form": 1.5,
        "my_account": 1.8,
        "call_in": 0.55,
        "letter": 0.2,
        "shop_visit": 0.5,
    },
    "mixed": {},
}
NEEDS_ACCOUNT = {
    "my_account",
    "shop_visit",
    "engineer_visit",
    "crm_note",
    "billing",
    "letter",
    "email_out",
    "call_out",
    "survey",
}

EMAIL_OUT_TOPICS = ("contract_renewal", "price_rise", "installation", "upgrade", "engineer_visit")
CALL_OUT_TOPICS = (
    "contract_renewal",
    "engineer_visit",
    "complaint",
    "billing_dispute",
    "router_drops",
    "slow_speeds",
    "upgrade",
)
CRM_NOTE_TOPICS = (
    "contract_renewal",
    "complaint",
    "billing_dispute",
    "cancellation",
    "upgrade",
    "moving_house",
    "account_admin",
)

# How long Northvale takes to answer, in staffed time (seconds, drawn uniformly):
# a message that comes in overnight waits for the morning shift. Chat and phone
# call-backs are quick; the helpdesk's email queue is not (it promises four
# working hours and mostly takes the best part of a working day). The social team
# answers big accounts first: the more followers, the sooner.
EMAIL_ANSWER = (3 * HOUR, 20 * HOUR)
EMAIL_CLOSE = (30 * 60, 6 * HOUR)
WEB_FORM_ANSWER = (HOUR, 8 * HOUR)
SMS_ANSWER = (5 * 60, 100 * 60)
CALL_BACK = (2 * 60, 9 * 60)
# (fewest followers, answer delay), largest first.
SOCIAL_ANSWER = ((50_000, (60, 8 * 60)), (2_000, (4 * 60, 25 * 60)), (0, (8 * 60, 55 * 60)))

# When an episode's case is resolved, after its last line (seconds, drawn uniformly).
WRAP_UP = (60, 4 * 60)  # an agent resolves the case as the conversation ends
TRIAGE = (5 * 60, 40 * 60)  # a message that needs no reply: resolved within any target
RECORDED = (30, 90)  # a record of something done, which asks nothing
RECORDS = {
    "first_record", "order", "my_account", "availability", "contact_update", "crm_note",
    "billing_twin",
}  # fmt: skip
# Records no person made or asked for: sent ``automated``, they open no case. (A note
# an agent wrote of a call, or a fault reported in My Account, is somebody's contact.)
AUTOMATED_RECORDS = {"first_record", "order", "availability", "contact_update", "billing_twin"}
# Messages that may go unanswered (a lone line), the last of them still waiting at ``now``.
UNANSWERED_KINDS = {"email_thread", "social", "sms_thread", "web_form", "letter"}
# Questions with no written answer on record, sorted another way in the end.
UNANSWERED = {
    "email_thread": ((2 * DAY, 6 * DAY), "Sorted on a phone call; no email reply on record"),
    "web_form": ((HOUR, 6 * HOUR), "Called the customer back"),
    "letter": ((DAY, 3 * DAY), "Sorted on a phone call; no letter sent"),
}


# --------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------


@dataclass
class Person:
    index: int
    first: str
    last: str
    segment: str  # existing | new | prospect
    kind: str  # residential | business
    town: Town
    district: str
    style: str
    activity: float
    plan: tuple[str, float, int]
    router: str
    first_day: int  # days before now of the person's first record
    company: str = ""
    domain: str = ""
    title: str = ""
    crm_id: str = ""
    email: str = ""
    landline: str = ""  # their own line, national digits
    shared_line: str = ""  # a household line that belongs to someone else
    mobile: str = ""
    mobile_mode: str = ""  # registered | unregistered | late
    chat_visitor: str = ""
    chat_mode: str = ""  # linked | anonymous | late
    network: str = ""  # twitter | instagram | facebook
    handle: str = ""
    social_mode: str = ""  # linked | split | late
    followers: int = 0
    role: str = ""  # the special part the person plays, if any
    birth_date: str = ""  # ISO; residential customers only
    postcode: str = ""  # a business contact's is the company's

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def contact_phone(self) -> str:
        """The number on the CRM record."""
        return self.landline or self.mobile

    @property
    def registered_mobile(self) -> str:
        return self.mobile if self.mobile and self.mobile_mode == "registered" else ""

    @property
    def call_phones(self) -> list[str]:
        return [p for p in (self.landline, self.shared_line, self.mobile) if p]


class PhoneBook:
    """Hands out Ofcom drama numbers: each town's own range first, then the others."""

    def __init__(self, rng: random.Random) -> None:
        self.town: dict[str, list[str]] = {}
        for town in c.TOWNS:
            numbers = _drama_numbers(town.phone_prefix)
            rng.shuffle(numbers)
            self.town[town.name] = numbers
        self.other = [n for prefix in c.OTHER_PHONE_PREFIXES for n in _drama_numbers(prefix)]
        rng.shuffle(self.other)

    def local(self, town: Town) -> str:
        pool = self.town[town.name]
        return pool.pop() if pool else self.second()

    def second(self) -> str:
        if self.other:
            return self.other.pop()
        for pool in self.town.values():
            if pool:
                return pool.pop()
        raise DemoSizeError(
            "Ran out of fictional phone numbers; the demo has room for at most "
            f"{MAX_CUSTOMERS:,} customers"
        )


def _drama_numbers(prefix: str) -> list[str]:
    width = 11 - len(prefix)
    return [f"{prefix}{n:0{width}d}" for n in range(10**width)]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _weighted(rng: random.Random, options: Sequence[Any], weights: Sequence[float]) -> Any:
    return rng.choices(options, weights=weights, k=1)[0]


def _people(rng: random.Random, count: int) -> list[Person]:
    people: list[Person] = []
    business_target = round(count * 0.15)
    companies: set[str] = set()
    while len(people) < business_target:
        while True:
            place = rng.choice(c.COMPANY_PLACES)
            trade, trade_slug = rng.choice(c.COMPANY_TRADES)
            company = f"{place} {trade}"
            if company not in companies:
                companies.add(company)
                break
        domain = f"{_slug(place)}{trade_slug}.example"
        town = _weighted(rng, c.TOWNS, c.TOWN_WEIGHTS)
        district = rng.choice(town.districts)
        plan = _weighted(rng, c.BUSINESS_PLANS, c.BUSINESS_PLAN_WEIGHTS)
        segment = "new" if rng.random() < 0.08 else "existing"
        size = min(rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5, 6)), business_target - len(people))
        for _ in range(size):
            people.append(
                _person(
                    rng,
                    len(people),
                    segment=segment,
                    kind="business",
                    town=town,
                    district=district,
                    plan=plan,
                    company=company,
                    domain=domain,
                )
            )
    while len(people) < count:
        town = _weighted(rng, c.TOWNS, c.TOWN_WEIGHTS)
        roll = rng.random()
        segment = "prospect" if roll < 0.04 else "new" if roll < 0.12 else "existing"
        plan = _weighted(rng, c.RESIDENTIAL_PLANS, c.RESIDENTIAL_PLAN_WEIGHTS)
        people.append(
            _person(
                rng,
                len(people),
                segment=segment,
                kind="residential",
                town=town,
                district=rng.choice(town.districts),
                plan=plan,
            )
        )
    order = list(range(len(people)))
    rng.shuffle(order)  # so that business contacts are not all at the front
    people = [people[i] for i in order]
    for index, person in enumerate(people):
        person.index = index
    return people


def _person(
    rng: random.Random,
    index: int,
    *,
    segment: str,
    kind: str,
    town: Town,
    district: str,
    plan: tuple[str, float, int],
    company: str = "",
    domain: str = "",
) -> Person:
    style = _weighted(rng, ("phone", "mixed", "digital"), (20, 45, 35))
    first_day = {
        "existing": rng.randint(150, WINDOW_DAYS - 1),
        "new": rng.randint(20, 140),
        "prospect": rng.randint(3, 170),
    }[segment]
    activity = rng.lognormvariate(0, 0.7) * (1.6 if kind == "business" else 1.0)
    if segment == "prospect":
        activity *= 0.3
    return Person(
        index=index,
        first=rng.choice(c.FIRST_NAMES),
        last=rng.choice(c.SURNAMES),
        segment=segment,
        kind=kind,
        town=town,
        district=district,
        style=style,
        activity=activity,
        plan=plan,
        router=rng.choice(c.ROUTERS),
        first_day=first_day,
        company=company,
        domain=domain,
        title=rng.choice(c.JOB_TITLES) if company else "",
    )


def _identifiers(rng: random.Random, people: list[Person], phones: PhoneBook) -> None:
    locals_taken: set[str] = set()
    handles: set[str] = set()
    crm_numbers = rng.sample(range(100_000, 1_000_000), len(people))
    for person, number in zip(people, crm_numbers, strict=True):
        if person.segment != "prospect":
            person.crm_id = f"NV-{number}"
        first, last = _slug(person.first), _slug(person.last)
        if person.domain:
            local = _weighted(rng, (f"{first}.{last}", f"{first[0]}{last}", first), (6, 3, 1))
            domain = person.domain
        else:
            local = _weighted(
                rng,
                (
                    f"{first}.{last}",
                    f"{first}{last}",
                    f"{first[0]}{last}",
                    f"{first}_{last}",
                    f"{first}.{last}{rng.randint(1, 99)}",
                    f"{last}.{first}",
                ),
                (30, 15, 15, 8, 20, 5),
            )
            domain = rng.choice(c.PERSONAL_EMAIL_DOMAINS)
        # Unique local parts, not only unique addresses: namesakes at two providers
        # (ecampbell@example.org, ecampbell@example.net) are real, but the match
        # model weighs an equal local part so heavily that it merges two such
        # Ethan Campbells of one town despite different dates of birth. No extra
        # draw: the plan's random stream stays as it was.
        unique = local
        suffix = 2
        while unique in locals_taken:
            unique = f"{local}{suffix}"
            suffix += 1
        locals_taken.add(unique)
        person.email = f"{unique}@{domain}"

        if person.role != "household_partner":  # who only has the family's line
            person.landline = phones.local(person.town)
        if rng.random() < (0.5 if person.kind == "business" else 0.65):
            person.mobile = phones.second()
            person.mobile_mode = "registered" if rng.random() < 0.85 else "unregistered"
        if person.segment == "prospect" and person.mobile:
            person.mobile_mode = "unregistered"

        chat_chance = {"digital": 0.7, "mixed": 0.35, "phone": 0.08}[person.style]
        if rng.random() < chat_chance:
            person.chat_visitor = f"wv_{rng.getrandbits(48):012x}"
            person.chat_mode = "linked" if rng.random() < 0.8 else "anonymous"
        social_chance = {"digital": 0.45, "mixed": 0.15, "phone": 0.03}[person.style]
        if rng.random() < social_chance:
            _give_handle(rng, person, handles)
            person.social_mode = "linked" if rng.random() < 0.6 else "split"


def _give_handle(rng: random.Random, person: Person, taken: set[str]) -> None:
    network = _weighted(rng, ("twitter", "instagram", "facebook"), (55, 30, 15))
    first, last = _slug(person.first), _slug(person.last)
    separator = {"twitter": "_", "instagram": ".", "facebook": "."}[network]
    while True:
        base = _weighted(
            rng,
            (
                f"{first}{last}",
                f"{first}{separator}{last}",
                f"{first[0]}{last}",
                f"{first}{rng.randint(1, 999)}",
                f"{last}{first[0]}{rng.randint(70, 99)}",
            ),
            (3, 3, 2, 2, 2),
        )
        if network == "twitter":
            base = base[:15]
        if base not in taken:
            break
    taken.add(base)
    person.network, person.handle = network, base
    person.followers = int(rng.lognormvariate(4.8, 1.5))
    if rng.random() < 0.03:
        person.followers = rng.randint(20_000, 250_000)


def _details(seed: int, people: list[Person], households: list[tuple[Person, Person]]) -> None:
    """Dates of birth and postcodes, each person's from their own random stream."""
    earliest, latest = date(1938, 1, 1), date(2006, 12, 31)
    span = (latest - earliest).days
    letters = c.POSTCODE_UNIT_LETTERS
    companies: dict[str, str] = {}
    for person in people:
        rng = random.Random(_stream(seed, 3, person.index))
        postcode = (
            f"{person.district} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
        )
        if person.company:
            person.postcode = companies.setdefault(person.company, postcode)
            continue
        person.postcode = postcode
        born = earliest + timedelta(days=int(rng.triangular(0, span, span * 0.55)))
        person.birth_date = born.isoformat()
    for owner, partner in households:
        partner.postcode = owner.postcode


@dataclass(frozen=True)
class Twin:
    """A person's second account in the billing system, under another spelling."""

    person: int
    first: str
    last: str
    account: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


TWIN_SHARE = 0.02  # of residential customers
TWIN_LINES = 2


def _twins(seed: int, people: list[Person]) -> list[Twin]:
    """Who has a billing account the CRM does not know, and under what name.

    Ordinary account holders only, so that no other planted tie involves them;
    a nickname where the first name has one the match model knows, else a
    misspelt surname long enough for a typo to look like one.
    """
    rng = random.Random(_stream(seed, 4, 0))
    residential = [p for p in people if p.kind == "residential"]
    pool = [
        p
        for p in residential
        if p.crm_id
        and not p.role
        and (p.first in c.NICKNAMES or (len(p.last) >= 6 and p.last.isalpha()))
    ]
    count = min(len(pool), max(1, round(len(residential) * TWIN_SHARE)))
    chosen = sorted(rng.sample(pool, count), key=lambda p: p.index)
    accounts = rng.sample(range(10_000_000, 100_000_000), count)
    twins = []
    for person, account in zip(chosen, accounts, strict=True):
        nickname = c.NICKNAMES.get(person.first)
        typo_possible = len(person.last) >= 6 and person.last.isalpha()
        if nickname and (not typo_possible or rng.random() < 0.6):
            first, last = nickname, person.last
        else:
            first, last = person.first, _misspelt(rng, person.last)
        twins.append(Twin(person.index, first, last, f"BA-{account}"))
    return twins


def _misspelt(rng: random.Random, surname: str) -> str:
    """A slip of the keyboard inside the name: two letters swapped or one dropped."""
    variants = set()
    for i in range(1, len(surname) - 1):
        if surname[i] != surname[i + 1]:
            variants.add(surname[:i] + surname[i + 1] + surname[i] + surname[i + 2 :])
        if i > 1:
            variants.add(surname[:i] + surname[i + 1 :])
    variants.discard(surname)
    return rng.choice(sorted(variants))


# --------------------------------------------------------------------------
# The plan: which conversations happen
# --------------------------------------------------------------------------


@dataclass(slots=True)
class Episode:
    """One conversation: a few lines on one subject, in order."""

    number: int
    person: int
    kind: str
    topic: str
    lines: int
    lo: int  # earliest day (days before now, inclusive)
    hi: int
    special: str = ""
    other: int = -1  # the other person a conflicting line involves
    outage: int = -1
    start: float = 0.0


@dataclass(frozen=True)
class Outage:
    town: Town
    district: str
    day: int
    hour: int
    hours: int
    cause: str


@dataclass
class DemoPlan:
    seed: int
    people: list[Person]
    episodes: list[Episode]
    outages: list[Outage]
    planted: dict[str, int] = field(default_factory=dict)
    twins: list[Twin] = field(default_factory=list)

    @property
    def interactions(self) -> int:
        return sum(e.lines for e in self.episodes)


def demo_plan(*, seed: int, customers: int, interactions: int) -> DemoPlan:
    """Who the customers are and what they talk about. Depends on nothing but the arguments."""
    if customers < 20:
        raise DemoSizeError("the demo needs at least 20 customers")
    if customers > MAX_CUSTOMERS:
        raise DemoSizeError(
            f"the demo has room for at most {MAX_CUSTOMERS:,} customers (it only uses the "
            "phone numbers Ofcom keeps for drama, so no real person is ever contacted)"
        )
    rng = random.Random(seed)
    phones = PhoneBook(rng)
    people = _people(rng, customers)
    planner = _Planner(rng, people)
    planner.roles()
    _identifiers(rng, people, phones)
    planner.fix_roles(phones)
    _details(seed, people, planner.households)
    twins = _twins(seed, people)
    planner.mandatory()
    planner.outages(budget=interactions // 10)
    # The twins' lines come last in the plan, so that every episode before them
    # keeps its number (and with it its lines).
    planner.fill(interactions, reserved=TWIN_LINES * len(twins))
    for twin in twins:
        person = people[twin.person]
        planner.add(person, "billing_twin", "", TWIN_LINES, 1, person.first_day - 1)
    planner.planted["billing accounts only the match model can tie"] = len(twins)
    return DemoPlan(
        seed=seed,
        people=people,
        episodes=planner.episodes,
        outages=planner.outage_list,
        planted=planner.planted,
        twins=twins,
    )


class _Planner:
    def __init__(self, rng: random.Random, people: list[Person]) -> None:
        self.rng = rng
        self.people = people
        self.episodes: list[Episode] = []
        self.outage_list: list[Outage] = []
        self.planted: dict[str, int] = {}
        self.households: list[tuple[Person, Person]] = []
        self.typo_targets: list[Person] = []

    def add(
        self, person: Person, kind: str, topic: str, lines: int, lo: int, hi: int, **extra: Any
    ) -> Episode:
        episode = Episode(len(self.episodes), person.index, kind, topic, lines, lo, hi, **extra)
        self.episodes.append(episode)
        return episode

    # -- special parts ------------------------------------------------------

    def roles(self) -> None:
        """Pick who plays the parts that make the review queue (before identifiers exist)."""
        n = len(self.people)
        pool = [p for p in self.people if p.segment == "existing" and p.kind == "residential"]
        self.rng.shuffle(pool)
        wanted = {
            "household": max(1, round(n * 0.005)),
            "typo": max(1, round(n * 0.004)),
            "late_social": max(1, round(n * 0.005)),
            "late_mobile": max(1, round(n * 0.004)),
            "late_chat": max(1, round(n * 0.003)),
        }
        for _ in range(wanted["household"]):
            owner, partner = pool.pop(), pool.pop()
            partner.last, partner.town, partner.district = owner.last, owner.town, owner.district
            owner.role, partner.role = "household_owner", "household_partner"
            self.households.append((owner, partner))
        for role in ("typo", "late_social", "late_mobile", "late_chat"):
            for _ in range(wanted[role]):
                pool.pop().role = role
        # Whoever a mistyped number really belongs to: an ordinary existing customer.
        self.typo_targets = [pool.pop() for _ in range(wanted["typo"])]
        for person in self.typo_targets:
            person.role = "typo_target"
        self.planted = {
            "shared family phones": wanted["household"],
            "phone numbers keyed onto the wrong CRM record": wanted["typo"],
            "social handles tied to a customer late": wanted["late_social"],
            "second numbers added to the CRM late": wanted["late_mobile"],
            "chat visitors who gave their email late": wanted["late_chat"],
        }

    def fix_roles(self, phones: PhoneBook) -> None:
        """Give the special people the identifiers their part needs."""
        handles = {p.handle for p in self.people if p.handle}
        for owner, partner in self.households:
            partner.shared_line = owner.landline
            partner.landline = ""
            if not partner.mobile:
                partner.mobile = phones.second()
            partner.mobile_mode = "registered"
        for person in self.people:
            if person.role == "late_social":
                if not person.handle:
                    _give_handle(self.rng, person, handles)
                person.social_mode = "late"
            elif person.role == "late_mobile":
                if not person.mobile:
                    person.mobile = phones.second()
                person.mobile_mode = "late"
            elif person.role == "late_chat":
                if not person.chat_visitor:
                    person.chat_visitor = f"wv_{self.rng.getrandbits(48):012x}"
                person.chat_mode = "late"

    # -- what must happen ---------------------------------------------------

    def mandatory(self) -> None:
        rng = self.rng
        for person in self.people:
            day = person.first_day
            extra_line = 1 if person.registered_mobile and person.landline else 0
            if person.segment == "existing":
                self.add(person, "first_record", "", 1 + extra_line, day, day)
            elif person.segment == "new":
                self.add(person, "order", "", 1 + extra_line, day, day)
                self.add(person, "engineer_visit", "installation", 2, max(1, day - 14), day - 5)
            else:
                self.add(person, "availability", "upgrade", 1, day, day)
        targets = iter(self.typo_targets)
        for person in self.people:
            middle = max(2, person.first_day // 2)
            before = (middle, person.first_day - 1)  # after the first record, before the link
            link = (1, middle - 1)
            if person.role == "household_partner":
                self.add(person, "contact_update", "account_admin", 1, 1, 140, special="household")
            elif person.role == "typo":
                self.add(
                    person,
                    "contact_update",
                    "account_admin",
                    1,
                    1,
                    140,
                    special="typo",
                    other=next(targets).index,
                )
            elif person.role == "late_social":
                topic = self._topic_for(person, "social")
                self.add(person, "social", topic, rng.choice((1, 2)), *before, special="anonymous")
                self.add(person, "social", topic, rng.choice((2, 3)), *link, special="link")
            elif person.role == "late_mobile":
                self.add(
                    person,
                    "sms_thread",
                    self._topic_for(person, "sms_thread"),
                    rng.choice((1, 2)),
                    *before,
                    special="anonymous",
                )
                self.add(person, "contact_update", "account_admin", 1, *link, special="add_mobile")
            elif person.role == "late_chat":
                self.add(
                    person, "chat", self._topic_for(person, "chat"), 2, *before, special="anonymous"
                )
                self.add(person, "chat", self._topic_for(person, "chat"), 3, *link, special="link")

    def outages(self, *, budget: int) -> None:
        rng = self.rng
        by_district: dict[str, list[Person]] = {}
        for person in self.people:
            if person.segment != "prospect":
                by_district.setdefault(person.district, []).append(person)
        spent = 0
        for _ in range(7):
            town = _weighted(rng, c.TOWNS, c.TOWN_WEIGHTS)
            outage = Outage(
                town=town,
                district=rng.choice(town.districts),
                day=rng.randint(4, 140),
                hour=rng.randint(6, 19),
                hours=rng.randint(2, 9),
                cause=rng.choice(c.OUTAGE_CAUSES),
            )
            affected = [p for p in by_district.get(outage.district, []) if p.first_day > outage.day]
            self.outage_list.append(outage)
            number = len(self.outage_list) - 1
            for person in affected:
                if spent >= budget:
                    return
                if person.registered_mobile:
                    self.add(
                        person, "outage_sms", "outage", 2, outage.day, outage.day, outage=number
                    )
                    spent += 2
                if rng.random() < 0.2:
                    options = ["call_in", "call_in", "call_in"]
                    if person.handle:
                        options += ["social", "social"]
                    if person.chat_visitor:
                        options.append("chat")
                    kind = rng.choice(options)
                    lines = {"call_in": 1, "social": rng.choice((1, 2)), "chat": 2}[kind]
                    self.add(person, kind, "outage", lines, outage.day, outage.day, outage=number)
                    spent += lines

    # -- everything else ----------------------------------------------------

    def fill(self, interactions: int, *, reserved: int = 0) -> None:
        rng = self.rng
        remaining = interactions - reserved - sum(e.lines for e in self.episodes)
        if remaining < 0:
            raise DemoSizeError(
                f"{len(self.people)} customers need at least "
                f"{interactions - remaining} interactions"
            )
        cumulative: list[float] = []
        total = 0.0
        for person in self.people:
            total += person.activity
            cumulative.append(total)
        kinds_of = [self._kinds(p) for p in self.people]
        while remaining > 0:
            person = self.people[bisect.bisect(cumulative, rng.random() * total)]
            names, weights = kinds_of[person.index]
            kind = _weighted(rng, names, weights)
            spec = KINDS[kind]
            lines = _weighted(rng, [n for n, _ in spec.lines], [w for _, w in spec.lines])
            lines = min(lines, remaining)
            self.add(person, kind, self._topic_for(person, kind), lines, 0, person.first_day - 1)
            remaining -= lines

    def _kinds(self, person: Person) -> tuple[list[str], list[float]]:
        names, weights = [], []
        for kind, weight in FILLER_WEIGHTS.items():
            if kind in NEEDS_ACCOUNT and not person.crm_id:
                continue
            if kind == "social" and not person.handle:
                continue
            if kind == "chat" and not person.chat_visitor:
                continue
            if kind == "sms_thread" and not person.mobile:
                continue
            if kind == "survey" and not person.registered_mobile:
                continue
            names.append(kind)
            weights.append(weight * STYLE_FACTORS[person.style].get(kind, 1.0))
        return names, weights

    def _topic_for(self, person: Person, kind: str) -> str:
        rng = self.rng
        if kind == "email_out":
            return rng.choice(EMAIL_OUT_TOPICS)
        if kind == "call_out":
            return rng.choice(CALL_OUT_TOPICS)
        if kind == "crm_note":
            return rng.choice(CRM_NOTE_TOPICS)
        if kind in ("billing", "survey", "my_account"):
            return ""
        if kind == "engineer_visit":
            return rng.choice(("engineer_visit", "router_drops", "landline_fault", "slow_speeds"))
        weights = c.BUSINESS_TOPIC_WEIGHTS if person.kind == "business" else c.INBOUND_TOPIC_WEIGHTS
        topics = list(weights)
        if kind == "social":
            topics = [t for t in topics if TOPICS[t].social]
        return _weighted(rng, topics, [weights[t] for t in topics])


# --------------------------------------------------------------------------
# Placing the plan in time
# --------------------------------------------------------------------------


def _schedule(plan: DemoPlan, *, seed: int, now: datetime) -> list[Episode]:
    """Give every episode a start time before ``now``; return them in the order to ingest."""
    now_ts = now.timestamp()
    today = now.astimezone(LONDON).date()
    for episode in plan.episodes:
        rng = random.Random(_stream(seed, 1, episode.number))
        if episode.outage >= 0:
            outage = plan.outages[episode.outage]
            begins = _local(today - timedelta(days=outage.day), outage.hour * HOUR)
            if episode.kind == "outage_sms":
                episode.start = begins + rng.randint(10, 40) * 60
            else:
                episode.start = begins + rng.randint(5, outage.hours * 60 - 10) * 60
            continue
        # A lone message may come in just before ``now``: its answer is still to come.
        lone = episode.lines == 1 and episode.kind in UNANSWERED_KINDS
        span = 0 if lone else KINDS[episode.kind].max_span
        episode.start = _start(
            rng, KINDS[episode.kind], span, episode.lo, episode.hi, today, now_ts
        )
    return sorted(plan.episodes, key=lambda e: (e.start, e.number))


def episode_day(plan: DemoPlan, episode: Episode) -> tuple[int, bool]:
    """The day (days before ``now``) ``_schedule`` starts an episode on, by its first
    draw, and whether that is certain: the same day whatever day of the week ``now`` is.

    A first draw is kept unless its weekday is a quiet one for the kind (a Sunday for
    a call): a draw that every weekday would keep, far enough from ``now`` for the
    conversation to fit, is where the episode happens on any ``now``; so is the one
    day of an episode that may only happen on that day. Other episodes may move on
    another ``now``; their first draw is where they most likely are.
    """
    if episode.outage >= 0:
        return plan.outages[episode.outage].day, True
    spec = KINDS[episode.kind]
    rng = random.Random(_stream(plan.seed, 1, episode.number))
    day = rng.randint(episode.lo, episode.hi)
    kept_on_any_weekday = rng.random() <= min(spec.weekdays) or episode.lo == episode.hi
    lone = episode.lines == 1 and episode.kind in UNANSWERED_KINDS
    span = 0 if lone else spec.max_span
    # The latest start ``_start`` accepts is ``now - span - 120``; a start on that day
    # is at most ``(day - 1)`` days before the start of today.
    fits = (day - 1) * DAY >= span + 120
    return day, kept_on_any_weekday and fits


def _opening(rng: random.Random, moment: float, hours: tuple[int, int]) -> float:
    """``moment`` if the team is at work then, else soon after the next shift starts."""
    local = datetime.fromtimestamp(moment, LONDON)
    opens, closes = hours
    if opens <= local.hour < closes:
        return moment
    day = local.date() if local.hour < opens else local.date() + timedelta(days=1)
    return _local(day, opens * HOUR + rng.randrange(90 * 60))


def _after_staffed(moment: float, delay: float, hours: tuple[int, int]) -> float:
    """When ``delay`` seconds of staffed time (``hours``, every day) have passed since
    ``moment``: from the next opening if the team is away, carried over past closing."""
    opens, closes = hours
    day = datetime.fromtimestamp(moment, LONDON).date()
    while True:
        start, end = _local(day, opens * HOUR), _local(day, closes * HOUR)
        moment = max(moment, start)
        if moment + delay <= end:
            return moment + delay
        delay -= max(0.0, end - moment)
        day += timedelta(days=1)


def _stream(seed: int, purpose: int, number: int) -> int:
    """The seed of one episode's own random stream, so episodes don't disturb each other."""
    return (seed << 40) | (purpose << 32) | number


def _local(day: date, seconds: int) -> float:
    """The moment of a London wall-clock time, with the offset in force that day."""
    wall = time(seconds // HOUR, seconds // 60 % 60, seconds % 60)
    return datetime.combine(day, wall, tzinfo=LONDON).timestamp()


def _start(
    rng: random.Random, spec: KindSpec, span: int, lo: int, hi: int, today: date, now_ts: float
) -> float:
    latest = now_ts - span - 120
    hours = list(range(24))
    for _ in range(40):
        day = today - timedelta(days=rng.randint(lo, hi))
        if rng.random() > spec.weekdays[day.weekday()]:
            continue
        hour = _weighted(rng, hours, spec.hours)
        start = _local(day, hour * HOUR + rng.randrange(HOUR))
        if start <= latest:
            return start
    # A narrow range on a closed day, or today with no time left: the earliest moment
    # of the range still keeps the order of the plan.
    for days_back in range(lo, hi + 1):
        start = _local(today - timedelta(days=days_back), 8 * HOUR)
        if start <= latest:
            return start
    return _local(today - timedelta(days=hi), 0)


# --------------------------------------------------------------------------
# Lines
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Closure:
    """When the cases of an episode are resolved, and why.

    ``lines`` are the (source, external id) of the customer's lines in the
    episode, through which its cases are found once the lines are routed: a
    follow-up on another topic opens a case of its own.
    """

    lines: tuple[tuple[str, str], ...]
    at: datetime
    note: str


def demo_lines(
    *,
    seed: int = DEFAULT_SEED,
    customers: int = DEFAULT_CUSTOMERS,
    interactions: int = DEFAULT_INTERACTIONS,
    now: datetime,
    plan: DemoPlan | None = None,
    closures: list[Closure] | None = None,
) -> Iterator[tuple[int, Line]]:
    """(line number, interaction line) pairs, oldest conversation first, generated lazily.

    With ``closures``, each episode with a line from the customer also appends
    when its case is resolved (some after ``now``: still open), as it is yielded.
    """
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    plan = plan or demo_plan(seed=seed, customers=customers, interactions=interactions)
    writer = _Writer(plan, now=now, closures=closures)
    number = 0
    for episode in _schedule(plan, seed=plan.seed, now=now):
        for line in writer.episode(episode):
            number += 1
            yield number, line


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
OTHER_TOWNS = {t.name: [o.name for o in c.TOWNS if o is not t] for t in c.TOWNS}
GREETINGS = ("Hi,", "Hello,", "Hi there,", "Dear Northvale,", "Hello Northvale team,", "")
SIGN_OFFS = ("Thanks", "Many thanks", "Regards", "Kind regards", "Cheers", "Thanks in advance")
GENERIC_FOLLOW_UP = ("Thanks for the quick reply.", "OK, thank you.", "Great, thanks.")
GENERIC_CLOSE = (
    "You're welcome, {first}. Have a lovely day.",
    "Thanks, {first}. I'll close this off now; just reply if you need us.",
)

MY_ACCOUNT_ACTIONS = (
    (
        "fault_reported",
        "router_drops",
        "My Account: fault reported",
        "Online fault report: {opening} Automated line test started.",
    ),
    (
        "plan_change",
        "upgrade",
        "My Account: plan change requested",
        "Requested a change to {plan} from the next bill date.",
    ),
    (
        "bank_details",
        "payment_failed",
        "My Account: bank details updated",
        "Direct Debit details updated online.",
    ),
    (
        "home_move",
        "moving_house",
        "My Account: home move started",
        "Home move to {new_town} started online for {date}.",
    ),
    (
        "appointment",
        "engineer_visit",
        "My Account: appointment rebooked",
        "Engineer appointment moved to {date}, {slot}.",
    ),
    (
        "bill_viewed",
        "billing_dispute",
        "My Account: bill downloaded",
        "Downloaded the bill for {month}.",
    ),
    (
        "wifi_password",
        "wifi_coverage",
        "My Account: Wi-Fi password changed",
        "Wi-Fi name and password changed from the app.",
    ),
)
EMAIL_OUT = {
    "contract_renewal": (
        "Your contract ends on {date}: your renewal offer",
        "Hi {first},\n\nYour {plan} contract ends on {date}. Stay with us for £{price} a month, "
        "fixed for 24 months, with a free router upgrade. Reply to this email or renew in My "
        "Account.\n\nNorthvale Telecom",
    ),
    "price_rise": (
        "Your monthly price is changing",
        "Hi {first},\n\nFrom 1 April your monthly price for {plan} goes up by £{amount}. If "
        "you'd rather leave, you can do so without penalty within 30 days of this email.\n\n"
        "Northvale Telecom",
    ),
    "installation": (
        "Your installation is booked",
        "Hi {first},\n\nYour installation is booked for {date}, {slot}. Someone over 18 needs to "
        "be home.\n\nNorthvale Telecom",
    ),
    "upgrade": (
        "Full fibre is now available in {district}",
        "Hi {first},\n\nGood news: full fibre has reached {district}. Upgrade to Full Fibre 900 "
        "for £{price} a month.\n\nNorthvale Telecom",
    ),
    "engineer_visit": (
        "Your engineer appointment",
        "Hi {first},\n\nAn engineer will visit on {date}, {slot}. You can rebook in My Account "
        "if that doesn't suit.\n\nNorthvale Telecom",
    ),
}
BILLING_EVENTS = (
    (
        "email",
        "Your Northvale bill for {month}",
        "Hi {first},\n\nYour bill of £{price} for {month} is ready in My Account. We'll collect "
        "it by Direct Debit on or after {date}.\n\nNorthvale Telecom Billing",
        6,
    ),
    (
        "other",
        "Direct Debit returned unpaid",
        "Direct Debit of £{price} returned by the bank (reason: refer to payer). Retry scheduled "
        "for {date}.",
        1,
    ),
    ("other", "Payment received", "Card payment of £{amount} received. Thank you.", 1),
    ("other", "Refund issued", "Refund of £{amount} issued to the customer's bank account.", 1),
)
CONTACT_UPDATES = {
    "household": (
        "Contact details updated: home phone added",
        "Customer asked for the home landline to be added as a contact number.",
    ),
    "typo": (
        "Contact details updated",
        "Customer gave a new contact number over the phone; record updated.",
    ),
    "add_mobile": (
        "Contact details updated: mobile added",
        "Customer added a second number for service texts after texting us from it.",
    ),
}
SURVEY_TEXT = (
    "Northvale: thanks for contacting us. How likely are you to recommend Northvale "
    "to a friend or colleague? Reply 0-10."
)


def _notice(line: Line) -> bool:
    """Whether an outbound line is a notice the company's systems send, not an answer."""
    return "campaign" in line["attributes"] or line["source"] == "billing"


def _greeting(person: Person, text: str) -> str:
    # "Hi Ann, ... Thanks, Ann." reads like a form letter: a reply that already
    # names the customer up front needs no greeting.
    return "" if person.first in text[:40] else f"Hi {person.first},\n\n"


class _Writer:
    """Turns one scheduled episode into its lines, remembering what earlier lines revealed."""

    def __init__(
        self, plan: DemoPlan, *, now: datetime, closures: list[Closure] | None = None
    ) -> None:
        self.plan = plan
        self.people = plan.people
        self.latest = now.timestamp() - 60
        self.closures = closures
        self.chat_linked: set[int] = set()
        self.social_linked: set[int] = set()
        self.twins = {twin.person: twin for twin in plan.twins}

    # -- helpers --------------------------------------------------------------

    def episode(self, episode: Episode) -> list[Line]:
        rng = random.Random(_stream(self.plan.seed, 2, episode.number))
        person = self.people[episode.person]
        ctx = self._context(rng, person, episode)
        build = getattr(self, f"_{episode.kind}")
        lines: list[Line] = build(rng, person, episode, ctx)
        assert len(lines) == episode.lines, (episode.kind, len(lines), episode.lines)
        for line in lines:
            if episode.kind in AUTOMATED_RECORDS or (
                line["direction"] == "outbound" and _notice(line)
            ):
                line["automated"] = True
        if self.closures is not None:
            closure = self._closure(rng, episode, lines)
            if closure is not None:
                self.closures.append(closure)
        return lines

    @staticmethod
    def _closure(rng: random.Random, episode: Episode, lines: list[Line]) -> Closure | None:
        """When the episode's case is resolved: as an agent's answer ends it, as a call or
        a visit ends, at once for a record that asks nothing, soon for a message that
        needs no reply, much later for a question with no written answer."""
        asked = [
            line
            for line in lines
            if line["direction"] == "inbound" and not line.get("automated", False)
        ]
        if not asked:
            return None
        # A notice sent after the customer's last word (a new number's confirmation
        # text) answers nothing.
        said = [line for line in lines if not line.get("automated", False)]
        last = said[-1]
        moment = datetime.fromisoformat(last["occurred_at"]).timestamp()
        if last["direction"] == "outbound":
            delay, note = rng.randint(*WRAP_UP), "Answered"
        elif episode.kind in RECORDS:
            delay, note = rng.randint(*RECORDED), "Nothing to answer"
        elif last["channel"] in ("phone", "in_person"):
            duration = last["attributes"].get("duration_seconds", 0)
            delay = duration + rng.randint(*WRAP_UP)
            note = "Sorted on the call" if last["channel"] == "phone" else "Sorted in store"
        elif len(asked) < len(said):
            delay, note = rng.randint(*WRAP_UP), "Nothing more to answer"
        elif episode.kind in UNANSWERED:
            span, note = UNANSWERED[episode.kind]
            delay = rng.randint(*span)
        else:
            delay, note = rng.randint(*TRIAGE), "No reply needed"
        return Closure(
            tuple((line["source"], line["external_id"]) for line in asked),
            datetime.fromtimestamp(moment + delay, UTC),
            note,
        )

    def _times(
        self,
        rng: random.Random,
        episode: Episode,
        gaps: Sequence[tuple[int, int]],
        *,
        staffed: Sequence[int] = (),
        hours: tuple[int, int] = (8, 20),
        queued: bool = False,
    ) -> list[float]:
        """When each line happens: the gaps between lines, and agents' lines in opening hours.

        ``staffed`` lists the positions of lines an agent writes: a reply due at 3am
        waits for the morning shift, so response times look like a real team's.
        ``queued``: an agent's gap is staffed time (see ``_after_staffed``), so that a
        message from overnight is answered that long after the shift starts.
        """
        end = episode.start + KINDS[episode.kind].max_span
        times = [episode.start]
        for position, (low, high) in enumerate(gaps[: episode.lines - 1], start=1):
            gap = rng.randint(low, high)
            if position in staffed and queued:
                moment = _after_staffed(times[-1], gap, hours)
            else:
                moment = times[-1] + gap
                if position in staffed:
                    moment = _opening(rng, moment, hours)
            times.append(min(moment, end))
        # A last guard: nothing is stamped in the future, and the order holds.
        count = len(times)
        return [min(t, self.latest - (count - i)) for i, t in enumerate(times)]

    def _line(
        self,
        source: str,
        external_id: str,
        channel: str,
        direction: str,
        moment: float,
        customer: dict[str, str],
        subject: str = "",
        body: str = "",
        attributes: dict[str, Any] | None = None,
    ) -> Line:
        return {
            "source": source,
            "external_id": external_id,
            "channel": channel,
            "direction": direction,
            "occurred_at": datetime.fromtimestamp(moment, LONDON).isoformat(timespec="seconds"),
            "customer": customer,
            "subject": subject,
            "body": body,
            "attributes": attributes or {},
        }

    def _context(self, rng: random.Random, person: Person, episode: Episode) -> dict[str, str]:
        start = datetime.fromtimestamp(episode.start, LONDON)
        today = start.date()
        later = today + timedelta(days=rng.randint(2, 10))
        plan_name, price, speed = person.plan
        topic = TOPICS.get(episode.topic)
        outage = self.plan.outages[episode.outage] if episode.outage >= 0 else None
        eta_hour = (start.hour + (outage.hours if outage else rng.randint(2, 6))) % 24
        clock = start.hour * 60 + start.minute - rng.randint(15, 90)
        return {
            "first": person.first,
            "name": person.name,
            "agent": rng.choice(c.AGENTS),
            "engineer": rng.choice(c.ENGINEERS),
            "town": person.town.name,
            "district": person.district,
            "store": person.town.store,
            "plan": plan_name,
            "price": f"{price * rng.choice((1, 1, 1, 0.9, 1.1)):.2f}",
            "speed": str(max(1, int(speed * rng.uniform(0.04, 0.45)))),
            "amount": f"{rng.uniform(4, 75):.2f}",
            "router": person.router,
            "slot": rng.choice(c.SLOTS),
            "date": f"{WEEKDAYS[later.weekday()]} {later.day} {MONTHS[later.month - 1]}",
            "day": WEEKDAYS[(today.weekday() - rng.randint(1, 4)) % 7],
            "month": MONTHS[(today - timedelta(days=20)).month - 1],
            "clock": f"{clock // 60 % 24:02d}:{clock % 60:02d}",
            "eta": f"{eta_hour:02d}:{start.minute // 15 * 15:02d}",
            "cause": outage.cause if outage else rng.choice(c.OUTAGE_CAUSES),
            "ref": f"CMP-{episode.number:06d}",
            "new_town": rng.choice(OTHER_TOWNS[person.town.name]),
            "months": rng.choice(("12", "18", "24")),
            "handle": c.SOCIAL_HANDLE,
            "company": person.company or c.COMPANY,
            "label": topic.label.lower() if topic else "their account",
        }

    @staticmethod
    def _fill(text: str, ctx: dict[str, str]) -> str:
        return text.format_map(ctx)

    def _say(
        self,
        rng: random.Random,
        options: Sequence[str],
        fallback: Sequence[str],
        ctx: dict[str, str],
    ) -> str:
        return self._fill(rng.choice(options or fallback), ctx)

    # -- identifiers as each system writes them -----------------------------

    @staticmethod
    def _email(rng: random.Random, person: Person, *, messy: bool) -> str:
        if not messy:
            return person.email
        local, domain = person.email.split("@")
        roll = rng.random()
        if roll < 0.12:
            pretty = ".".join(part[:1].upper() + part[1:] for part in local.split("."))
            return f" {pretty}@{domain[:1].upper()}{domain[1:]} "
        if roll < 0.17:
            return person.email.upper()
        if roll < 0.22:
            return f"{person.email} "
        return person.email

    @staticmethod
    def _phone(rng: random.Random, number: str, *, style: str = "any") -> str:
        national = number[1:]
        area = 2 if number.startswith("02") else 3
        head, tail = national[:area], national[area:]
        if number.startswith("02"):
            spaced_tail = f"{tail[:4]} {tail[4:]}"
        else:
            spaced_tail = f"{tail[:3]} {tail[3:]}"
        if style == "e164":
            return f"+44{national}"
        if style == "national":
            return number
        return _weighted(
            rng,
            (
                f"0{head} {spaced_tail}",
                f"+44 {head} {spaced_tail}",
                number,
                f"+44{national}",
                f"(0{head}) {spaced_tail}",
                f"0044 {head} {spaced_tail}",
            ),
            (45, 18, 15, 12, 6, 4),
        )

    def _handle(self, rng: random.Random, person: Person) -> str:
        handle = person.handle
        if person.network == "twitter":
            return _weighted(
                rng,
                (f"@{handle}", handle, f"https://x.com/{handle}", f"@{handle.capitalize()}"),
                (70, 10, 10, 10),
            )
        if person.network == "instagram":
            return _weighted(rng, (f"@{handle}", f"instagram.com/{handle}"), (80, 20))
        return _weighted(rng, (handle, f"https://www.facebook.com/{handle}"), (60, 40))

    def _account(
        self, person: Person, *, phone: bool = True, email: bool = True, name: bool = True
    ) -> dict[str, str]:
        """An account system's view: CRM id, clean email and number, name and company."""
        customer: dict[str, str] = {"crm_id": person.crm_id}
        if email:
            customer["email"] = person.email
        if phone and person.contact_phone:
            customer["phone"] = f"+44{person.contact_phone[1:]}"
        if name:
            customer["name"] = person.name
            customer["kind"] = person.kind
            if person.company:
                customer["company"] = person.company
            customer.update(self._details(person))
        return customer

    @staticmethod
    def _details(person: Person) -> dict[str, str]:
        """What an account system knows of where (and when) the person was born and lives."""
        details = {"postcode": person.postcode, "city": person.town.name}
        if person.birth_date:
            details["birth_date"] = person.birth_date
        return details

    def _messy_name(self, rng: random.Random, person: Person) -> str:
        return _weighted(
            rng,
            (
                person.name,
                person.name.lower(),
                f"{person.last.upper()}, {person.first}",
                f"{person.first[0]}. {person.last}",
                f"{person.first}  {person.last}",
                person.first,
            ),
            (60, 8, 5, 10, 5, 12),
        )

    # -- kinds ----------------------------------------------------------------

    def _first_record(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        channel, direction, subject, body = rng.choice(c.FIRST_RECORDS)
        times = self._times(rng, episode, [(300, 3000)])
        lines = [
            self._line(
                "crm",
                f"ACT-{episode.number:06d}-1",
                channel,
                direction,
                times[0],
                self._account(person),
                subject,
                self._fill(body, ctx),
                {
                    "plan": ctx["plan"],
                    "town": ctx["town"],
                    "district": ctx["district"],
                    "agent": ctx["agent"],
                    # What the CRM knows of every account it sends: the journeys'
                    # stage rules start an account holder in steady service on it.
                    "account_status": "active",
                },
            ),
        ]
        if episode.lines > 1:
            lines.append(self._registration(person, episode, times[1]))
        return lines

    def _registration(self, person: Person, episode: Episode, moment: float) -> Line:
        return self._line(
            "sms-gateway",
            f"SMS-{episode.number:06d}-2",
            "sms",
            "outbound",
            moment,
            {"crm_id": person.crm_id, "phone": f"+44{person.mobile[1:]}"},
            "",
            f"Northvale: this number is now set up for service texts about account "
            f"{person.crm_id}. Reply STOP to opt out.",
            {"campaign": "mobile-verification"},
        )

    def _order(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        times = self._times(rng, episode, [(120, 1800)])
        online = rng.random() < 0.6
        lines = [
            self._line(
                "shop",
                f"ORD-{episode.number:06d}-1",
                "web" if online else "in_person",
                "inbound",
                times[0],
                self._account(person),
                f"New order: {ctx['plan']}",
                self._fill(
                    "Order placed for {plan} at £{price}/month on a 24-month contract. "
                    "Installation to be booked.",
                    ctx,
                ),
                {"plan": ctx["plan"], "store": "online" if online else ctx["store"]},
            )
        ]
        if episode.lines > 1:
            lines.append(self._registration(person, episode, times[1]))
        return lines

    def _availability(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        customer = {
            "email": self._email(rng, person, messy=True),
            "phone": self._phone(rng, person.contact_phone),
            "name": person.name,
            "kind": "residential",
        }
        body = self._fill(
            "Name: {name}\nPostcode area: {district}\nMessage: Is full fibre available at my "
            "address? My contract with my current provider ends in {months} months.",
            ctx,
        )
        return [
            self._line(
                "website",
                f"FORM-{episode.number:06d}-1",
                "web",
                "inbound",
                episode.start,
                customer,
                f"Availability check: {ctx['district']}",
                body,
                {"form": "availability"},
            )
        ]

    def _contact_update(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        subject, body = CONTACT_UPDATES[episode.special]
        customer = self._account(person, phone=False)
        if episode.special == "household":
            number = person.shared_line
        elif episode.special == "typo":
            number = self.people[episode.other].contact_phone
        else:
            number = person.mobile
        customer["phone"] = self._phone(rng, number, style="e164")
        return [
            self._line(
                "crm",
                f"ACT-{episode.number:06d}-1",
                "other",
                "inbound",
                episode.start,
                customer,
                subject,
                body,
                {"agent": ctx["agent"]},
            )
        ]

    def _email_thread(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        topic = TOPICS[episode.topic]
        ticket = f"HD-{episode.number:06d}"
        subject = self._fill(rng.choice(topic.subjects), ctx)
        times = self._times(
            rng,
            episode,
            [EMAIL_ANSWER, (HOUR, 10 * HOUR), EMAIL_CLOSE],
            staffed=(1, 3),
            queued=True,
        )
        lines: list[Line] = []
        for k, moment in enumerate(times, start=1):
            inbound = k % 2 == 1
            if inbound:
                customer = {
                    "email": self._email(rng, person, messy=True),
                    "name": self._messy_name(rng, person),
                }
                if k == 1:
                    greeting = rng.choice(GREETINGS)
                    text = self._fill(rng.choice(topic.opening), ctx)
                    if topic.detail and rng.random() < 0.7:
                        text += " " + self._fill(rng.choice(topic.detail), ctx)
                    signature = person.first if rng.random() < 0.6 else person.name
                    if person.company:
                        signature += f"\n{person.title}, {person.company}"
                    body = "\n\n".join(
                        part
                        for part in (greeting, text, f"{rng.choice(SIGN_OFFS)},\n{signature}")
                        if part
                    )
                else:
                    body = (
                        self._say(rng, topic.follow_up, GENERIC_FOLLOW_UP, ctx)
                        + f"\n\n{person.first}"
                    )
                lines.append(
                    self._line(
                        "helpdesk",
                        f"{ticket}-{k}",
                        "email",
                        "inbound",
                        moment,
                        customer,
                        subject if k == 1 else f"Re: {subject}",
                        body,
                        {"ticket": ticket, "tags": [topic.key]},
                    )
                )
            else:
                text = (
                    self._fill(rng.choice(topic.reply), ctx)
                    if k == 2
                    else self._say(rng, topic.close, GENERIC_CLOSE, ctx)
                )
                body = (
                    f"{_greeting(person, text)}{text}\n\nBest wishes,\n{ctx['agent']}\n"
                    f"Northvale Telecom Customer Care\nTicket {ticket}"
                )
                lines.append(
                    self._line(
                        "helpdesk",
                        f"{ticket}-{k}",
                        "email",
                        "outbound",
                        moment,
                        {"email": person.email},
                        f"Re: {subject}",
                        body,
                        {"ticket": ticket, "tags": [topic.key], "agent": ctx["agent"]},
                    )
                )
        return lines

    def _email_out(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        subject, body = EMAIL_OUT[episode.topic]
        subject = self._fill(subject, ctx)
        ticket = f"HD-{episode.number:06d}"
        times = self._times(rng, episode, [(HOUR, 20 * HOUR)])
        lines = [
            self._line(
                "helpdesk",
                f"{ticket}-1",
                "email",
                "outbound",
                times[0],
                {"email": person.email, "name": person.name},
                subject,
                self._fill(body, ctx),
                {"ticket": ticket, "campaign": episode.topic},
            )
        ]
        if episode.lines > 1:
            topic = TOPICS[episode.topic]
            text = self._say(rng, topic.follow_up, GENERIC_FOLLOW_UP, ctx)
            lines.append(
                self._line(
                    "helpdesk",
                    f"{ticket}-2",
                    "email",
                    "inbound",
                    times[1],
                    {"email": self._email(rng, person, messy=True)},
                    f"Re: {subject}",
                    f"{text}\n\n{person.first}",
                    {"ticket": ticket},
                )
            )
        return lines

    def _call_in(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        """An answered call, sorted there and then; or, when the caller chose a call back
        rather than wait in the queue, the request and the call back minutes later."""
        topic = TOPICS[episode.topic]
        caller = rng.choice(person.call_phones)
        times = self._times(rng, episode, [CALL_BACK], staffed=(1,), queued=True)
        note = self._fill(rng.choice(topic.call_notes), ctx)
        phone = {"phone": self._phone(rng, caller, style=rng.choice(("national", "e164")))}
        wait = int(rng.expovariate(1 / 150))
        if episode.lines == 1:
            body = note
            attributes: dict[str, Any] = {
                "queue": topic.queue,
                "agent": ctx["agent"],
                "wrap_up": topic.label,
                "wait_seconds": wait,
                "duration_seconds": int(rng.lognormvariate(5.8, 0.6)),
            }
        else:
            reason = self._fill(rng.choice(topic.opening), ctx)
            body = (
                f"Caller asked to be rung back rather than stay in the queue (position "
                f"{rng.randint(4, 18)}). Reason given: {reason}"
            )
            attributes = {"queue": topic.queue, "wait_seconds": wait, "outcome": "call back"}
        lines = [
            self._line(
                "phone-switch",
                f"CALL-{episode.number:06d}-1",
                "phone",
                "inbound",
                times[0],
                phone,
                f"Inbound call: {topic.queue}",
                body,
                attributes,
            )
        ]
        if episode.lines > 1:
            lines.append(self._callback(rng, person, episode, ctx, topic, times[1], 2, note))
        return lines

    def _call_out(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        topic = TOPICS[episode.topic]
        note = self._fill(rng.choice(topic.call_notes), ctx)
        return [self._callback(rng, person, episode, ctx, topic, episode.start, 1, note)]

    def _callback(
        self,
        rng: random.Random,
        person: Person,
        episode: Episode,
        ctx: dict[str, str],
        topic: Topic,
        moment: float,
        k: int,
        note: str,
    ) -> Line:
        template = rng.choice(c.CALLBACK_NOTES)
        answered = "no answer" not in template
        number = person.contact_phone if person.crm_id else rng.choice(person.call_phones)
        return self._line(
            "phone-switch",
            f"CALL-{episode.number:06d}-{k}",
            "phone",
            "outbound",
            moment,
            {"phone": self._phone(rng, number, style="e164")},
            f"Outbound call: {topic.label}",
            template.format(label=topic.label.lower(), note=note),
            {
                "agent": ctx["agent"],
                "wrap_up": topic.label,
                "duration_seconds": int(rng.lognormvariate(5.3, 0.5)) if answered else 0,
                "outcome": "answered" if answered else "no answer",
            },
        )

    def _sms_thread(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        topic = TOPICS[episode.topic]
        number = f"+44{person.mobile[1:]}"
        ext = f"SMS-{episode.number:06d}"
        company_first = bool(person.registered_mobile) and rng.random() < 0.4
        times = self._times(
            rng,
            episode,
            [(120, 2 * HOUR), SMS_ANSWER] if company_first else [SMS_ANSWER, (120, 3 * HOUR)],
            staffed=(2,) if company_first else (1,),
            queued=True,
        )
        if company_first:
            texts = [
                ("outbound", self._fill(rng.choice(c.SMS_REMINDERS), ctx), "reminder"),
                ("inbound", rng.choice(c.SMS_REMINDER_REPLIES), ""),
                ("outbound", "Thanks, that's all noted.", ""),
            ]
        else:
            texts = [
                ("inbound", self._fill(rng.choice(topic.opening), ctx), ""),
                ("outbound", self._fill(rng.choice(topic.reply), ctx), ""),
                ("inbound", self._say(rng, topic.follow_up, GENERIC_FOLLOW_UP, ctx), ""),
            ]
        lines = []
        for k, (moment, (direction, text, campaign)) in enumerate(
            zip(times, texts, strict=False), start=1
        ):
            attributes: dict[str, Any] = {"campaign": campaign} if campaign else {}
            if direction == "outbound":
                attributes["agent"] = ctx["agent"]
            lines.append(
                self._line(
                    "sms-gateway",
                    f"{ext}-{k}",
                    "sms",
                    direction,
                    moment,
                    {"phone": number},
                    "",
                    text,
                    attributes,
                )
            )
        return lines

    def _survey(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        number = f"+44{person.mobile[1:]}"
        times = self._times(rng, episode, [(60, 4 * HOUR)])
        lines = [
            self._line(
                "sms-gateway",
                f"SMS-{episode.number:06d}-1",
                "sms",
                "outbound",
                times[0],
                {"phone": number},
                "",
                SURVEY_TEXT,
                {"campaign": "nps-pulse"},
            )
        ]
        if episode.lines > 1:
            score, text = rng.choice(c.SURVEY_REPLIES)
            lines.append(
                self._line(
                    "sms-gateway",
                    f"SMS-{episode.number:06d}-2",
                    "sms",
                    "inbound",
                    times[1],
                    {"phone": number},
                    "",
                    self._fill(text, ctx),
                    {"campaign": "nps-pulse", "survey_score": int(score)},
                )
            )
        return lines

    def _outage_sms(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        outage = self.plan.outages[episode.outage]
        number = f"+44{person.registered_mobile[1:]}"
        fixed = min(episode.start + outage.hours * HOUR + rng.randint(5, 25) * 60, self.latest - 1)
        ext = f"SMS-{episode.number:06d}"
        return [
            self._line(
                "sms-gateway",
                f"{ext}-1",
                "sms",
                "outbound",
                episode.start,
                {"phone": number},
                "",
                self._fill(
                    "Northvale: we're aware of a fault affecting broadband and "
                    "phone in {district}, caused by {cause}. We expect it fixed "
                    "by {eta}. No need to call; we'll text you.",
                    ctx,
                ),
                {"campaign": "outage-notice"},
            ),
            self._line(
                "sms-gateway",
                f"{ext}-2",
                "sms",
                "outbound",
                fixed,
                {"phone": number},
                "",
                self._fill(
                    "Northvale: service in {district} is restored. Sorry for "
                    "the disruption; compensation will be added automatically.",
                    ctx,
                ),
                {"campaign": "outage-restored"},
            ),
        ]

    def _chat(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        topic = TOPICS[episode.topic]
        session = f"CHAT-{episode.number:06d}"
        times = self._times(rng, episode, [(40, 400), (30, 500), (30, 300)])
        if person.chat_mode == "late":
            gives_email = episode.special == "link"
        elif person.chat_mode == "linked":
            gives_email = person.index not in self.chat_linked or rng.random() < 0.2
        else:
            gives_email = False
        if gives_email:
            self.chat_linked.add(person.index)
        texts = [
            self._fill(rng.choice(topic.opening), ctx),
            self._fill(rng.choice(topic.reply), ctx),
            self._say(rng, topic.follow_up, GENERIC_FOLLOW_UP, ctx),
            self._say(rng, topic.close, GENERIC_CLOSE, ctx),
        ]
        lines = []
        for k, moment in enumerate(times, start=1):
            inbound = k % 2 == 1
            customer = {"chat_visitor": person.chat_visitor}
            attributes: dict[str, Any] = {"session": session}
            if inbound and k == 1:
                attributes["wait_seconds"] = int(rng.expovariate(1 / 40))
                if gives_email:
                    customer["email"] = self._email(rng, person, messy=True)
                    customer["name"] = person.first
            if not inbound:
                attributes["agent"] = ctx["agent"]
            lines.append(
                self._line(
                    "web-chat",
                    f"{session}-{k}",
                    "chat",
                    "inbound" if inbound else "outbound",
                    moment,
                    customer,
                    "",
                    texts[k - 1],
                    attributes,
                )
            )
        return lines

    def _social(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        topic = TOPICS[episode.topic]
        prefix = {"twitter": "x", "instagram": "ig", "facebook": "fb"}[person.network]
        answer = next(delay for fewest, delay in SOCIAL_ANSWER if person.followers >= fewest)
        times = self._times(
            rng,
            episode,
            [answer, (300, 4 * HOUR), answer],
            staffed=(1, 3),
            hours=(8, 22),
            queued=True,
        )
        if person.social_mode == "late":
            gives_email = episode.special == "link"
        elif person.social_mode == "linked":
            gives_email = person.index not in self.social_linked
        else:
            gives_email = False
        if gives_email:
            self.social_linked.add(person.index)
        ctx = {**ctx, "first_or_handle": person.first if rng.random() < 0.5 else person.handle}
        # Someone who gives an email does it in a direct message; a public post comes first
        # only when the handle is already known or never will be.
        opens_in_public = not gives_email
        lines = []
        for k, moment in enumerate(times, start=1):
            inbound = k % 2 == 1
            public = opens_in_public and k <= 2
            customer: dict[str, str] = {person.network: self._handle(rng, person)}
            attributes: dict[str, Any] = {"network": person.network, "public": public}
            if inbound:
                attributes["followers"] = person.followers
                if public:
                    # What the listening tool saw of the post: who it reached, who passed it on.
                    attributes["reach"] = int(person.followers * rng.uniform(1.2, 3.5))
                    attributes["reshares"] = int(person.followers * rng.uniform(0.001, 0.008))
                    text = self._fill(rng.choice(topic.social), ctx)
                elif k == 1 or (opens_in_public and k == 3):
                    # The direct message with the details behind the post.
                    text = self._fill(rng.choice(topic.opening), ctx)
                    if gives_email:
                        email = self._email(rng, person, messy=True)
                        customer["email"] = email
                        text += f" My account email is {email.strip()}."
                else:
                    text = self._say(rng, topic.follow_up, GENERIC_FOLLOW_UP, ctx)
                if k == 1:
                    customer["name"] = _weighted(
                        rng,
                        (f"{person.first} {person.last[0]}", person.name, person.first),
                        (5, 3, 2),
                    )
            else:
                attributes["agent"] = ctx["agent"]
                initials = "".join(part[0] for part in ctx["agent"].split())
                if public:
                    text = (
                        f"Hi {ctx['first_or_handle']}, sorry to hear that. Could you send us "
                        f"a DM so we can look into it? ^{initials}"
                    )
                else:
                    text = self._fill(rng.choice(topic.reply), ctx) + f" ^{initials}"
            lines.append(
                self._line(
                    "social-listening",
                    f"{prefix}-{episode.number:06d}-{k}",
                    "social",
                    "inbound" if inbound else "outbound",
                    moment,
                    customer,
                    "",
                    text,
                    attributes,
                )
            )
        return lines

    def _web_form(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        topic = TOPICS[episode.topic]
        times = self._times(rng, episode, [WEB_FORM_ANSWER], staffed=(1,), queued=True)
        customer = {
            "email": self._email(rng, person, messy=True),
            "phone": self._phone(rng, person.contact_phone),
            "name": self._messy_name(rng, person),
        }
        if person.company:
            customer["company"] = person.company
        opening = self._fill(rng.choice(topic.opening), ctx)
        lines = [
            self._line(
                "website",
                f"FORM-{episode.number:06d}-1",
                "web",
                "inbound",
                times[0],
                customer,
                f"Contact form: {topic.label}",
                f"Name: {customer['name'].strip()}\nPostcode area: {person.district}\n"
                f"Message: {opening}",
                {"form": "contact"},
            )
        ]
        if episode.lines > 1:
            reply = self._fill(rng.choice(topic.reply), ctx)
            lines.append(
                self._line(
                    "helpdesk",
                    f"HD-{episode.number:06d}-2",
                    "email",
                    "outbound",
                    times[1],
                    {"email": person.email},
                    f"Re: {topic.label}",
                    f"{_greeting(person, reply)}{reply}\n\n{ctx['agent']}\n"
                    "Northvale Telecom Customer Care",
                    {"agent": ctx["agent"], "tags": [topic.key]},
                )
            )
        return lines

    def _my_account(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        action, topic_key, subject, body = rng.choice(MY_ACCOUNT_ACTIONS)
        ctx = {**ctx, "opening": self._fill(rng.choice(TOPICS[topic_key].opening), ctx)}
        return [
            self._line(
                "website",
                f"MA-{episode.number:06d}-1",
                "web",
                "inbound",
                episode.start,
                {"crm_id": person.crm_id},
                subject,
                self._fill(body, ctx),
                {"action": action},
            )
        ]

    def _shop_visit(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        note = c.SHOP_NOTES.get(episode.topic, c.SHOP_FALLBACK)
        return [
            self._line(
                "shop",
                f"VISIT-{episode.number:06d}-1",
                "in_person",
                "inbound",
                episode.start,
                self._account(person, email=False),
                f"Store visit: {person.town.name}",
                self._fill(note, ctx),
                {"store": ctx["store"], "agent": ctx["agent"]},
            )
        ]

    def _engineer_visit(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        times = self._times(rng, episode, [(14 * HOUR, 26 * HOUR)])
        if person.registered_mobile:
            reminder = self._line(
                "sms-gateway",
                f"SMS-{episode.number:06d}-1",
                "sms",
                "outbound",
                times[0],
                {"phone": f"+44{person.registered_mobile[1:]}"},
                "",
                self._fill(rng.choice(c.SMS_REMINDERS), ctx),
                {"campaign": "reminder"},
            )
        else:
            reminder = self._line(
                "phone-switch",
                f"CALL-{episode.number:06d}-1",
                "phone",
                "outbound",
                times[0],
                {"phone": self._phone(rng, person.contact_phone, style="e164")},
                "Outbound call: appointment reminder",
                self._fill("Automated reminder call for the engineer visit, {slot}.", ctx),
                {"outcome": "answered", "duration_seconds": rng.randint(25, 60)},
            )
            reminder["automated"] = True
        reports = c.ENGINEER_REPORTS.get(episode.topic, c.ENGINEER_REPORTS["default"])
        report = self._fill(rng.choice(reports), ctx)
        job = "Installation" if episode.topic == "installation" else "Repair"
        visit = self._line(
            "field-service",
            f"JOB-{episode.number:06d}-2",
            "in_person",
            "outbound",
            times[-1],
            {"crm_id": person.crm_id, "name": person.name, **self._details(person)},
            f"Engineer visit: {job.lower()}",
            report,
            {
                "job_type": job.lower(),
                "engineer": ctx["engineer"],
                "outcome": "no access" if "No access" in report else "completed",
            },
        )
        # The last conversation of a run may be cut short to hit the exact count:
        # then only the visit itself is on record.
        return [reminder, visit] if episode.lines > 1 else [visit]

    def _crm_note(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        topic = TOPICS[episode.topic]
        note = self._fill(rng.choice(topic.call_notes), ctx)
        if rng.random() < 0.5:
            channel, direction, subject = "other", "inbound", f"Account note: {topic.label}"
        else:
            channel, direction, subject = "phone", "outbound", f"Call logged: {topic.label}"
        return [
            self._line(
                "crm",
                f"ACT-{episode.number:06d}-1",
                channel,
                direction,
                episode.start,
                self._account(person),
                subject,
                note,
                {"agent": ctx["agent"], "plan": ctx["plan"]},
            )
        ]

    def _billing(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        channel, subject, body, _ = _weighted(rng, BILLING_EVENTS, [e[3] for e in BILLING_EVENTS])
        return [
            self._line(
                "billing",
                f"BILL-{episode.number:06d}-1",
                channel,
                "outbound",
                episode.start,
                self._account(person, phone=False),
                self._fill(subject, ctx),
                self._fill(body, ctx),
                {"plan": ctx["plan"], "amount_gbp": float(ctx["price"])},
            )
        ]

    def _billing_twin(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        """A bill and its payment on the person's old billing account: name, date
        of birth and address only, and a name spelt otherwise than in the CRM."""
        twin = self.twins[person.index]
        customer = {
            "other": twin.account,
            "name": twin.name,
            "kind": person.kind,
            **self._details(person),
        }
        times = self._times(rng, episode, [(3 * DAY, 9 * DAY)])
        amount = ctx["price"]
        attributes = {"account": twin.account, "amount_gbp": float(amount)}
        return [
            self._line(
                "billing",
                f"BILL-{episode.number:06d}-1",
                "other",
                "outbound",
                times[0],
                customer,
                self._fill("Paper bill for {month}", ctx),
                f"Paper bill of £{amount} posted to {twin.name}, account {twin.account}.",
                {**attributes, "format": "paper bill"},
            ),
            self._line(
                "billing",
                f"BILL-{episode.number:06d}-2",
                "other",
                "inbound",
                times[1],
                customer,
                "Payment received",
                f"Payment of £{amount} received at the Post Office for account {twin.account}.",
                attributes,
            ),
        ]

    def _letter(
        self, rng: random.Random, person: Person, episode: Episode, ctx: dict[str, str]
    ) -> list[Line]:
        customer = {"crm_id": person.crm_id, "name": person.name, **self._details(person)}
        if episode.lines == 1 and rng.random() < 0.35:
            subject, body = rng.choice(c.LETTER_NOTICES)
            return [
                self._line(
                    "post-room",
                    f"LTR-{episode.number:06d}-1",
                    "other",
                    "outbound",
                    episode.start,
                    customer,
                    subject,
                    self._fill(body, ctx),
                    {"format": "letter"},
                )
            ]
        topic = TOPICS[episode.topic]
        ctx = {
            **ctx,
            "opening": self._fill(rng.choice(topic.opening), ctx),
            "detail": self._fill(rng.choice(topic.detail), ctx) if topic.detail else "",
            "reply": self._fill(rng.choice(topic.reply), ctx),
        }
        times = self._times(rng, episode, [(DAY, 2 * DAY)], staffed=(1,), hours=(9, 17))
        subject, body = rng.choice(c.LETTERS_IN)
        lines = [
            self._line(
                "post-room",
                f"LTR-{episode.number:06d}-1",
                "other",
                "inbound",
                times[0],
                customer,
                self._fill(subject, ctx),
                self._fill(body, ctx),
                {"format": "scanned letter"},
            )
        ]
        if episode.lines > 1:
            subject, body = c.LETTER_REPLY
            lines.append(
                self._line(
                    "post-room",
                    f"LTR-{episode.number:06d}-2",
                    "other",
                    "outbound",
                    times[1],
                    customer,
                    subject,
                    self._fill(body, ctx),
                    {"format": "letter"},
                )
            )
        return lines
