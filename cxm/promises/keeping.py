"""Promise-keeping rates with their uncertainty, and who keeps fewer than the rest.

A promise is *settled* once it is kept, broken or renegotiated; the keeping rate
is the share kept, as made, of the settled ones. A renegotiated promise was not
kept as it was made, so it counts against the rate (its new terms are a promise
of their own, counted when they settle). Promises still open are not counted:
their outcome is not known.

Each group's rate comes with its Agresti-Coull interval and its difference from
all the other groups together (Agresti-Caffo), the p-values adjusted for the
number of groups by Holm's method; a group is flagged when it keeps
significantly fewer than the rest. Plain Python, no Django.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cxm.cases.fairness import holm
from cxm.feedback.stats import Difference, Interval, proportion_difference, proportion_interval


@dataclass(frozen=True)
class Tally:
    made: int = 0
    pending: int = 0  # open or at risk
    kept: int = 0
    broken: int = 0
    renegotiated: int = 0
    delivered_late: int = 0  # of the broken: what was promised came after the due date

    @property
    def settled(self) -> int:
        return self.kept + self.broken + self.renegotiated

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.made + other.made,
            self.pending + other.pending,
            self.kept + other.kept,
            self.broken + other.broken,
            self.renegotiated + other.renegotiated,
            self.delivered_late + other.delivered_late,
        )


@dataclass(frozen=True)
class GroupRate:
    name: str
    tally: Tally
    rate: Interval  # in %
    versus_rest: Difference  # percentage points, this group minus the rest
    p_adjusted: float  # Holm; NaN when there is nothing to compare
    below: bool  # keeps significantly fewer than the rest
    # Median days between making a promise and its due date; beside it, how long
    # the company took to deliver that kind of promise (see ``over_promising``).
    promised_days: float | None = None
    delivered_days: float | None = None


def rates(
    tallies: Mapping[str, Tally],
    *,
    alpha: float = 0.05,
    promised_days: Mapping[str, float] | None = None,
    delivered_days: Mapping[str, float] | None = None,
) -> list[GroupRate]:
    """Each group's keeping rate against all the others, lowest rate first."""
    names = list(tallies)
    total = Tally()
    for tally in tallies.values():
        total = total + tally
    comparisons: list[Difference] = []
    for name in names:
        tally = tallies[name]
        rest_kept = total.kept - tally.kept
        rest_settled = total.settled - tally.settled
        comparisons.append(
            proportion_difference(tally.kept, tally.settled, rest_kept, rest_settled)
        )
    testable = [i for i, d in enumerate(comparisons) if not math.isnan(d.p_value)]
    adjusted = dict(zip(testable, holm([comparisons[i].p_value for i in testable]), strict=True))
    out = []
    for index, name in enumerate(names):
        tally = tallies[name]
        p = adjusted.get(index, math.nan)
        difference = comparisons[index]
        out.append(
            GroupRate(
                name=name,
                tally=tally,
                rate=proportion_interval(tally.kept, tally.settled),
                versus_rest=difference,
                p_adjusted=p,
                below=not math.isnan(p) and p < alpha and difference.difference < 0,
                promised_days=(promised_days or {}).get(name),
                delivered_days=(delivered_days or {}).get(name),
            )
        )
    out.sort(key=lambda r: (math.isnan(r.rate.value), r.rate.value, r.name))
    return out


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass(frozen=True)
class OverPromise:
    """A person who promises a kind of thing sooner than the company delivers it."""

    person: str
    kind: str
    promises: int
    promised_days: float  # median, their promises
    delivered_days: float  # median, every delivery of the kind
    kept: Interval  # their keeping rate for the kind, in %


def over_promising(
    promised: Mapping[tuple[str, str], Sequence[float]],
    delivered: Mapping[str, Sequence[float]],
    kept: Mapping[tuple[str, str], tuple[int, int]],
    *,
    minimum: int = 5,
    alpha: float = 0.05,
) -> list[OverPromise]:
    """People whose promises of a kind fall due sooner than the company's median
    delivery of that kind, with at least ``minimum`` such promises, and who keep
    significantly fewer of them than everyone else keeps of that kind (Agresti-Caffo,
    Holm-adjusted over the people compared), worst first.

    Promising sooner than the median is over-promising only when the promises then
    break: someone whose customers happen to be served faster than most, and who
    keeps what they promise, promised what the company could deliver.

    ``promised[(person, kind)]``: days from each promise to its due date;
    ``delivered[kind]``: days from promise to delivery, kept or late;
    ``kept[(person, kind)]``: (kept, settled).
    """
    of_kind: dict[str, list[int]] = {}
    for (_, kind), (successes, settled) in kept.items():
        total = of_kind.setdefault(kind, [0, 0])
        total[0] += successes
        total[1] += settled
    candidates = []
    for (person, kind), days in promised.items():
        typical = median(delivered.get(kind, ()))
        mine = median(days)
        if typical is None or mine is None or len(days) < minimum or mine >= typical:
            continue
        successes, settled = kept.get((person, kind), (0, 0))
        all_kept, all_settled = of_kind.get(kind, [0, 0])
        versus = proportion_difference(
            successes, settled, all_kept - successes, all_settled - settled
        )
        candidates.append((person, kind, len(days), mine, typical, successes, settled, versus))
    testable = [i for i, c in enumerate(candidates) if not math.isnan(c[-1].p_value)]
    adjusted = dict(zip(testable, holm([candidates[i][-1].p_value for i in testable]), strict=True))
    found = [
        OverPromise(person, kind, n, mine, typical, proportion_interval(successes, settled))
        for index, (person, kind, n, mine, typical, successes, settled, versus) in enumerate(
            candidates
        )
        if adjusted.get(index, math.nan) < alpha and versus.difference < 0
    ]
    found.sort(key=lambda o: (o.promised_days / o.delivered_days, -o.promises))
    return found
