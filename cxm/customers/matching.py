"""Probabilistic record linkage in the Fellegi-Sunter form, for weak identifiers.

Strong identifiers (email, phone, CRM id, handle) resolve exactly at ingest.
Names, dates of birth, places and partial identifiers are weaker: two records
agreeing on them are only *likely* the same person. This module scores a pair
of records the way Fellegi and Sunter (1969) proposed and Splink popularised:

- each comparison (first name, surname, date of birth, …) puts the pair in one
  of a few levels (exact, close, different) or says nothing when a value is
  missing;
- each level has an m probability (of that level among true matches) and a u
  probability (among non-matches); the pair's match weight is
  ``log2(λ/(1-λ)) + Σ log2(m/u)`` and its match probability ``2^w / (1 + 2^w)``;
- an exact agreement on a value is worth more when the value is rare: with term
  frequency adjustment the u of the exact level is the value's own frequency;
- u is estimated from random pairs (almost all non-matches), m and λ by
  expectation maximisation over the candidate pairs that blocking produces, so
  the model learns from the deployment's own data without labels;
- blocking keys make cost grow with the number of records, not its square.

Plain Python and rapidfuzz, no Django: usable from notebooks and benchmarks.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import random
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from nicknames import NickNamer
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

Record = Mapping[str, str | None]
Pair = tuple[int, int]
Gamma = tuple[int | None, ...]  # the level of each comparison; None: no evidence


def clean_text(value: str | None) -> str | None:
    """Case-folded, accents removed, punctuation to spaces, spaces collapsed; '' is None."""
    if value is None:
        return None
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = "".join(c if c.isalnum() else " " for c in plain).split()
    return " ".join(words) or None


# ---------------------------------------------------------------------------
# Comparisons
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """How one field of two records compares, as a level index (0 = strongest)."""

    name: str
    column: str
    levels: tuple[str, ...]  # descriptions; the last is "anything else"
    level_of: Callable[[str, str], int]  # both values present
    term_frequency: bool = False  # adjust the exact level (0) by the value's frequency
    # A comparison of several fields: the level from both whole records, and
    # the fields beside ``column`` that it reads.
    records_level: Callable[[Record, Record], int | None] | None = None
    also: tuple[str, ...] = ()

    def level(self, a: Record, b: Record) -> int | None:
        if self.records_level is not None:
            return self.records_level(a, b)
        left, right = a.get(self.column), b.get(self.column)
        if not left or not right:
            return None
        return self.level_of(left, right)

    def shown(self, record: Record) -> str:
        """The record's values of this comparison's fields, as a person reads them."""
        return ", ".join(v for c in (self.column, *self.also) if (v := record.get(c)))


def name_comparison(
    name: str,
    column: str,
    *,
    term_frequency: bool = True,
    aliases: Callable[[str, str], bool] | None = None,
) -> Comparison:
    """Exact, a known alias (a nickname: Bob for Robert) when ``aliases`` is
    given, a typo (Jaro-Winkler ≥ 0.92), a likely typo (≥ 0.80), different."""
    alias_levels = 1 if aliases is not None else 0

    def level_of(left: str, right: str) -> int:
        if left == right:
            return 0
        if aliases is not None and aliases(left, right):
            return 1
        similarity = JaroWinkler.similarity(left, right)
        if similarity >= 0.92:
            return 1 + alias_levels
        if similarity >= 0.80:
            return 2 + alias_levels
        return 3 + alias_levels

    return Comparison(
        name,
        column,
        (
            "exact",
            *(("nickname",) if aliases is not None else ()),
            "Jaro-Winkler ≥ 0.92",
            "Jaro-Winkler ≥ 0.80",
            "different",
        ),
        level_of,
        term_frequency,
    )


@functools.lru_cache(maxsize=65_536)
def _name_family(name: str) -> frozenset[str]:
    """The name and every name it is a nickname of."""
    return frozenset({name} | _NICKNAMES.canonicals_of(name))


_NICKNAMES = NickNamer()


def is_nickname(left: str, right: str) -> bool:
    """One first name is a known nickname of the other (Bob, Robert), or both
    are nicknames of one name (Bob, Rob), by the hand-curated English list of
    the nicknames package."""
    return not _name_family(left).isdisjoint(_name_family(right))


def names_aligned(
    a: Record, b: Record, first: str, last: str, *, threshold: float = 0.92
) -> tuple[Record, Record, str]:
    """The two records with their names lined up, and a note saying how.

    A first name and surname the other way round (Johnston Rosie, Rosie
    Johnston) are swapped back when they agree crosswise better than as given;
    a single name, which is kept as a surname, is compared as a first name
    when it is one of the other record's first name (Olivia, Olivia Davies).
    """
    similarity = JaroWinkler.similarity
    a_first, a_last, b_first, b_last = a.get(first), a.get(last), b.get(first), b.get(last)
    if a_first and a_last and b_first and b_last:
        straight = similarity(a_first, b_first) + similarity(a_last, b_last)
        crossed = similarity(a_first, b_last) + similarity(a_last, b_first)
        if crossed >= 2 * threshold and crossed > straight:
            return a, {**b, first: b_last, last: b_first}, "first name and surname swapped"
        return a, b, ""
    if a_first and a_last and b_last and not b_first:
        if similarity(b_last, a_first) >= threshold and similarity(b_last, a_first) > similarity(
            b_last, a_last
        ):
            return a, {**b, first: b_last, last: None}, "a single name, taken as a first name"
        return a, b, ""
    if b_first and b_last and a_last and not a_first:
        aligned_b, aligned_a, note = names_aligned(b, a, first, last, threshold=threshold)
        return aligned_a, aligned_b, note
    return a, b, ""


def date_comparison(name: str, column: str) -> Comparison:
    """ISO dates: exact, one typo (a swapped or wrong digit), same year, different."""

    def level_of(left: str, right: str) -> int:
        if left == right:
            return 0
        if DamerauLevenshtein.distance(left, right) <= 1:
            return 1
        if left[:4] == right[:4]:
            return 2
        return 3

    return Comparison(name, column, ("exact", "one typo", "same year", "different"), level_of)


def exact_comparison(name: str, column: str, *, term_frequency: bool = True) -> Comparison:
    return Comparison(
        name, column, ("exact", "different"), lambda a, b: 0 if a == b else 1, term_frequency
    )


def place_comparison(name: str, postcode: str, city: str) -> Comparison:
    """Postcode and city as one comparison: both the same, the same postcode,
    the same city, different. Two comparisons would count one agreement twice,
    because a postcode names its city and Fellegi-Sunter takes comparisons as
    independent; one comparison learns what the two agreeing together is worth."""

    def records_level(a: Record, b: Record) -> int | None:
        a_code, b_code = a.get(postcode), b.get(postcode)
        a_city, b_city = a.get(city), b.get(city)
        same_code = bool(a_code and b_code and a_code == b_code)
        same_city = bool(a_city and b_city and a_city == b_city)
        if same_code:
            return 0 if same_city else 1
        if same_city:
            return 2
        if (a_code and b_code) or (a_city and b_city):
            return 3
        return None

    return Comparison(
        name,
        postcode,
        ("same postcode and city", "same postcode", "same city", "different"),
        lambda left, right: 0 if left == right else 3,
        term_frequency=True,
        records_level=records_level,
        also=(city,),
    )


def local_part_typo(left: str, right: str) -> bool:
    """Two email local parts one keystroke apart (a wrong, missing, extra or
    swapped character), but not two numbered accounts (jack.lee, jack.lee2):
    a name-like similarity would count the first name a second time, since
    people's addresses are made of their names."""
    if DamerauLevenshtein.distance(left, right) != 1:
        return False
    letters = [("".join(c for c in side if not c.isdigit())) for side in (left, right)]
    return letters[0] != letters[1]


def email_comparison(name: str, column: str) -> Comparison:
    """Whole address, the same local part at another domain, a local part one
    typo away, different."""

    def level_of(left: str, right: str) -> int:
        if left == right:
            return 0
        left_local, right_local = left.split("@", 1)[0], right.split("@", 1)[0]
        if left_local == right_local:
            return 1
        if local_part_typo(left_local, right_local):
            return 2
        return 3

    return Comparison(
        name,
        column,
        ("exact", "same local part", "local part one typo away", "different"),
        level_of,
    )


def local_part_comparison(name: str, column: str) -> Comparison:
    """Email local parts alone: the same, one typo away, different."""
    return Comparison(
        name,
        column,
        ("exact", "one typo away", "different"),
        lambda left, right: 0 if left == right else 1 if local_part_typo(left, right) else 2,
    )


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    comparison: str
    level: str
    bayes_factor: float

    @property
    def weight(self) -> float:
        return math.log2(self.bayes_factor)


@dataclass(frozen=True)
class Score:
    weight: float
    probability: float
    contributions: tuple[Contribution, ...]


def probability_from_weight(weight: float) -> float:
    if weight > 60:
        return 1.0
    odds = 2.0**weight
    return odds / (1.0 + odds)


def weight_from_probability(probability: float) -> float:
    return math.log2(probability / (1.0 - probability))


@dataclass
class Model:
    comparisons: list[Comparison]
    prior: float = 1e-4  # λ: the probability that two records picked at random match
    m: dict[str, list[float]] = field(default_factory=dict)
    u: dict[str, list[float]] = field(default_factory=dict)
    # column -> value -> its share of all non-empty values (for term frequency adjustment)
    frequencies: dict[str, dict[str, float]] = field(default_factory=dict)
    # (first name column, surname column): line names up before comparing them
    # (see ``names_aligned``).
    names: tuple[str, str] | None = None

    def aligned(self, a: Record, b: Record) -> tuple[Record, Record, str]:
        if self.names is None:
            return a, b, ""
        return names_aligned(a, b, *self.names)

    def gamma(self, a: Record, b: Record) -> Gamma:
        a, b, _ = self.aligned(a, b)
        return tuple(c.level(a, b) for c in self.comparisons)

    def score(self, a: Record, b: Record) -> Score:
        a, b, note = self.aligned(a, b)
        score = self.score_gamma(tuple(c.level(a, b) for c in self.comparisons), a)
        if not note or self.names is None:
            return score
        noted = tuple(
            dataclasses.replace(c, level=f"{c.level} ({note})")
            if self._column_of(c.comparison) in self.names
            else c
            for c in score.contributions
        )
        return dataclasses.replace(score, contributions=noted)

    def _column_of(self, comparison: str) -> str:
        return next(c.column for c in self.comparisons if c.name == comparison)

    def score_gamma(self, gamma: Gamma, a: Record | None = None) -> Score:
        weight = weight_from_probability(self.prior)
        contributions = []
        for comparison, level in zip(self.comparisons, gamma, strict=True):
            if level is None:
                continue
            m = self.m[comparison.name][level]
            u = self.u[comparison.name][level]
            if comparison.term_frequency and level == 0 and a is not None:
                value = a.get(comparison.column)
                frequency = self.frequencies.get(comparison.column, {}).get(value or "")
                if frequency:
                    u = frequency
            factor = m / u
            weight += math.log2(factor)
            contributions.append(Contribution(comparison.name, comparison.levels[level], factor))
        return Score(weight, probability_from_weight(weight), tuple(contributions))


# ---------------------------------------------------------------------------
# Blocking
# ---------------------------------------------------------------------------

BlockingKey = Callable[[Record], str | None]


def column_key(column: str, length: int | None = None) -> BlockingKey:
    def key(record: Record) -> str | None:
        value = record.get(column)
        if not value:
            return None
        return value[:length] if length else value

    return key


def compound_key(*keys: BlockingKey) -> BlockingKey:
    def key(record: Record) -> str | None:
        parts = [k(record) for k in keys]
        return None if any(p is None for p in parts) else "|".join(p for p in parts if p)

    return key


def candidate_pairs(
    records: Sequence[Record],
    keys: Sequence[BlockingKey],
    *,
    max_block: int = 200,
    groups: Sequence[object] | None = None,
) -> set[Pair]:
    """Pairs (i < j) of records that share a value of any blocking key.

    A block larger than ``max_block`` is skipped: a key that common (a placeholder,
    the most frequent surname) says little and would make the cost quadratic.

    With ``groups`` (one label per record, e.g. the file it came from) only pairs
    of records from different groups are candidates: linking files, each of
    which is taken to have no duplicates of its own.
    """
    pairs: set[Pair] = set()
    for key in keys:
        blocks: dict[str, list[int]] = defaultdict(list)
        for index, record in enumerate(records):
            value = key(record)
            if value:
                blocks[value].append(index)
        for members in blocks.values():
            if 1 < len(members) <= max_block:
                if groups is None:
                    pairs.update(combinations(members, 2))
                else:
                    pairs.update(
                        (i, j) for i, j in combinations(members, 2) if groups[i] != groups[j]
                    )
    return pairs


def pair_count(n: int, groups: Sequence[object] | None = None) -> int:
    """All pairs of ``n`` records that could match: n(n-1)/2, or only across groups."""
    if groups is None:
        return n * (n - 1) // 2
    sizes = Counter(groups).values()
    return (n * n - sum(size * size for size in sizes)) // 2


# ---------------------------------------------------------------------------
# Estimation: u from random pairs, m and λ by expectation maximisation
# ---------------------------------------------------------------------------


def term_frequencies(
    records: Iterable[Record], columns: Iterable[str]
) -> dict[str, dict[str, float]]:
    result = {}
    rows = list(records)
    for column in columns:
        counts = Counter(r.get(column) for r in rows if r.get(column))
        total = sum(counts.values())
        result[column] = {str(v): n / total for v, n in counts.items()} if total else {}
    return result


def _level_shares(
    gammas: Iterable[tuple[Gamma, float]],
    comparisons: Sequence[Comparison],
    floor: float,
    prior_counts: Mapping[str, Sequence[float]] | None = None,
) -> dict[str, list[float]]:
    totals = [
        list(prior_counts[c.name]) if prior_counts else [0.0] * len(c.levels) for c in comparisons
    ]
    for gamma, weight in gammas:
        for index, level in enumerate(gamma):
            if level is not None:
                totals[index][level] += weight
    shares = {}
    for comparison, counts in zip(comparisons, totals, strict=True):
        total = sum(counts)
        raw = [count / total if total else 1.0 / len(counts) for count in counts]
        # No level may have probability 0: one unseen level would make a weight infinite.
        raw = [max(share, floor) for share in raw]
        norm = sum(raw)
        shares[comparison.name] = [share / norm for share in raw]
    return shares


def estimate_u(
    model: Model,
    records: Sequence[Record],
    *,
    pairs: int = 100_000,
    seed: int = 0,
    floor: float = 1e-6,
    groups: Sequence[object] | None = None,
) -> None:
    """u: the level shares among random pairs, nearly all of them non-matches.

    With ``groups`` the pairs are drawn uniformly among those across groups.
    """
    rng = random.Random(seed)
    n = len(records)
    counts: Counter[Gamma] = Counter()
    if groups is None:
        for _ in range(pairs):
            i, j = rng.randrange(n), rng.randrange(n)
            if i != j:
                counts[model.gamma(records[i], records[j])] += 1
    else:
        members: dict[object, list[int]] = defaultdict(list)
        for index, group in enumerate(groups):
            members[group].append(index)
        # A pair of groups as often as it has pairs of records, then one record of each.
        crossings = list(combinations(members.values(), 2))
        if crossings:
            weights = [len(left) * len(right) for left, right in crossings]
            for left, right in rng.choices(crossings, weights, k=pairs):
                i, j = rng.choice(left), rng.choice(right)
                counts[model.gamma(records[i], records[j])] += 1
    model.u = _level_shares(counts.items(), model.comparisons, floor)


def estimate_m_em(
    model: Model,
    gammas: Counter[Gamma],
    *,
    total_pairs: int,
    iterations: int = 50,
    tolerance: float = 1e-6,
    floor: float = 1e-6,
    prior_strength: float = 0.0,
    fixed_prior: float | None = None,
) -> int:
    """m and λ by expectation maximisation over the candidate pairs' patterns.

    ``gammas`` counts each comparison pattern among the blocked pairs; u stays as
    estimated from random pairs (as Splink does), which anchors the model.
    λ among all ``total_pairs`` record pairs follows from the expected number
    of matches among the blocked ones. Returns the iterations run.

    With ``prior_strength`` > 0 the m of each comparison starts from a
    customary value and keeps that many pseudo-matches behind it (a Dirichlet
    prior, so the estimate is the posterior mode): a customer base with few
    duplicates cannot teach EM that its rare matches look like its many
    namesakes; a large one outweighs the prior.

    With ``fixed_prior`` (λ among all pairs, e.g. from ``estimate_prior``) only
    m is estimated: EM cannot then decide that a large family of look-alike
    pairs is the matches it is looking for.
    """
    if not model.m:
        # Start: agreement likely among matches.
        model.m = {c.name: _start_m(len(c.levels)) for c in model.comparisons}
    prior_counts = (
        {
            c.name: [prior_strength * share for share in _start_m(len(c.levels))]
            for c in model.comparisons
        }
        if prior_strength > 0
        else None
    )
    blocked = sum(gammas.values())
    if blocked == 0:
        # Nothing to learn from: the customary m, and λ as given or the model's.
        if fixed_prior is not None:
            model.prior = fixed_prior
        return 0
    # λ among the blocked pairs.
    share = 0.1 if fixed_prior is None else min(fixed_prior * total_pairs / blocked, 1 - 1e-9)
    iteration = 0
    while iteration < iterations:
        iteration += 1
        expected: list[tuple[Gamma, float]] = []
        matches = 0.0
        for gamma, count in gammas.items():
            weight = weight_from_probability(share)
            for comparison, level in zip(model.comparisons, gamma, strict=True):
                if level is not None:
                    weight += math.log2(
                        model.m[comparison.name][level] / model.u[comparison.name][level]
                    )
            p = probability_from_weight(weight)
            expected.append((gamma, p * count))
            matches += p * count
        new_m = _level_shares(expected, model.comparisons, floor, prior_counts)
        new_share = (
            share if fixed_prior is not None else min(max(matches / blocked, 1e-9), 1 - 1e-9)
        )
        change = max(
            abs(a - b) for name in new_m for a, b in zip(new_m[name], model.m[name], strict=True)
        )
        model.m, share = new_m, new_share
        if change < tolerance:
            break
    model.prior = (
        fixed_prior
        if fixed_prior is not None
        else min(max(share * blocked / total_pairs, 1e-12), 0.5)
    )
    return iteration


def estimate_prior(
    records: Sequence[Record],
    rules: Sequence[BlockingKey],
    *,
    recall: float = 0.7,
    groups: Sequence[object] | None = None,
) -> float:
    """λ from pairs that agree on a near-certain combination of fields.

    As Splink does: the pairs that a strict rule joins are taken as matches, and
    ``recall`` says what share of all true matches such rules find. With
    ``groups`` both count only pairs across groups.
    """
    total = max(1, pair_count(len(records), groups))
    found = len(candidate_pairs(records, rules, max_block=10_000, groups=groups))
    return min(max(found / recall, 1.0) / total, 0.5)


def _start_m(levels: int) -> list[float]:
    """Customary m: most true matches agree exactly, few disagree outright."""
    if levels == 2:
        return [0.9, 0.1]
    middle = 0.15 / (levels - 2)
    return [0.8] + [middle] * (levels - 2) + [0.05]


def train(
    comparisons: list[Comparison],
    records: Sequence[Record],
    keys: Sequence[BlockingKey],
    *,
    u_pairs: int = 100_000,
    seed: int = 0,
    max_block: int = 200,
    prior_strength: float = 0.0,
    prior_rules: Sequence[BlockingKey] = (),
    prior_recall: float = 0.7,
    groups: Sequence[object] | None = None,
    names: tuple[str, str] | None = None,
) -> tuple[Model, set[Pair]]:
    """A model fitted to ``records`` without labels, and the candidate pairs it used.

    With ``groups`` (one label per record) it links records across groups only;
    with ``names`` (first name and surname columns) it lines names up first.
    """
    model = Model(comparisons, names=names)
    model.frequencies = term_frequencies(
        records, [c.column for c in comparisons if c.term_frequency]
    )
    estimate_u(model, records, pairs=u_pairs, seed=seed, groups=groups)
    pairs = candidate_pairs(records, keys, max_block=max_block, groups=groups)
    gammas = Counter(model.gamma(records[i], records[j]) for i, j in pairs)
    fixed = (
        estimate_prior(records, prior_rules, recall=prior_recall, groups=groups)
        if prior_rules
        else None
    )
    estimate_m_em(
        model,
        gammas,
        total_pairs=max(1, pair_count(len(records), groups)),
        prior_strength=prior_strength,
        fixed_prior=fixed,
    )
    return model, pairs


# ---------------------------------------------------------------------------
# Decisions and clusters
# ---------------------------------------------------------------------------


def clusters(n: int, links: Iterable[Pair]) -> list[int]:
    """Connected components: the cluster id (smallest member) of each record."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in links:
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return [root(i) for i in range(n)]


def pairwise_scores(
    predicted: Sequence[object], truth: Sequence[object]
) -> tuple[float, float, float]:
    """Precision, recall and F1 of the pairs that ``predicted`` clusters together."""

    def same_pairs(labels: Sequence[object]) -> set[Pair]:
        groups: dict[object, list[int]] = defaultdict(list)
        for index, label in enumerate(labels):
            groups[label].append(index)
        return {p for members in groups.values() for p in combinations(members, 2)}

    found, true = same_pairs(predicted), same_pairs(truth)
    hits = len(found & true)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
