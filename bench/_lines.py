"""Deterministic interaction lines for the benchmarks: realistic enough to make
identity resolution do its real work.

Customers arrive steadily over the file (about one new customer every
``rows / customers`` lines), then come back on other channels. Each channel
carries the identifiers it would in real life (a call has a phone number, a
tweet a handle), so the same person is sometimes first seen as two customers
and later tied together by a line carrying both identifiers: that is what makes
merge proposals. About 1% of lines are replays of a recent line (a webhook sent
twice) and 0.1% carry an invalid email, as real feeds do.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import phonenumbers

# Fixed dates, so that a seed gives the same lines on any day (all in the past:
# the ingestion path rejects times more than a day ahead).
START = datetime(2025, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=365)

FIRST_NAMES = [
    "Ann",
    "Ben",
    "Chloe",
    "Dev",
    "Emma",
    "Farid",
    "Grace",
    "Harry",
    "Isla",
    "Jack",
    "Kai",
    "Leah",
    "Mohammed",
    "Nina",
    "Oliver",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Xavier",
    "Yusuf",
    "Zara",
    "Amelia",
    "Noah",
    "Olivia",
    "Leo",
]
LAST_NAMES = [
    "Lee",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Patel",
    "Khan",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Robinson",
    "Thompson",
    "White",
    "Hughes",
    "Edwards",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Clarke",
    "Jackson",
    "Okafor",
    "Nowak",
    "Murphy",
    "Kelly",
    "Singh",
]
MAIL_DOMAINS = ("example.org", "example.com", "mail.example.net", "example.co.uk")
COMPANIES = (
    "Northwind Traders",
    "Acme Ltd",
    "Globex UK",
    "Initech",
    "Umbrella Logistics",
    "Hooli Europe",
    "Stark Fabrication",
    "Wayne Leisure",
)
PLANS = ("fibre-80", "fibre-500", "fibre-900", "mobile-10gb", "mobile-unlimited", "tv-plus")
QUEUES = ("billing", "technical", "sales", "retention", "moves", "complaints")
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
    "I have restarted the router twice and the light is still orange.",
    "My last bill was higher than the price I was quoted on the phone.",
    "The engineer was booked for the morning slot but nobody came.",
    "Could you tell me when my contract ends and what it costs to leave?",
    "I am moving to a new address and would like to keep the same number.",
    "The app says there is an outage in my area but the status page does not.",
    "Thank you for sorting this out so quickly yesterday.",
    "I was promised a call back within 24 hours and I am still waiting.",
    "Please confirm the refund has been sent to the card ending in 4242.",
    "Speed tests show 12 Mbps on a package that promises 500.",
    "This is the third time I have had to get in touch about the same problem.",
    "We run a small office and the outage stopped us taking card payments.",
    "Agent explained the early termination fee and offered a loyalty discount.",
    "Customer asked for the complaint to be escalated to a manager.",
    "Checked the line remotely: no faults found, booked a technician visit.",
    "I would like to add a second mobile line to my account.",
    "The direct debit was taken twice this month.",
    "Can I pause the TV package while I am abroad for three months?",
    "Your chat assistant could not answer, so I am writing here instead.",
)
# Channel mix of a mid-sized telecom contact centre.
CHANNELS = (
    ("email", 30),
    ("phone", 20),
    ("chat", 15),
    ("sms", 10),
    ("social", 10),
    ("web", 10),
    ("in_person", 5),
)
SOURCE_OF_CHANNEL = {
    "email": "zendesk",
    "chat": "zendesk",
    "web": "zendesk",
    "phone": "genesys",
    "sms": "genesys",
    "social": "sprout",
    "in_person": None,  # the operator's --source / the policy default
}
REPLAY_RATE = 0.01
INVALID_RATE = 0.001
RECENT = 2000


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    phone: str
    crm_id: str
    visitor: str
    twitter: str | None
    facebook: str | None
    instagram: str | None
    company: str | None


def _uk_mobile(rng: random.Random) -> str:
    while True:
        number = f"+447{rng.randrange(10**8, 10**9)}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number, "GB")):
            return number


def make_people(count: int, rng: random.Random) -> list[Person]:
    people = []
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        handle = f"{first[:5]}{last[:4]}{index}".lower()[:15]
        people.append(
            Person(
                name=f"{first} {last}",
                email=f"{first}.{last}{index}@{rng.choice(MAIL_DOMAINS)}".lower(),
                phone=_uk_mobile(rng),
                crm_id=f"C-{100000 + index}",
                visitor=f"v-{rng.getrandbits(48):012x}",
                twitter=handle if rng.random() < 0.4 else None,
                facebook=f"{first}.{last}.{index}".lower() if rng.random() < 0.2 else None,
                instagram=f"{handle}_" if rng.random() < 0.2 else None,
                company=rng.choice(COMPANIES) if rng.random() < 0.15 else None,
            )
        )
    return people


def _phone_as_written(phone: str, rng: random.Random) -> str:
    national = "0" + phone[3:]
    return rng.choice(
        (phone, f"+44 {phone[3:7]} {phone[7:]}", f"{national[:5]} {national[5:]}", national)
    )


def _email_as_written(email: str, rng: random.Random) -> str:
    if rng.random() < 0.2:
        local, domain = email.split("@")
        return f"{local.title()}@{domain}"
    return email


def _identifiers(person: Person, channel: str, rng: random.Random) -> dict[str, str]:
    found: dict[str, str] = {}
    if channel == "email":
        found["email"] = _email_as_written(person.email, rng)
        if rng.random() < 0.5:
            found["crm_id"] = person.crm_id
    elif channel in ("phone", "sms"):
        found["phone"] = _phone_as_written(person.phone, rng)
        if channel == "phone" and rng.random() < 0.3:
            found["crm_id"] = person.crm_id
    elif channel == "chat":
        found["chat_visitor"] = person.visitor
        if rng.random() < 0.6:
            found["email"] = _email_as_written(person.email, rng)
    elif channel == "social":
        handles = [
            (kind, value)
            for kind, value in (
                ("twitter", person.twitter and "@" + person.twitter),
                ("facebook", person.facebook),
                ("instagram", person.instagram),
            )
            if value
        ]
        kind, value = rng.choice(handles)
        found[kind] = value
    elif channel == "web":
        found["email"] = _email_as_written(person.email, rng)
        if rng.random() < 0.7:
            found["crm_id"] = person.crm_id
    else:  # in_person
        found["crm_id"] = person.crm_id
        if rng.random() < 0.5:
            found["phone"] = _phone_as_written(person.phone, rng)
    return found


def _body(rng: random.Random) -> str:
    target = rng.randint(200, 600)
    parts: list[str] = []
    length = 0
    while length < target:
        sentence = rng.choice(SENTENCES)
        parts.append(sentence)
        length += len(sentence) + 1
    parts.append(f"Ref {rng.randrange(10**7):07d}.")
    return " ".join(parts)


def _occurred_at(row: int, rows: int, rng: random.Random) -> str:
    moment = START + SPAN * (row / rows) + timedelta(seconds=rng.randrange(3600))
    style = rng.random()
    if style < 0.4:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.8:
        return moment.astimezone(timezone(timedelta(hours=1))).isoformat()
    return moment.isoformat()


def generate_lines(*, rows: int, customers: int, seed: int) -> Iterator[dict[str, Any]]:
    """``rows`` interaction lines (decoded JSON objects) for ``customers`` people."""
    rng = random.Random(seed)
    people = make_people(customers, rng)
    channel_names = [name for name, _ in CHANNELS]
    channel_weights = [weight for _, weight in CHANNELS]
    recent: list[dict[str, Any]] = []
    next_new = 0
    for row in range(rows):
        if recent and rng.random() < REPLAY_RATE:
            yield rng.choice(recent)
            continue
        arrived = min(customers, (customers * (row + 1)) // rows + 1)
        if next_new < arrived:
            index, next_new = next_new, next_new + 1
        else:
            # Returning customers, the recently arrived more often than the old.
            index = int(arrived * (1 - rng.random() ** 2))
        person = people[index]
        channel = rng.choices(channel_names, channel_weights)[0]
        if channel == "social" and not (person.twitter or person.facebook or person.instagram):
            channel = "web"
        customer: dict[str, Any] = _identifiers(person, channel, rng)
        if rng.random() < INVALID_RATE:
            customer["email"] = "not-an-email"
        if channel not in ("social", "chat") or rng.random() < 0.3:
            customer["name"] = person.name
        if person.company:
            customer["company"] = person.company
            customer["kind"] = "business"
        elif "name" in customer:
            customer["kind"] = "residential"
        source = SOURCE_OF_CHANNEL[channel]
        line: dict[str, Any] = {
            "external_id": f"{channel[:2]}-{seed}-{row}",
            "channel": channel,
            "direction": "outbound" if rng.random() < 0.2 else "inbound",
            "occurred_at": _occurred_at(row, rows, rng),
            "customer": customer,
            "body": _body(rng),
            "attributes": {"plan": rng.choice(PLANS), "queue": rng.choice(QUEUES)},
        }
        if source is not None:
            line["source"] = source
        if channel in ("email", "web"):
            line["subject"] = rng.choice(SUBJECTS)
        if channel == "phone":
            line["attributes"]["duration_s"] = rng.randrange(30, 1800)
        if len(recent) < RECENT:
            recent.append(line)
        else:
            recent[rng.randrange(RECENT)] = line
        yield line


def write_ndjson(path: Path, *, rows: int, customers: int, seed: int) -> int:
    """Write the lines to ``path``; return its size in bytes."""
    with path.open("wb") as out:
        buffer: list[bytes] = []
        for line in generate_lines(rows=rows, customers=customers, seed=seed):
            buffer.append(orjson.dumps(line))
            if len(buffer) == 10_000:
                out.write(b"\n".join(buffer) + b"\n")
                buffer.clear()
        if buffer:
            out.write(b"\n".join(buffer) + b"\n")
    return path.stat().st_size
