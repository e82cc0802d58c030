"""Customer health backtest: how well the health score, as it stood 90 days ago,
ranks the demo's customers who left since; with the promise-keeping figures and
time to value on the same data.

    .venv/bin/python bench/health.py [--customers 2000] [--interactions 50000]
        [--seed 42] [--cutoff-days 90] [--data-dir DIR] [--json PATH]

Data: Northvale Telecom, the demo company (``cxm demo``), loaded into a
throw-away SQLite database in a temp dir through the demo's own loader (the
ingestion service, the order system's and CRM's imports, routing, the sweeps).
With ``--data-dir DIR`` it uses the CXM data directory DIR instead (loading the
demo there if it is not loaded yet: a loaded demo is left as it is); with
DATABASE_URL set, the database it names. The demo's "now" is the moment of its
latest interaction.

The method:

- the cutoff T is ``--cutoff-days`` (90) before the demo's now;
- the customers scored are those who were customers at T: a current stage at T
  (sale, onboarding, adoption, steady service, renewal or won back), neither a
  prospect nor churned, and not merged into another since;
- each one's health as of T is ``health.score(health_facts(customer_ids,
  as_of=T), weights)``: only what CXM knew at T (promises made by T and how they
  stood then, onboarding by T, the sentiment and contacts before T, cases open
  at T, the survey answers of the year before T);
- a customer is a churner when they entered the churned stage in (T, now];
- the health score's AUC is that of its risk, 100 - health, for churn (the
  chance a churner scored worse than a stayer, ties half), with DeLong's 95%
  interval (``health.auc_interval``); beside it the naive baseline, recency:
  days since the customer's last contact before T (the longer quiet, the
  riskier), with its interval, and DeLong's paired test of the two
  (``health.auc_compare``). Its reverse too (the more recent the contact, the
  riskier: an AUC of 1 - recency's), a baseline chosen after seeing that
  churners had been in touch lately, with its paired test, so that the score is
  not flattered by a baseline that points the wrong way. Each component alone:
  the AUC of 1 - its score among the customers for whom it had something to go
  on (a component with nothing is left out of a customer's score). The churn
  share by tier.

Then, on the same data: the keeping rates of the promises due in the demo's
180 days (``keeping_report``, by person, by kind and by team: Agresti-Coull
intervals, each group against the rest with Holm's adjustment, the ones
flagged below the rest, and who promises sooner than the company delivers),
the churn share of the buyers with and without a broken promise
(``journey_report``), and time to first value by customer kind and by product
(``time_to_value_report``, Kaplan-Meier, those still waiting counted).

The demo's churn was planted (``cxm.demo.journey_plan``): each customer's
chance of leaving on a day rises after a broken promise, while onboarding is
late and after unhappy contact. The backtest therefore checks that the score,
computed by CXM from the stored history, recovers drivers that are known to be
there; it says nothing about how well it predicts a real company's churn. Not a
test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

CUSTOMER_STAGES = ("sale", "onboarding", "adoption", "steady", "renewal", "won_back")
CHUNK = 500


def _setup(data_dir: Path | None) -> None:
    if data_dir is not None:
        os.environ["CXM_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxm.settings")
    import django

    django.setup()


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load(args: argparse.Namespace) -> dict[str, Any]:
    """Migrate, and load the demo unless one is there already."""
    from django.core.management import call_command
    from django.utils import timezone

    from cxm.demo import services
    from cxm.interactions.models import Interaction

    call_command("migrate", interactive=False, verbosity=0)
    if Interaction.objects.exists():
        _log("a demo is loaded already: used as it is")
        return {"loaded": False, "now": _demo_now()}
    _log(f"loading the demo: {args.customers:,} customers, {args.interactions:,} interactions")
    started = time.perf_counter()
    now = timezone.now()
    loaded = services.demo_load(
        seed=args.seed, customers=args.customers, interactions=args.interactions, now=now
    )
    seconds = time.perf_counter() - started
    rejected = len(loaded.result.rejected)
    if loaded.journeys is not None:
        rejected += len(loaded.journeys.prepared.rejected)
    if rejected:
        raise SystemExit(f"{rejected} demo lines were rejected: a bug in the demo")
    return {"loaded": True, "load_seconds": round(seconds, 1), "now": now}


def _demo_now() -> datetime:
    """A loaded demo's now, near enough: the moment of its latest interaction."""
    from django.db.models import Max

    from cxm.interactions.models import Interaction

    latest = Interaction.objects.aggregate(latest=Max("occurred_at"))["latest"]
    if latest is None:
        raise SystemExit("no interactions: load the demo first")
    return latest


def _stage_at(customer_ids: Sequence[int], moment: datetime) -> dict[int, str]:
    from django.db.models import Q

    from cxm.journeys.models import StageVisit

    stages = {}
    for customer_id, stage in (
        StageVisit.objects.filter(customer_id__in=list(customer_ids), entered_at__lte=moment)
        .filter(Q(left_at__isnull=True) | Q(left_at__gt=moment))
        .values_list("customer_id", "stage")
    ):
        stages[customer_id] = stage
    return stages


def backtest(now: datetime, cutoff_days: int) -> dict[str, Any]:
    from cxm.customers import selectors as customer_selectors
    from cxm.customers.models import Customer
    from cxm.interactions.models import Interaction
    from cxm.journeys import health
    from cxm.journeys import selectors as journey_selectors
    from cxm.journeys.models import StageVisit

    cutoff = now - timedelta(days=cutoff_days)
    roots = list(
        Customer.objects.filter(merged_into__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    stage = _stage_at(roots, cutoff)
    scored = [pk for pk in roots if stage.get(pk) in CUSTOMER_STAGES]
    churned = set(
        StageVisit.objects.filter(
            customer_id__in=scored, stage="churned", entered_at__gt=cutoff, entered_at__lte=now
        ).values_list("customer_id", flat=True)
    )
    weights = journey_selectors.health_weights()
    scores: dict[int, health.Health] = {}
    for start in range(0, len(scored), CHUNK):
        ids = scored[start : start + CHUNK]
        facts = journey_selectors.health_facts(customer_ids=ids, as_of=cutoff)
        scores.update({pk: health.score(facts[pk], weights) for pk in ids})
    # Recency: days since the last contact before the cutoff (an interaction that is
    # not a system's notice or record), merged rows included.
    owner = {pk: pk for pk in scored}
    owner.update(customer_selectors.customers_absorbed(root_ids=scored))
    last: dict[int, datetime] = {}
    for customer_id, at in Interaction.objects.filter(
        customer_id__in=list(owner), occurred_at__lt=cutoff, automated=False
    ).values_list("customer_id", "occurred_at"):
        root = owner[customer_id]
        if root not in last or last[root] < at:
            last[root] = at
    customers = [pk for pk in scored if scores[pk].score is not None and pk in last]
    outcome = [pk in churned for pk in customers]
    risk = [100 - (scores[pk].score or 0.0) for pk in customers]
    quiet = [(cutoff - last[pk]).total_seconds() / 86_400 for pk in customers]

    def interval(values: Sequence[float], flags: Sequence[bool]) -> dict[str, Any]:
        if sum(flags) == 0 or all(flags):
            return {"auc": None, "n": len(flags), "churners": sum(flags)}
        found = health.auc_interval(values, flags)
        return {
            "auc": found.auc,
            "se": found.se,
            "low": found.low,
            "high": found.high,
            "n": len(flags),
            "churners": found.positives,
        }

    components = {}
    for name in health.COMPONENT_NAMES:
        values, flags = [], []
        for pk, flag in zip(customers, outcome, strict=True):
            part = next(p for p in scores[pk].parts if p.component == name)
            if part.score is not None:
                values.append(1 - part.score)
                flags.append(flag)
        components[name] = interval(values, flags)

    def paired(other: Sequence[float]) -> dict[str, float]:
        found = health.auc_compare(risk, other, outcome)
        return {
            "difference": found.difference,
            "se": found.se,
            "low": found.low,
            "high": found.high,
            "p_value": found.p_value,
        }

    recent = [-days for days in quiet]
    tiers: dict[str, Counter[bool]] = {}
    for pk, flag in zip(customers, outcome, strict=True):
        tiers.setdefault(scores[pk].tier, Counter())[flag] += 1
    return {
        "now": now.isoformat(),
        "cutoff": cutoff.isoformat(),
        "customers_at_cutoff": len(scored),
        "scored": len(customers),
        "churners": sum(outcome),
        "stages_at_cutoff": dict(Counter(stage[pk] for pk in scored)),
        "weights": weights,
        "health": interval(risk, outcome),
        "recency": interval(quiet, outcome),
        "recent_contact": interval(recent, outcome),
        "health_minus_recency": paired(quiet),
        "health_minus_recent_contact": paired(recent),
        "components": components,
        "tiers": {
            tier: {"customers": sum(c.values()), "churners": c[True]}
            for tier, c in sorted(tiers.items())
        },
    }


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def promises_and_value(now: datetime) -> dict[str, Any]:
    from django.db.models import Count

    from cxm.journeys import selectors as journey_selectors
    from cxm.journeys.models import Purchase, StageVisit
    from cxm.promises import selectors as promise_selectors
    from cxm.promises.models import Promise

    since = now - timedelta(days=180)
    until = now + timedelta(seconds=1)
    keeping = {
        by: promise_selectors.keeping_report(actor=None, since=since, until=until, by=by)
        for by in ("person", "kind", "team")
    }
    journey = journey_selectors.journey_report(actor=None, since=since, until=until, now=now)
    value = {
        by: journey_selectors.time_to_value_report(
            actor=None, since=since, until=until, now=now, by=by
        )
        for by in ("kind", "product")
    }
    demo = {
        "sales": Purchase.objects.count(),
        "promises": dict(
            Promise.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
        ),
        "promises_by_kind": {
            f"{kind} {status}": n
            for kind, status, n in Promise.objects.values_list("kind", "status")
            .annotate(n=Count("pk"))
            .order_by("kind", "status")
        },
        "churned": StageVisit.objects.filter(stage="churned").count(),
        "stages_now": dict(
            StageVisit.objects.filter(left_at__isnull=True, customer__merged_into__isnull=True)
            .values_list("stage")
            .annotate(n=Count("pk"))
            .order_by("stage")
        ),
    }
    return {
        "since": since.isoformat(),
        "until": now.isoformat(),
        "demo": demo,
        "keeping": {by: _plain(report) for by, report in keeping.items()},
        "outcomes": _plain(journey.outcomes),
        "time_to_value": {by: _plain(groups) for by, groups in value.items()},
    }


def _auc(figure: dict[str, Any]) -> str:
    if figure.get("auc") is None:
        return f"{'-':>6} {'':>15}"
    return f"{figure['auc']:>6.3f} [{figure['low']:.3f}, {figure['high']:.3f}]"


def _pct(interval: dict[str, Any]) -> str:
    if interval["value"] is None:
        return f"{'-':>24}"
    return f"{interval['value']:5.1f}% [{interval['low']:5.1f}, {interval['high']:5.1f}]"


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def report(results: dict[str, Any]) -> str:
    b = results["backtest"]
    lines = [
        f"Demo now {b['now'][:16]}; cutoff T {b['cutoff'][:16]} ({results['cutoff_days']} days "
        "before).",
        f"Customers at T: {b['customers_at_cutoff']:,} (scored {b['scored']:,}); churned in "
        f"(T, now]: {b['churners']:,} ({b['churners'] / max(b['scored'], 1):.1%}).",
        "",
        f"{'score (risk of churn)':<34}{'n':>6}{'churn':>7}{'AUC':>7} {'95% CI (DeLong)':>16}",
    ]
    rows = [
        ("health: 100 - score", b["health"]),
        ("recency: days since last contact", b["recency"]),
        ("  the reverse: recent contact", b["recent_contact"]),
    ] + [(f"  component: {name}", figure) for name, figure in b["components"].items()]
    for label, figure in rows:
        lines.append(f"{label:<34}{figure['n']:>6,}{figure['churners']:>7,}{_auc(figure)}")
    lines += [""]
    for label, key in (
        ("recency", "health_minus_recency"),
        ("recent contact", "health_minus_recent_contact"),
    ):
        d = b[key]
        lines.append(
            f"Health minus {label} (DeLong, paired): {d['difference']:+.3f} "
            f"[{d['low']:+.3f}, {d['high']:+.3f}], p = {d['p_value']:.2g}"
        )
    lines += [
        "Churn by tier at T: "
        + ", ".join(
            f"{tier} {t['churners']}/{t['customers']} ({t['churners'] / t['customers']:.1%})"
            for tier, t in b["tiers"].items()
        ),
    ]
    p = results["promises"]
    demo = p["demo"]
    lines += [
        "",
        f"Demo: {demo['sales']} sales; promises {demo['promises']}; {demo['churned']} churned; "
        f"stages now {demo['stages_now']}",
    ]
    for by in ("person", "kind", "team"):
        keeping = p["keeping"][by]
        overall = keeping["overall"]
        lines += [
            "",
            f"Promise keeping by {by}, promises due {p['since'][:10]} to {p['until'][:10]}"
            + (
                f" (all: {_pct(overall['rate']).strip()}, n={overall['rate']['n']})"
                if overall
                else ""
            ),
            f"{by:<22}{'made':>6}{'kept':>6}{'broken':>7}{'reneg':>6}{'pend':>6}"
            f"{'kept %':>26}{'vs rest':>9}{'p (Holm)':>10}  flag",
        ]
        for group in keeping["groups"]:
            t = group["tally"]
            diff = group["versus_rest"]["difference"]
            versus = "" if diff is None else f"{diff:+.1f}"
            adjusted = "" if group["p_adjusted"] is None else f"{group['p_adjusted']:.2g}"
            lines.append(
                f"{group['name'][:22]:<22}{t['made']:>6}{t['kept']:>6}{t['broken']:>7}"
                f"{t['renegotiated']:>6}{t['pending']:>6}  {_pct(group['rate'])}"
                f"{versus:>9}{adjusted:>10}  {'below the rest' if group['below'] else ''}"
            )
        if by == "person":
            lines.append("Over-promising (promised sooner than the company's median delivery):")
            for over in keeping["over_promising"] or [{"person": None}]:
                if over["person"] is None:
                    lines.append("  nobody")
                    continue
                lines.append(
                    f"  {over['person']}: {over['promises']} {over['kind']} promises due in "
                    f"{over['promised_days']:.1f} days (median) against "
                    f"{over['delivered_days']:.1f} to deliver; kept {_pct(over['kept']).strip()}"
                )
    lines += ["", "Churn of the buyers of the period (journey report):"]
    for outcome in p["outcomes"]:
        lines.append(
            f"  with {outcome['label']}: {_pct(outcome['with_it']).strip()} "
            f"(n={outcome['with_it']['n']}); without: {_pct(outcome['without_it']).strip()} "
            f"(n={outcome['without_it']['n']}); p = {outcome['difference']['p_value']:.2g}"
        )
    for by in ("kind", "product"):
        lines += [
            "",
            f"Time to first value by {by} (Kaplan-Meier, days from the sale)",
            f"{by:<44}{'n':>5}{'reached':>8}{'median':>8} {'95% CI':>14}{'target':>7}"
            f"{'waiting@30':>11}{'@60':>6}{'@90':>6}",
        ]
        for group in p["time_to_value"][by]:
            f = group["figures"]
            waiting = f["waiting_after"]
            lines.append(
                f"{group['name'][:44]:<44}{f['n']:>5}{f['reached']:>8}{_days(f['median']):>8} "
                f"{'[' + _days(f['low']) + ', ' + _days(f['high']) + ']':>14}"
                f"{_days(group['target_days']):>7}{_share(waiting['30']):>11}"
                f"{_share(waiting['60']):>6}{_share(waiting['90']):>6}"
            )
    return "\n".join(lines)


def _share(value: float | None) -> str:
    """A share still waiting; "-" where too few customers were followed that long."""
    return "-" if value is None else f"{value:.0%}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--interactions", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cutoff-days", type=int, default=90)
    parser.add_argument(
        "--data-dir", type=Path, help="a CXM data directory to use (default: a temp dir)"
    )
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cxm-bench-health-") as temp:
        data_dir = args.data_dir
        if data_dir is None and not os.environ.get("DATABASE_URL"):
            data_dir = Path(temp)
        _setup(data_dir)
        results: dict[str, Any] = {
            "customers": args.customers,
            "interactions": args.interactions,
            "seed": args.seed,
            "cutoff_days": args.cutoff_days,
        }
        results["load"] = load(args)
        now = results["load"]["now"]
        _log("backtest")
        results["backtest"] = backtest(now, args.cutoff_days)
        _log("keeping rates and time to value")
        results["promises"] = promises_and_value(now)
    results = _plain(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
