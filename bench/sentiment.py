"""Sentiment benchmark: CXM's adapted VADER, and its learned correction, beside plain VADER.

    .venv/bin/python bench/sentiment.py [--corpus NAME] [--data DIR] [--json PATH]

Data: the four ground-truth corpora of Hutto and Gilbert (2014), from
../shared/data/vader_groundtruth (tweets, Amazon review snippets, movie review
snippets, New York Times editorial snippets; each text's mean rating by 20 or
more people on -4..4). The mean maps to three classes: above 0.5 positive,
below -0.5 negative, else neutral. For each corpus, macro-F1 and accuracy of

- ``vader``: plain VADER 3.3.2 with its ±0.05 compound thresholds;
- ``cxm``: ``Baseline``, VADER adapted to customer service, with no labels;
- ``learned``: ``LearnedModel`` fitted on a stratified 10 % of the corpus's
  labels and evaluated on the other 90 % (beside it, vader and cxm on the
  same 90 %, and which model ``choose`` would keep). Like the training
  service, which passes a deployment's newest inbound texts, it also reads
  texts without their labels: here the corpus (up to
  ``sentiment.UNLABELLED_MAX`` texts), whose labels outside the 10 % are
  never read;

and texts per second of plain VADER and ``cxm`` (best of interleaved runs:
three, or more to fill half a second). "changed" is the share of
texts whose label ``cxm`` changes from plain VADER's (no labels used): how
often the customer-service rules fire on ordinary text. The hand-written
support set of cxm/insights/tests (ours, written with the rules, so its
figures flatter them) is a reference row for vader and cxm. The rules and the
neutral band were never tuned on these corpora; the 10 % learning sample is
their only use of labels. Not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cxm.insights import sentiment

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "vader_groundtruth"
SUPPORT = ROOT / "cxm" / "insights" / "tests" / "support_messages.tsv"
LEARN_SHARE = 0.10
SEED = 0


@dataclass
class Corpus:
    name: str
    texts: list[str]
    truth: list[str]
    general: bool  # one of the published corpora, not our own support set


def three_classes(mean: float) -> str:
    if mean > 0.5:
        return "positive"
    if mean < -0.5:
        return "negative"
    return "neutral"


def read_ground_truth(path: Path) -> Corpus:
    # CRLF, tab-separated id, mean, text; the movie file is UTF-8, the others ASCII.
    texts, truth = [], []
    for line in path.read_bytes().decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        _, mean, text = line.split("\t", 2)
        texts.append(text)
        truth.append(three_classes(float(mean)))
    return Corpus(path.name.removesuffix("_GroundTruth.txt"), texts, truth, general=True)


def read_support(path: Path) -> Corpus:
    rows = [line.split("\t", 1) for line in path.read_text().splitlines() if line.strip()]
    return Corpus("support (ours)", [r[1] for r in rows], [r[0] for r in rows], general=False)


def timed(
    scorers: Sequence[sentiment.Scorer],
    texts: Sequence[str],
    repeats: int = 3,
    at_least: float = 0.5,
) -> list[tuple[list[str], float]]:
    """Labels and texts per second of each scorer: the best of interleaved runs, as timeit.

    At least ``repeats`` runs, and as many more as make ``at_least`` seconds of
    each scorer (at most 200): a short corpus scored in milliseconds is not
    judged on one slice of a busy machine.
    """
    best = [math.inf] * len(scorers)
    spent = [0.0] * len(scorers)
    labels: list[list[str]] = [[] for _ in scorers]
    runs = 0
    while runs < repeats or (min(spent) < at_least and runs < 200):
        for k, scorer in enumerate(scorers):
            start = time.perf_counter()
            labels[k] = [s.label for s in scorer.score_many(texts)]
            took = time.perf_counter() - start
            best[k] = min(best[k], took)
            spent[k] += took
        runs += 1
    return [(labels[k], len(texts) / best[k]) for k in range(len(scorers))]


def figures(evaluation: sentiment.Evaluation) -> dict[str, Any]:
    return asdict(evaluation)


def run(corpus: Corpus, plain: sentiment.Scorer, ours: sentiment.Baseline) -> dict[str, Any]:
    (plain_labels, plain_speed), (ours_labels, ours_speed) = timed((plain, ours), corpus.texts)
    result: dict[str, Any] = {
        "n": len(corpus.texts),
        "general": corpus.general,
        "vader": figures(sentiment.evaluate(corpus.truth, plain_labels, seed=SEED)),
        "cxm": figures(sentiment.evaluate(corpus.truth, ours_labels, seed=SEED)),
        "changed": sum(a != b for a, b in zip(plain_labels, ours_labels, strict=True))
        / len(corpus.texts),
        "texts_per_second": {"vader": plain_speed, "cxm": ours_speed},
    }
    if not corpus.general:
        return result
    learn, held = sentiment.holdout_split(corpus.truth, share=1 - LEARN_SHARE, seed=SEED)
    start = time.perf_counter()
    model = sentiment.LearnedModel.fit(
        [corpus.texts[i] for i in learn],
        [corpus.truth[i] for i in learn],
        baseline=ours,
        # A deployment's own texts, which it has unlabelled: the corpus (the model
        # reads the first UNLABELLED_MAX), its labels never read; the training
        # service passes its newest inbound texts.
        unlabelled=corpus.texts,
        seed=SEED,
    )
    fit_seconds = time.perf_counter() - start
    held_truth = [corpus.truth[i] for i in held]
    learned = sentiment.evaluate(
        held_truth,
        [s.label for s in model.score_many([corpus.texts[i] for i in held])],
        seed=SEED,
    )
    vader_held = sentiment.evaluate(held_truth, [plain_labels[i] for i in held], seed=SEED)
    cxm_held = sentiment.evaluate(held_truth, [ours_labels[i] for i in held], seed=SEED)
    result["learned"] = {
        "labels": len(learn),
        "fit_seconds": fit_seconds,
        "held_back": len(held),
        "learned": figures(learned),
        "vader": figures(vader_held),
        "cxm": figures(cxm_held),
        "choose": sentiment.choose(cxm_held, learned),
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--corpus", help="only this corpus (e.g. tweets, nyt), or 'support'")
    parser.add_argument("--data", type=Path, default=DATA, help=f"default {DATA}")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    paths = sorted(args.data.glob("*_GroundTruth.txt")) if args.data.is_dir() else []
    if not paths:
        print(
            f"No *_GroundTruth.txt files in {args.data}. The VADER ground-truth corpora are "
            "expected in ../shared/data/vader_groundtruth beside the repository; "
            "pass --data DIR to point elsewhere.",
            file=sys.stderr,
        )
        return 2
    corpora = [read_ground_truth(p) for p in paths] + [read_support(SUPPORT)]
    if args.corpus:
        wanted = args.corpus.lower()
        corpora = [c for c in corpora if c.name.lower().startswith(wanted)]
        if not corpora:
            print(f"No corpus named {args.corpus!r}.", file=sys.stderr)
            return 2

    plain, ours = sentiment.plain_vader(), sentiment.Baseline()
    results: dict[str, Any] = {
        "truth": "mean > 0.5 positive, < -0.5 negative, else neutral",
        "neutral_band": sentiment.NEUTRAL_BAND,
        "learn_share": LEARN_SHARE,
        "seed": SEED,
        "corpora": {},
    }
    lines = [
        "Macro-F1 / accuracy. vader: plain VADER (±0.05); cxm: adapted, no labels;",
        f"learned: fitted on a stratified {LEARN_SHARE:.0%} of the labels, scored on the other "
        f"{1 - LEARN_SHARE:.0%} (vader@90 and cxm@90: the same texts); keep: choose() on them.",
        "changed: texts whose label cxm changes from vader's. texts/s: scoring speed.",
        "",
        f"{'corpus':<22}{'n':>7}{'vader':>15}{'cxm':>15}{'changed':>8}"
        f"{'vader@90':>10}{'cxm@90':>8}{'learned':>15}{'keep':>9}{'fit s':>7}"
        f"{'vader t/s':>11}{'cxm t/s':>9}",
    ]
    for corpus in corpora:
        r = run(corpus, plain, ours)
        results["corpora"][corpus.name] = r
        speed = r["texts_per_second"]
        row = (
            f"{corpus.name:<22}{r['n']:>7,}"
            f"{r['vader']['macro_f1']['value']:>9.3f} {r['vader']['accuracy']['value']:.3f}"
            f"{r['cxm']['macro_f1']['value']:>9.3f} {r['cxm']['accuracy']['value']:.3f}"
            f"{r['changed']:>8.1%}"
        )
        if "learned" in r:
            learned = r["learned"]
            row += (
                f"{learned['vader']['macro_f1']['value']:>10.3f}"
                f"{learned['cxm']['macro_f1']['value']:>8.3f}"
                f"{learned['learned']['macro_f1']['value']:>9.3f}"
                f" {learned['learned']['accuracy']['value']:.3f}"
                f"{learned['choose']:>9}{learned['fit_seconds']:>7.2f}"
            )
        else:
            row += f"{'':>10}{'':>8}{'':>15}{'':>9}{'':>7}"
        row += f"{speed['vader']:>11,.0f}{speed['cxm']:>9,.0f}"
        lines.append(row)

    general = {k: v for k, v in results["corpora"].items() if v["general"]}
    goals: dict[str, bool | None] = {}
    if general:

        def f1(r: dict[str, Any], *path: str) -> float:
            for key in path:
                r = r[key]
            return float(r["macro_f1"]["value"])

        goals["no_labels_not_below_vader"] = all(
            f1(r, "cxm") >= f1(r, "vader") for r in general.values()
        )
        gains = [f1(r, "learned", "learned") - f1(r, "learned", "vader") for r in general.values()]
        goals["learned_not_below_vader_and_5_points"] = (
            min(gains) >= 0 and sum(gains) / len(gains) >= 0.05
        )
        average_gain = sum(gains) / len(gains)
    ratios = [
        r["texts_per_second"]["cxm"] / r["texts_per_second"]["vader"]
        for r in results["corpora"].values()
    ]
    goals["speed_at_least_half"] = min(ratios) >= 0.5
    results["goals"] = goals
    lines.append("")
    partial = " (only the corpora run)" if args.corpus else ""
    if general:
        lines.append(
            f"(1) cxm with no labels >= vader macro-F1 on every general corpus{partial}: "
            f"{'met' if goals['no_labels_not_below_vader'] else 'NOT met'}"
        )
        lines.append(
            f"(2) learned >= vader on every general corpus and >= +5 points on average "
            f"(average {average_gain * 100:+.1f} points){partial}: "
            f"{'met' if goals['learned_not_below_vader_and_5_points'] else 'NOT met'}"
        )
    lines.append(
        f"(3) cxm >= 0.5 x vader texts/second (lowest ratio {min(ratios):.2f}){partial}: "
        f"{'met' if goals['speed_at_least_half'] else 'NOT met'}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
