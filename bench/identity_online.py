"""Online identity resolution benchmark: the latency of ``customers_resolve`` for
one new customer against 1,000,000 customers, beside the same at 10,000.

    .venv/bin/python bench/identity_online.py [--customers 1000000]
        [--baseline-customers 10000] [--new 1000] [--breakdown 200]
        [--train-sample 50000] [--seed 42] [--postgres [--skip-sqlite]] [--json PATH]
        [--profile DIR]

For each size (the baseline and the full one) and database, a fresh database
(SQLite in a temp dir; with ``--postgres`` also a throw-away PostgreSQL server),
migrated by ``cxm migrate``, is filled by a fresh process (this script with
``--worker``):

- N generated customers, seeded: first names and surnames drawn from a few
  thousand generated strings with a Zipf-like skew (the commonest surname is
  about 0.8% of customers, so that at 1,000,000 its blocks exceed the cap),
  dates of birth over 80 years (2% missing, 0.3% a 1900-01-01 placeholder),
  postcodes grouped in cities of skewed size, 60% with an email, 50% with a
  phone, 12% with a company; 3% are near-duplicates of an earlier customer (a
  typo in a name, two digits of the date of birth swapped, a new postcode).
  Customers, accounts, email and phone identities and match records go in by
  ``cxm.db.rows_insert`` in chunks; the match records are built here as
  ``customer_records`` builds them, which a sample confirms.
- A model trained by ``resolution.model_train`` on a sample of the customers;
  its stored term frequencies are then replaced by those of all N customers,
  as ``cxm dedupe`` would store them after training on the whole base.
- The timed part: K new customers (half near-duplicates of existing customers
  with other or no strong identifiers, half fresh people), each created with
  its identities outside the timed region, then ``customers_resolve([id])``
  alone, in a transaction as ingestion runs it, one at a time, after a few
  untimed warm-up calls. Merges and proposals it makes are real.
- A breakdown over more new customers: the same call with the phases it goes
  through (``match_records_refresh``, ``model_load``, ``candidates``, the term
  frequencies, scoring, ``decided_pairs``, ``pairs_decide``) timed by wrappers
  around those functions and the SQL inside each counted by an execute wrapper.
- The baseline of the candidate reads: for the same new customers' records, the
  bare indexed ``SELECT`` per blocking key (the rows ``candidates`` reads), and
  the same reads for all K records at once, as ``candidates`` does for a chunk.

Goal (issue 4, 2-core machine): p95 of the online latency under 10 ms at
1,000,000 customers. Not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import accumulate
from pathlib import Path
from typing import Any, NamedTuple

from _pg import postgres_server

CXM = Path(sys.executable).parent / "cxm"
GOAL_P95_MS = 10.0
WARM_UP = 20
CHUNK = 50_000

# ---------------------------------------------------------------------------
# Generated customers
# ---------------------------------------------------------------------------

SYLLABLES = [
    onset + vowel
    for onset in ("b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v",
                  "w", "z", "ch", "sh", "br", "st", "tr", "kl")
    for vowel in ("a", "e", "i", "o", "u", "ai", "ei", "ou")
]  # fmt: skip
ENDINGS = ("", "", "n", "r", "s", "l", "t", "m", "nd", "rt", "son", "er", "ke")
COMPANY_SUFFIXES = ("GmbH", "AG", "Ltd", "KG", "& Co", "Group", "Services", "Werke")
DOMAINS = ("gmail.com", "web.de", "gmx.de", "outlook.com", "yahoo.com", "t-online.de",
           "icloud.com", "posteo.de", "mail.de", "proton.me")  # fmt: skip
DOMAIN_WEIGHTS = (30, 20, 15, 10, 6, 6, 5, 3, 3, 2)
DOB_START = date(1930, 1, 1).toordinal()
DOB_DAYS = date(2010, 1, 1).toordinal() - DOB_START
PLACEHOLDER_DOB = date(1900, 1, 1)
# Fixed, so that a seed gives the same rows on any day.
CREATED = datetime(2025, 11, 1, tzinfo=UTC)


class Person(NamedTuple):
    first: str
    surname: str
    dob: date | None
    postcode: str
    city: str
    company: int | None  # index into the company names
    email: str | None  # normalized
    phone: str | None  # E.164


def _zipf(count: int, shift: float) -> list[float]:
    """Cumulative Zipf-Mandelbrot weights 1 / (rank + shift) of ``count`` ranks."""
    return list(accumulate(1.0 / (rank + shift) for rank in range(1, count + 1)))


@dataclass
class World:
    """The pools that customers are drawn from, and what must stay unique."""

    rng: random.Random
    first_names: list[str]
    first_weights: list[float]
    surnames: list[str]
    surname_weights: list[float]
    places: list[tuple[str, str]]  # (postcode, city)
    place_weights: list[float]
    companies: list[str]
    company_weights: list[float]
    phones: Iterator[int]
    emails: set[str] = field(default_factory=set)

    @classmethod
    def make(cls, seed: int, people: int) -> World:
        rng = random.Random(seed)
        words = _words(rng, 3_000 + 8_000 + 1_500 + 4_000)
        first_names, surnames = words[:3_000], words[3_000:11_000]
        cities, company_words = words[11_000:12_500], words[12_500:]
        # Cities of skewed size (the largest about 5% of people), each with
        # postcodes in proportion to it.
        city_share = [1.0 / (rank + 2) for rank in range(1, len(cities) + 1)]
        total = sum(city_share)
        codes = iter(rng.sample(range(10_000, 100_000), 20_000))
        places: list[tuple[str, str]] = []
        weights: list[float] = []
        for city, share in zip(cities, city_share, strict=True):
            count = max(1, round(8_000 * share / total))
            places += [(str(next(codes)), city) for _ in range(count)]
            weights += [share / count] * count
        companies = sorted(
            {
                f"{rng.choice(company_words).capitalize()} "
                f"{rng.choice(company_words).capitalize()} {rng.choice(COMPANY_SUFFIXES)}"
                for _ in range(21_000)
            }
        )[:20_000]
        rng.shuffle(companies)
        return cls(
            rng=rng,
            first_names=first_names,
            first_weights=_zipf(len(first_names), 5),
            surnames=surnames,
            surname_weights=_zipf(len(surnames), 20),
            places=places,
            place_weights=list(accumulate(weights)),
            companies=companies,
            company_weights=_zipf(len(companies), 10),
            phones=iter(rng.sample(range(100_000_000, 1_000_000_000), people)),
        )

    def fresh(self) -> Person:
        rng = self.rng
        first = rng.choices(self.first_names, cum_weights=self.first_weights)[0]
        surname = rng.choices(self.surnames, cum_weights=self.surname_weights)[0]
        draw = rng.random()
        if draw < 0.02:
            dob = None
        elif draw < 0.023:
            dob = PLACEHOLDER_DOB
        else:
            dob = date.fromordinal(DOB_START + rng.randrange(DOB_DAYS))
        postcode, city = ("", "")
        if rng.random() >= 0.04:
            postcode, city = rng.choices(self.places, cum_weights=self.place_weights)[0]
        company = None
        if rng.random() < 0.12:
            company = rng.choices(range(len(self.companies)), cum_weights=self.company_weights)[0]
        email = self.email(first, surname, dob) if rng.random() < 0.6 else None
        phone = self.phone() if rng.random() < 0.5 else None
        return Person(first, surname, dob, postcode, city, company, email, phone)

    def near_duplicate(self, person: Person) -> Person:
        """The same person as entered elsewhere: one or two weak fields differ,
        and the strong identifiers are other or missing (equal ones would have
        joined the two exactly at ingest)."""
        rng = self.rng
        first, surname, dob, postcode, city = person[:5]
        for change in rng.sample(
            ["first", "surname", "dob", "place", "none"], rng.choice((1, 1, 2))
        ):
            if change == "first":
                first = _typo(rng, first)
            elif change == "surname":
                surname = _typo(rng, surname)
            elif change == "dob" and dob is not None:
                dob = _swapped_digits(rng, dob)
            elif change == "place":
                postcode, city = rng.choices(self.places, cum_weights=self.place_weights)[0]
        email = None
        if person.email and rng.random() < 0.5:
            # The same address book name at another provider.
            email = self._unique(person.email.split("@", 1)[0])
        elif rng.random() < 0.4:
            email = self.email(first, surname, dob)
        phone = self.phone() if rng.random() < 0.2 else None
        return Person(first, surname, dob, postcode, city, person.company, email, phone)

    def email(self, first: str, surname: str, dob: date | None) -> str:
        pattern = self.rng.randrange(4)
        if pattern == 0:
            local = f"{first}.{surname}"
        elif pattern == 1:
            local = f"{first[0]}{surname}"
        elif pattern == 2:
            local = f"{first}{surname}{dob.year % 100:02d}" if dob else f"{first}{surname}"
        else:
            local = f"{surname}.{first}{self.rng.randrange(100)}"
        return self._unique(local)

    def _unique(self, local: str) -> str:
        domain = self.rng.choices(DOMAINS, DOMAIN_WEIGHTS)[0]
        while f"{local}@{domain}" in self.emails:
            local += str(self.rng.randrange(10))
        self.emails.add(f"{local}@{domain}")
        return f"{local}@{domain}"

    def phone(self) -> str:
        return f"+4915{next(self.phones)}"


def _words(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct pronounceable lowercase words, in random order."""
    words: dict[str, None] = {}
    while len(words) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((1, 2, 2, 3))))
        word += rng.choice(ENDINGS)
        if len(word) >= 3:
            words[word] = None
    found = list(words)
    rng.shuffle(found)
    return found


def _typo(rng: random.Random, word: str) -> str:
    """One keying slip after the first letter: a wrong, missing, doubled or swapped letter."""
    if len(word) < 3:
        return word + rng.choice("aeiou")
    at = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:at] + rng.choice("abcdefghiklmnoprstuz") + word[at + 1 :]
    if kind == 1:
        return word[:at] + word[at + 1 :]
    if kind == 2:
        return word[:at] + word[at] + word[at:]
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def _swapped_digits(rng: random.Random, dob: date) -> date:
    """Two adjacent digits of the ISO date swapped (day, month or year), or the
    day off by one when no swap gives another valid date."""
    text = dob.isoformat()
    for at in rng.sample([2, 5, 8], 3):
        swapped = text[:at] + text[at + 1] + text[at] + text[at + 2 :]
        try:
            other = date.fromisoformat(swapped)
        except ValueError:
            continue
        if other != dob:
            return other
    return date.fromordinal(dob.toordinal() + 1)


def people_generate(world: World, count: int, *, duplicates: float = 0.03) -> list[Person]:
    people: list[Person] = []
    for index in range(count):
        if index > 100 and world.rng.random() < duplicates:
            people.append(world.near_duplicate(people[world.rng.randrange(index)]))
        else:
            people.append(world.fresh())
    return people


def display_name(person: Person) -> str:
    return f"{person.first.capitalize()} {person.surname.capitalize()}"


# ---------------------------------------------------------------------------
# The worker: one database, one size
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
        "p99": pick(99),
        "max": max(values),
    }


class Phases:
    """Times the phases of ``customers_resolve`` by wrapping the module-level
    functions it calls (it looks them up at call time), and the SQL run in each.

    Only the outermost phase counts: a merge inside ``pairs_decide`` refreshes
    match records again, and that is part of deciding. A write's database time
    is its execute; a read is run again afterwards, whole (``replay``), since on
    SQLite a SELECT does most of its work while its rows are fetched, after the
    execute that an execute wrapper sees.
    """

    NAMES = (
        "match_records_refresh",
        "model_load",
        "candidates",
        "_with_frequencies",
        "evidence",
        "decided_pairs",
        "pairs_decide",
    )

    def __init__(self) -> None:
        self.current = ""
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.sql_seconds: defaultdict[str, float] = defaultdict(float)
        self.queries: Counter[str] = Counter()
        self.reads: list[tuple[str, str, Any]] = []
        self.pairs: list[int] = []
        self.rows: list[int] = []

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.current != "resolve":
                return function(*args, **kwargs)
            self.current = name
            start = time.perf_counter()
            try:
                result = function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - start
                self.current = "resolve"
            if name == "candidates":
                self.pairs.append(len(result[0]))
                self.rows.append(len(result[1]))
            return result

        return timed

    def sql(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if self.current:
                self.queries[self.current] += 1
                if not many and sql.lstrip()[:6].upper() == "SELECT":
                    self.reads.append((self.current, sql, params))
                else:
                    self.sql_seconds[self.current] += time.perf_counter() - start

    def replay(self, connection: Any) -> None:
        with connection.cursor() as cursor:
            for phase, sql, params in self.reads:
                start = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                self.sql_seconds[phase] += time.perf_counter() - start


def worker(args: argparse.Namespace) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxm.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection, transaction

    from cxm.connectors import services as connector_services
    from cxm.customers import matching, resolution
    from cxm.customers.models import (
        Account,
        Customer,
        Identity,
        MatchFrequency,
        MatchRecord,
        MergeProposal,
    )
    from cxm.customers.services import account_key
    from cxm.db import rows_insert

    def progress(message: str) -> None:
        print(f"[{connection.vendor} {args.customers:,}] {message}", file=sys.stderr, flush=True)

    def chunked(model: Any, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        for start in range(0, len(rows), CHUNK):
            with transaction.atomic():
                rows_insert(model, names, rows[start : start + CHUNK])

    n = args.customers
    extra = WARM_UP + args.new + args.breakdown
    figures: dict[str, Any] = {"vendor": connection.vendor, "customers": n, "setup": {}}
    setup = figures["setup"]

    # Generation: the base, then the new customers, half near-duplicates of it.
    start = time.perf_counter()
    world = World.make(args.seed, n + 2 * extra)
    people = people_generate(world, n)
    newcomers: list[tuple[str, Person]] = []
    for index in range(extra):
        if index % 2 == 0:
            newcomers.append(("near", world.near_duplicate(people[world.rng.randrange(n)])))
        else:
            newcomers.append(("fresh", world.fresh()))
    setup["generate_seconds"] = time.perf_counter() - start
    progress(f"generated in {setup['generate_seconds']:.1f} s")

    def record_of(person: Person) -> dict[str, str | None]:
        # As resolution.customer_records derives it from the stored rows.
        company = person.company
        return {
            "first_name": person.first,
            "surname": person.surname,
            "dob": person.dob.isoformat() if person.dob else None,
            "postcode": person.postcode or None,
            "city": person.city or None,
            "company": matching.clean_text(world.companies[company])
            if company is not None
            else None,
            "email_local": person.email.split("@", 1)[0] if person.email else None,
            "phone": person.phone[-9:] if person.phone else None,
        }

    # Insertion.
    start = time.perf_counter()
    source = connector_services.source_get_or_create(name="bench")
    chunked(
        Account,
        ("name", "name_key", "created_at"),
        [(name, account_key(name), CREATED) for name in world.companies],
    )
    account_ids = list(Account.objects.order_by("id").values_list("id", flat=True))
    customer_columns = ("display_name", "kind", "account", "birth_date", "address", "postcode",
                        "city", "created_at", "updated_at")  # fmt: skip

    def customer_row(person: Person) -> tuple[Any, ...]:
        account = account_ids[person.company] if person.company is not None else None
        kind = "business" if account else "residential"
        return (display_name(person), kind, account, person.dob, "", person.postcode,
                person.city.capitalize(), CREATED, CREATED)  # fmt: skip

    chunked(Customer, customer_columns, [customer_row(p) for p in people])
    customer_ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
    assert len(customer_ids) == n

    identity_columns = ("customer", "kind", "value_raw", "value_normalized", "source",
                        "first_seen", "last_seen")  # fmt: skip

    def identity_rows(customer_id: int, person: Person) -> list[tuple[Any, ...]]:
        rows = []
        for kind, value in (("email", person.email), ("phone", person.phone)):
            if value:
                rows.append((customer_id, kind, value, value, source.pk, CREATED, CREATED))
        return rows

    chunked(
        Identity,
        identity_columns,
        [row for pk, p in zip(customer_ids, people, strict=True) for row in identity_rows(pk, p)],
    )
    records = [record_of(p) for p in people]
    compound_keys = [key for key in resolution.BLOCKING if key not in resolution.FIELDS]
    match_columns = ("customer", *resolution.FIELDS, *compound_keys)

    def match_row(customer_id: int, record: dict[str, str | None]) -> tuple[Any, ...]:
        return (
            customer_id,
            *(record[name] or "" for name in resolution.FIELDS),
            *(resolution.block_value(record, resolution.BLOCKING[key]) for key in compound_keys),
        )

    chunked(
        MatchRecord,
        match_columns,
        [match_row(pk, r) for pk, r in zip(customer_ids, records, strict=True)],
    )
    if connection.vendor == "postgresql":
        # Autovacuum would analyze the new tables within a minute; do it now so
        # that the timed part does not depend on when.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    setup["insert_seconds"] = time.perf_counter() - start
    setup["identities"] = Identity.objects.count()
    setup["accounts"] = len(account_ids)
    progress(f"inserted in {setup['insert_seconds']:.1f} s")

    sample = random.Random(args.seed).sample(range(n), min(500, n))
    stored = resolution.customer_records([customer_ids[i] for i in sample])
    mismatched = sum(stored[customer_ids[i]] != records[i] for i in sample)
    setup["records_checked"] = len(sample)
    setup["records_mismatched"] = mismatched
    assert mismatched == 0, "generated match records differ from customer_records"

    # The model: trained on a sample, with the term frequencies of everyone.
    start = time.perf_counter()
    chosen = sorted(random.Random(args.seed + 1).sample(range(n), min(args.train_sample, n)))
    trained = resolution.model_train(
        [customer_ids[i] for i in chosen], [records[i] for i in chosen]
    )
    assert trained.row is not None
    # λ is the chance that two customers picked at random are one person: with
    # the same duplicates per customer it falls as 1/(N-1). The online path
    # scales the stored λ from the customers it was trained on to the base.
    resolution.model_cache_clear()
    in_use = resolution.model_load()
    assert in_use is not None
    prior = in_use.model.prior
    figures["train"] = {
        "customers": len(chosen),
        "candidate_pairs": len(trained.pairs),
        "sample_prior": trained.model.prior,
        "prior": prior,
        "seconds": time.perf_counter() - start,
    }
    progress(f"trained on {len(chosen):,} in {figures['train']['seconds']:.1f} s")
    start = time.perf_counter()
    columns = [c.column for c in resolution.comparisons() if c.term_frequency]
    frequencies = matching.term_frequencies(records, columns)
    MatchFrequency.objects.filter(model=trained.row).delete()
    chunked(
        MatchFrequency,
        ("model", "column", "value", "share"),
        [
            (trained.row.pk, column, value[:320], share)
            for column, shares in frequencies.items()
            for value, share in shares.items()
        ],
    )
    figures["frequencies"] = {
        "values": {column: len(shares) for column, shares in frequencies.items()},
        "seconds": time.perf_counter() - start,
    }
    del frequencies
    setup["database_mb"] = _database_mb(connection, settings)
    progress(f"term frequencies of all {n:,} stored")

    # The new customers, created outside the timed region.
    def create(person: Person) -> int:
        company = person.company
        account = account_ids[company] if company is not None else None
        customer = Customer.objects.create(
            display_name=display_name(person),
            kind="business" if account else "residential",
            account_id=account,
            birth_date=person.dob,
            postcode=person.postcode,
            city=person.city.capitalize(),
        )
        now = datetime.now(UTC)
        for kind, value in (("email", person.email), ("phone", person.phone)):
            if value:
                Identity.objects.create(
                    customer=customer, kind=kind, value_raw=value, value_normalized=value,
                    source=source, first_seen=now, last_seen=now,
                )  # fmt: skip
        return customer.pk

    def resolve(customer_id: int) -> dict[str, Any]:
        begin = time.perf_counter()
        with transaction.atomic():
            start, start_cpu = time.perf_counter(), time.process_time()
            decisions = resolution.customers_resolve([customer_id])
            seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        return {
            "ms": seconds * 1000,
            "cpu_ms": cpu * 1000,
            "with_transaction_ms": (time.perf_counter() - begin) * 1000,
            "merged": len(decisions.merged),
            "proposed": len(decisions.proposed),
        }

    warm, measured, instrumented = (
        newcomers[:WARM_UP],
        newcomers[WARM_UP : WARM_UP + args.new],
        newcomers[WARM_UP + args.new :],
    )
    for _, person in warm:
        resolve(create(person))

    profiler = cProfile.Profile() if args.profile else None
    samples = []
    for group, person in measured:
        customer_id = create(person)
        if profiler is not None:
            profiler.enable()
        sample_figures = resolve(customer_id)
        if profiler is not None:
            profiler.disable()
        samples.append({"group": group, **sample_figures})
    if profiler is not None:
        profiler.dump_stats(args.profile)
    progress(f"{len(samples):,} new customers resolved")

    latency: dict[str, Any] = {
        key: quantiles([s[key] for s in samples]) for key in ("ms", "cpu_ms", "with_transaction_ms")
    }
    latency["by_group"] = {
        group: {
            "ms": quantiles([s["ms"] for s in samples if s["group"] == group]),
            "customers": sum(s["group"] == group for s in samples),
            "merged": sum(s["group"] == group and s["merged"] > 0 for s in samples),
            "proposed": sum(
                s["group"] == group and s["merged"] == 0 and s["proposed"] > 0 for s in samples
            ),
        }
        for group in ("near", "fresh")
    }
    latency["by_outcome"] = {
        outcome: quantiles([s["ms"] for s in samples if _outcome(s) == outcome])
        for outcome in ("merged", "proposed", "none")
    }
    figures["latency"] = latency

    # The breakdown: the same call, its phases timed.
    phases = Phases()
    originals = {name: getattr(resolution, name) for name in Phases.NAMES}
    totals: list[float] = []
    with connection.execute_wrapper(phases.sql):
        for name, function in originals.items():
            setattr(resolution, name, phases.wrap(name, function))
        try:
            for _, person in instrumented:
                customer_id = create(person)
                with transaction.atomic():
                    phases.current = "resolve"
                    start = time.perf_counter()
                    resolution.customers_resolve([customer_id])
                    totals.append(time.perf_counter() - start)
                    phases.current = ""
        finally:
            for name, function in originals.items():
                setattr(resolution, name, function)
    phases.replay(connection)
    calls = max(1, len(totals))
    total = sum(totals)
    parts: dict[str, float] = {name: phases.seconds[name] for name in Phases.NAMES}
    # What no wrapper covers: the scoring loop (minus evidence) and the glue.
    parts["scoring"] = total - sum(parts.values())
    figures["breakdown"] = {
        "calls": len(totals),
        "mean_ms": total / calls * 1000,
        "phases": {
            name: {
                "mean_ms": seconds / calls * 1000,
                "sql_mean_ms": phases.sql_seconds[name] / calls * 1000,
                "queries_per_call": phases.queries[name] / calls,
            }
            for name, seconds in parts.items()
        },
        "pairs": quantiles([float(p) for p in phases.pairs]),
        "records_read": quantiles([float(r) for r in phases.rows]),
        "calls_with_pairs": len(phases.pairs),
        "scoring_us_per_pair": (
            (parts["scoring"] + parts["evidence"]) / max(1, sum(phases.pairs)) * 1e6
        ),
    }
    progress(f"breakdown over {len(totals):,} more")

    # The baseline: the bare indexed reads behind candidates().
    figures["bare_reads"] = bare_reads(connection, resolution, [record_of(p) for _, p in measured])
    figures["proposals_stored"] = MergeProposal.objects.count()
    return figures


def _outcome(sample: dict[str, Any]) -> str:
    if sample["merged"]:
        return "merged"
    return "proposed" if sample["proposed"] else "none"


def bare_reads(
    connection: Any, resolution: Any, records: list[dict[str, str | None]]
) -> dict[str, Any]:
    """One SELECT per blocking key of each record, the columns and limit
    ``candidates`` uses (LIMIT MAX_BLOCK + 1 for one value), rows fetched as
    tuples; then the same keys of all records in one SELECT per key, as
    ``candidates`` reads a chunk (no limit there)."""
    table = "customers_matchrecord"
    fields = ", ".join(resolution.FIELDS)
    per_record: list[float] = []
    per_record_cpu: list[float] = []
    rows_read: list[float] = []
    skipped = Counter[str]()
    with connection.cursor() as cursor:
        for record in records:
            start, start_cpu = time.perf_counter(), time.process_time()
            read = 0
            for key, parts in resolution.BLOCKING.items():
                value = resolution.block_value(record, parts)
                if not value:
                    continue
                cursor.execute(
                    f"SELECT customer_id, {fields}, {key} FROM {table} WHERE {key} = %s LIMIT %s",
                    [value, resolution.MAX_BLOCK + 1],
                )
                found = len(cursor.fetchall())
                read += found
                if found > resolution.MAX_BLOCK:
                    skipped[key] += 1
            per_record.append((time.perf_counter() - start) * 1000)
            per_record_cpu.append((time.process_time() - start_cpu) * 1000)
            rows_read.append(float(read))
        chunk: dict[str, Any] = {"records": len(records), "keys": {}}
        start = time.perf_counter()
        for key, parts in resolution.BLOCKING.items():
            values = sorted({v for r in records if (v := resolution.block_value(r, parts))})
            key_start = time.perf_counter()
            cursor.execute(
                f"SELECT customer_id, {fields}, {key} FROM {table} WHERE {key} IN "
                f"({', '.join(['%s'] * len(values))})",
                values,
            )
            found = len(cursor.fetchall())
            chunk["keys"][key] = {
                "values": len(values),
                "rows": found,
                "ms": (time.perf_counter() - key_start) * 1000,
            }
        chunk["ms"] = (time.perf_counter() - start) * 1000
        chunk["rows"] = sum(k["rows"] for k in chunk["keys"].values())
    return {
        "ms": quantiles(per_record),
        "cpu_ms": quantiles(per_record_cpu),
        "rows": quantiles(rows_read),
        "blocks_over_cap": dict(skipped),
        "blocks_over_cap_share": sum(skipped.values()) / max(1, len(records)),
        "chunk": chunk,
    }


def _database_mb(connection: Any, settings: Any) -> float:
    if connection.vendor == "sqlite":
        name = Path(settings.DATABASES["default"]["NAME"])
        files = [name, name.with_name(name.name + "-wal")]
        return sum(f.stat().st_size for f in files if f.exists()) / 1024 / 1024
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return float(cursor.fetchone()[0]) / 1024 / 1024


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
    }


def _code_state() -> dict[str, Any]:
    """Which resolution code ran: the commit, and whether its modules differ from it."""
    root = Path(__file__).resolve().parents[1]
    modules = ["cxm/customers/resolution.py", "cxm/customers/matching.py"]

    def git(*arguments: str) -> str:
        done = subprocess.run(["git", *arguments], cwd=root, capture_output=True, text=True)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "modified": git("diff", "--name-only", "HEAD", "--", *modules).split(),
        "blobs": dict(zip(modules, git("hash-object", *modules).split(), strict=False)),
    }


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_worker(
    label: str, customers: int, database_url: str, data_dir: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """Migrate the fresh database, run the worker on it; its figures with its
    wall time and peak RSS (``os.wait4``: this child's own)."""
    env = _env(database_url, data_dir)
    subprocess.run([str(CXM), "migrate", "--no-input", "-v", "0"], env=env, check=True)
    command = [
        sys.executable, str(Path(__file__).resolve()), "--worker",
        "--customers", str(customers), "--new", str(args.new),
        "--breakdown", str(args.breakdown), "--train-sample", str(args.train_sample),
        "--seed", str(args.seed),
    ]  # fmt: skip
    if args.profile:
        command += ["--profile", str(Path(args.profile) / f"online-{label}-{customers}.prof")]
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out)  # progress on our stderr
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"the worker for {label} at {customers:,} failed")
        out.seek(0)
        figures: dict[str, Any] = json.loads(out.read().decode().strip().splitlines()[-1])
    figures["database"] = label
    figures["worker_seconds"] = seconds
    figures["peak_rss_mb"] = usage.ru_maxrss / 1024
    figures["load_after"] = _load()
    return figures


def _ms(value: float) -> str:
    return f"{value:.2f}"


def report(results: dict[str, Any]) -> str:
    p = results["parameters"]
    lines = [
        "CXM online identity resolution: customers_resolve([one new customer]), one at a time,",
        f"{p['new']:,} new customers per run (half near-duplicates, half fresh) after "
        f"{WARM_UP} warm-up calls; seed {p['seed']}",
        f"{results['machine']['cpus']} CPUs, Python {results['machine']['python']}, "
        f"load average at start {results['load_before']}",
        f"code: commit {results['code']['commit']}"
        + (
            f", working-tree changes in {', '.join(results['code']['modified'])} "
            f"(blobs {', '.join(b[:10] for b in results['code']['blobs'].values())})"
            if results["code"]["modified"]
            else ""
        ),
        "",
    ]
    header = (
        f"{'database':<11}{'customers':>10}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'max ms':>8}{'CPU p50':>8}{'CPU p95':>8}{'+txn p95':>9}{'merged':>7}{'propos.':>8}"
        f"{'bare p50':>9}{'bare p95':>9}{'CPU p95':>8}  goal"
    )
    lines += [header, "-" * len(header)]
    for run in results["runs"]:
        lat, bare, bare_cpu = run["latency"], run["bare_reads"]["ms"], run["bare_reads"]["cpu_ms"]
        merged = sum(g["merged"] for g in lat["by_group"].values())
        proposed = sum(g["proposed"] for g in lat["by_group"].values())
        goal = "-"
        if run["customers"] == p["customers"]:
            verdict = "PASS" if lat["ms"]["p95"] < GOAL_P95_MS else "FAIL"
            goal = f"p95 < {GOAL_P95_MS:.0f} ms {verdict}"
        lines.append(
            f"{run['database']:<11}{run['customers']:>10,}{_ms(lat['ms']['p50']):>8}"
            f"{_ms(lat['ms']['p95']):>8}{_ms(lat['ms']['p99']):>8}{_ms(lat['ms']['max']):>8}"
            f"{_ms(lat['cpu_ms']['p50']):>8}{_ms(lat['cpu_ms']['p95']):>8}"
            f"{_ms(lat['with_transaction_ms']['p95']):>9}{merged:>7}{proposed:>8}"
            f"{_ms(bare['p50']):>9}{_ms(bare['p95']):>9}{_ms(bare_cpu['p95']):>8}  {goal}"
        )
    lines += [
        "p50..max: wall time of the customers_resolve call (inside its transaction); CPU: this",
        "process's CPU time of the call (on PostgreSQL without the server's), less sensitive",
        "to other load on the machine; +txn p95: with BEGIN and COMMIT. merged / propos.: new",
        "customers merged automatically / proposed for review. bare: the baseline, one indexed",
        "SELECT per blocking key of the same new records (the rows candidates() reads), fetched",
        "as tuples, all keys of one record; wall p50, p95 and CPU p95.",
        "",
    ]
    for run in results["runs"]:
        lines += _run_details(run)
    return "\n".join(lines)


def _run_details(run: dict[str, Any]) -> list[str]:
    setup, train, lat = run["setup"], run["train"], run["latency"]
    bd, bare = run["breakdown"], run["bare_reads"]
    title = f"{run['database']}, {run['customers']:,} customers"
    values = run["frequencies"]["values"]
    lines = [
        f"{title}:",
        f"  setup: generated in {setup['generate_seconds']:.1f} s; inserted "
        f"{run['customers']:,} customers, {setup['identities']:,} identities, "
        f"{setup['accounts']:,} accounts and their match records in "
        f"{setup['insert_seconds']:.1f} s; database {setup['database_mb']:,.0f} MB",
        f"  model trained on {train['customers']:,} of them ({train['candidate_pairs']:,} "
        f"candidate pairs, λ {train['sample_prior']:.2e}, scaled to the base: "
        f"{train['prior']:.2e}) in {train['seconds']:.1f} s; its term "
        f"frequencies then replaced by those of all {run['customers']:,} "
        f"({', '.join(f'{c} {n:,}' for c, n in values.items())} values) in "
        f"{run['frequencies']['seconds']:.1f} s",
        f"  match records checked against customer_records: {setup['records_checked']} "
        f"equal of {setup['records_checked']}",
    ]
    for group, label in (("near", "near-duplicates"), ("fresh", "fresh people")):
        g = lat["by_group"][group]
        lines.append(
            f"  {label}: {g['customers']} — {g['merged']} merged, {g['proposed']} proposed; "
            f"p50 {_ms(g['ms']['p50'])} ms, p95 {_ms(g['ms']['p95'])} ms"
        )
    by_outcome = ", ".join(
        f"{outcome} {q['n']} (p50 {_ms(q['p50'])}, p95 {_ms(q['p95'])})"
        for outcome, q in lat["by_outcome"].items()
        if q
    )
    lines.append(f"  by outcome, ms: {by_outcome}")
    lines.append(
        f"  breakdown over {bd['calls']} more calls, mean {_ms(bd['mean_ms'])} ms "
        "(phase: mean ms, share, of which database time, queries per call; scoring is the\n"
        "    rest: the loop of model.score over the pairs; database time: writes as executed,\n"
        "    reads run again afterwards with a bare cursor, execute and fetch):"
    )
    for name, phase in bd["phases"].items():
        share = phase["mean_ms"] / bd["mean_ms"] * 100 if bd["mean_ms"] else 0.0
        lines.append(
            f"    {name:<22}{_ms(phase['mean_ms']):>7} ms {share:>4.0f}%   database "
            f"{_ms(phase['sql_mean_ms']):>6} ms  {phase['queries_per_call']:>5.1f} q"
        )
    pairs, read = bd["pairs"], bd["records_read"]
    if pairs:
        lines.append(
            f"    candidate pairs per call: p50 {pairs['p50']:.0f}, p95 {pairs['p95']:.0f}, "
            f"max {pairs['max']:.0f}; records read p50 {read['p50']:.0f}, p95 "
            f"{read['p95']:.0f}; scoring + evidence {bd['scoring_us_per_pair']:.1f} µs per pair"
        )
    rows, chunk = bare["rows"], bare["chunk"]
    over = ", ".join(f"{k} {v}" for k, v in sorted(bare["blocks_over_cap"].items())) or "none"
    lines += [
        f"  bare reads per record: p50 {_ms(bare['ms']['p50'])} ms, p95 "
        f"{_ms(bare['ms']['p95'])} ms; rows p50 {rows['p50']:.0f}, p95 {rows['p95']:.0f}; "
        f"blocks over the cap of 200 (read, then skipped): {over}",
        f"  the same keys of all {chunk['records']:,} records at once (as candidates() reads a "
        f"chunk, no limit): {chunk['rows']:,} rows in {chunk['ms']:,.0f} ms",
        f"  worker: {run['worker_seconds']:.0f} s wall, peak RSS {run['peak_rss_mb']:,.0f} MB; "
        f"load average after {run['load_after']}",
        "",
    ]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--baseline-customers", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=1_000, help="new customers timed per run")
    parser.add_argument("--breakdown", type=int, default=200, help="more, with phases timed")
    parser.add_argument("--train-sample", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--postgres", action="store_true", help="also on a throw-away PostgreSQL")
    parser.add_argument("--skip-sqlite", action="store_true", help="with --postgres: only there")
    parser.add_argument("--json", help="also write every figure to this JSON file")
    parser.add_argument("--profile", help="directory for a cProfile of each run's timed calls")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        figures = worker(args)
        json.dump(figures, sys.stdout)
        sys.stdout.write("\n")
        return

    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    sizes = sorted({args.baseline_customers, args.customers})
    results: dict[str, Any] = {
        "parameters": {
            "customers": args.customers,
            "baseline_customers": args.baseline_customers,
            "new": args.new,
            "breakdown": args.breakdown,
            "train_sample": args.train_sample,
            "seed": args.seed,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "code": _code_state(),
        "goal": {"customers": args.customers, "p95_ms": GOAL_P95_MS},
        "load_before": _load(),
        "runs": [],
    }
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cxm-bench-online-") as tmp:
        for size in [] if args.skip_sqlite else sizes:
            data_dir = Path(tmp) / f"sqlite-{size}"
            data_dir.mkdir()
            url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
            results["runs"].append(run_worker("sqlite", size, url, data_dir, args))
            for path in data_dir.glob("bench.sqlite3*"):
                path.unlink()
        if args.postgres:
            for size in sizes:
                data_dir = Path(tmp) / f"postgresql-{size}"
                data_dir.mkdir()
                with postgres_server() as url:
                    results["runs"].append(run_worker("postgresql", size, url, data_dir, args))
    results["seconds"] = time.perf_counter() - start
    results["load_after"] = _load()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))


if __name__ == "__main__":
    main()
