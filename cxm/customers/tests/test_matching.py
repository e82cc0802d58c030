"""The Fellegi-Sunter model: weights, term frequencies, blocking, EM, clusters."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from cxm.customers.matching import (
    Model,
    candidate_pairs,
    clean_text,
    clusters,
    column_key,
    compound_key,
    date_comparison,
    email_comparison,
    estimate_m_em,
    estimate_prior,
    estimate_u,
    exact_comparison,
    is_nickname,
    name_comparison,
    names_aligned,
    pair_count,
    pairwise_scores,
    place_comparison,
    probability_from_weight,
    term_frequencies,
    weight_from_probability,
)


def test_clean_text_folds_case_accents_and_punctuation() -> None:
    assert clean_text("  Zoë  O'Brien-Smith ") == "zoe o brien smith"
    assert clean_text(" ,. ") is None
    assert clean_text(None) is None


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("robert", "robert", 0),
        ("robert", "roberts", 1),  # Jaro-Winkler 0.971
        ("robert", "robbie", 2),  # 0.844
        ("robert", "alice", 3),
    ],
)
def test_name_levels(left: str, right: str, level: int) -> None:
    comparison = name_comparison("first_name", "first_name")
    assert comparison.level({"first_name": left}, {"first_name": right}) == level


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("robert", "robert", 0),
        ("bob", "robert", 1),  # a nickname of it
        ("robert", "bob", 1),
        ("bob", "rob", 1),  # both short for Robert
        ("roberta", "robert", 2),  # no nickname, a typo: Jaro-Winkler 0.971
        ("robert", "robbie", 3),  # 0.844
        ("robert", "alice", 4),
    ],
)
def test_first_names_with_nicknames(left: str, right: str, level: int) -> None:
    comparison = name_comparison("first_name", "first_name", aliases=is_nickname)
    assert comparison.levels[1] == "nickname"
    assert comparison.level({"first_name": left}, {"first_name": right}) == level


@pytest.mark.parametrize(
    ("a", "b", "aligned", "note"),
    [
        # Swapped, with a typo: lined up again.
        (("johnston", "rosie"), ("rosie", "johnstn"), ("johnstn", "rosie"), "swapped"),
        # As given: nothing moves.
        (("rosie", "johnston"), ("rosie", "johnstn"), ("rosie", "johnstn"), ""),
        # Two people sharing one name the other way round are not swapped
        # unless both names agree crosswise.
        (("james", "smith"), ("tom", "james"), ("tom", "james"), ""),
        # A single name is kept as a surname; it is compared as a first name
        # when it is the other record's first name.
        (("olivia", "davies"), (None, "olivia"), ("olivia", None), "single name"),
        (("olivia", "davies"), (None, "davies"), (None, "davies"), ""),
    ],
)
def test_names_are_lined_up_before_they_are_compared(
    a: tuple[str, str], b: tuple[str | None, str], aligned: tuple[str | None, str | None], note: str
) -> None:
    left = {"first_name": a[0], "surname": a[1]}
    right = {"first_name": b[0], "surname": b[1]}

    _, lined_up, said = names_aligned(left, right, "first_name", "surname")

    assert (lined_up["first_name"], lined_up["surname"]) == aligned
    assert (note in said) if note else said == ""


def test_a_swapped_pair_scores_as_agreeing_and_says_so() -> None:
    comparisons = [name_comparison("first", "first_name"), name_comparison("last", "surname")]
    model = Model(comparisons, prior=0.01, names=("first_name", "surname"))
    model.m = {"first": [0.7, 0.1, 0.1, 0.1], "last": [0.7, 0.1, 0.1, 0.1]}
    model.u = {"first": [0.01, 0.01, 0.03, 0.95], "last": [0.01, 0.01, 0.03, 0.95]}
    rosie = {"first_name": "rosie", "surname": "johnston"}
    swapped = {"first_name": "johnston", "surname": "rosie"}

    score = model.score(rosie, swapped)

    assert score.weight == pytest.approx(math.log2(0.01 / 0.99) + 2 * math.log2(70))
    assert [c.level for c in score.contributions] == ["exact (first name and surname swapped)"] * 2
    # Without lining up names, the same pair disagrees on both.
    plain = Model(comparisons, prior=0.01, m=model.m, u=model.u)
    assert plain.score(rosie, swapped).probability < 0.001


def test_place_is_one_comparison_of_postcode_then_city() -> None:
    place = place_comparison("place", "postcode", "city")

    def level(a: tuple[str | None, str | None], b: tuple[str | None, str | None]) -> int | None:
        return place.level({"postcode": a[0], "city": a[1]}, {"postcode": b[0], "city": b[1]})

    assert level(("LS14AP", "leeds"), ("LS14AP", "leeds")) == 0
    assert level(("LS14AP", None), ("LS14AP", "leeds")) == 1
    assert level(("LS14AP", "leeds"), ("LS14AP", "leedz")) == 1
    assert level(("LS14AP", "leeds"), ("LS29JT", "leeds")) == 2
    assert level((None, "leeds"), ("LS29JT", "leeds")) == 2
    assert level(("LS14AP", "leeds"), ("YO17HH", "york")) == 3
    assert level(("LS14AP", None), ("YO17HH", None)) == 3
    assert level((None, "leeds"), ("YO17HH", None)) is None  # nothing comparable
    assert place.shown({"postcode": "LS14AP", "city": "leeds"}) == "LS14AP, leeds"


def test_date_and_email_levels_and_missing_values_give_no_evidence() -> None:
    dob = date_comparison("dob", "dob")
    email = email_comparison("email", "email")

    assert [
        dob.level({"dob": "1971-06-24"}, {"dob": other})
        for other in ("1971-06-24", "1971-06-25", "1971-02-03", "1980-06-24")
    ] == [0, 1, 2, 3]
    assert [
        email.level({"email": "ann.lee@a.org"}, {"email": other})
        for other in ("ann.lee@a.org", "ann.lee@b.org", "ann.le@b.org", "bob@a.org")
    ] == [0, 1, 2, 3]
    assert dob.level({"dob": None}, {"dob": "1971-06-24"}) is None
    assert dob.level({}, {}) is None


def _two_field_model() -> Model:
    return Model(
        [
            exact_comparison("surname", "surname"),
            exact_comparison("city", "city", term_frequency=False),
        ],
        prior=1 / 1001,
        m={"surname": [0.9, 0.1], "city": [0.8, 0.2]},
        u={"surname": [0.01, 0.99], "city": [0.25, 0.75]},
    )


def test_match_weight_is_the_log_odds_of_the_prior_plus_each_log_bayes_factor() -> None:
    model = _two_field_model()

    score = model.score({"surname": "lee", "city": "york"}, {"surname": "lee", "city": "leeds"})

    # Prior odds 1:1000; surname agrees (0.9 / 0.01 = 90), city differs (0.2 / 0.75).
    odds = (1 / 1000) * 90 * (0.2 / 0.75)
    assert score.weight == pytest.approx(math.log2(odds))
    assert score.probability == pytest.approx(odds / (1 + odds))
    assert [(c.comparison, c.level, round(c.bayes_factor, 4)) for c in score.contributions] == [
        ("surname", "exact", 90.0),
        ("city", "different", 0.2667),
    ]
    assert probability_from_weight(weight_from_probability(0.25)) == pytest.approx(0.25)


def test_a_rare_surname_counts_for_more_than_a_common_one() -> None:
    model = _two_field_model()
    model.frequencies = {"surname": {"smith": 0.05, "featherstonehaugh": 0.0001}}

    common = model.score({"surname": "smith"}, {"surname": "smith"})
    rare = model.score({"surname": "featherstonehaugh"}, {"surname": "featherstonehaugh"})

    assert common.contributions[0].bayes_factor == pytest.approx(0.9 / 0.05)
    assert rare.contributions[0].bayes_factor == pytest.approx(0.9 / 0.0001)
    assert rare.weight - common.weight == pytest.approx(math.log2(0.05 / 0.0001))


def test_term_frequencies_are_shares_of_non_empty_values() -> None:
    records: list[dict[str, str | None]] = [
        {"surname": "smith"},
        {"surname": "smith"},
        {"surname": "lee"},
        {"surname": None},
    ]

    assert term_frequencies(records, ["surname"]) == {"surname": {"smith": 2 / 3, "lee": 1 / 3}}


def test_blocking_finds_every_pair_that_shares_a_key_and_skips_huge_blocks() -> None:
    records: list[dict[str, str | None]] = [
        {"surname": "lee", "dob": "1971-06-24"},  # 0
        {"surname": "lee", "dob": "1980-01-01"},  # 1: same surname as 0
        {"surname": "leigh", "dob": "1971-06-24"},  # 2: same dob as 0
        {"surname": "stone", "dob": "1990-03-03"},  # 3: nothing shared
        {"surname": None, "dob": "1990-03-04"},  # 4
    ]
    keys = [
        column_key("surname"),
        column_key("dob"),
        compound_key(column_key("surname", 2), column_key("dob", 4)),
    ]

    assert candidate_pairs(records, keys) == {(0, 1), (0, 2)}
    assert candidate_pairs(records, [column_key("surname", 1)], max_block=2) == set()


def test_linking_files_blocks_only_pairs_across_files() -> None:
    # Files "a" and "b", interleaved; each file has a within-file pair sharing a key.
    records: list[dict[str, str | None]] = [
        {"surname": "lee", "dob": "1971-06-24"},  # 0 a
        {"surname": "lee", "dob": "1971-06-24"},  # 1 b: 0's twin
        {"surname": "lee", "dob": "1980-01-01"},  # 2 a: surname as 0 (same file) and 1
        {"surname": "stone", "dob": "1990-03-03"},  # 3 b
        {"surname": "stone", "dob": "1990-03-03"},  # 4 b: 3's twin, same file
        {"surname": "stoner", "dob": "1990-03-03"},  # 5 a: dob as 3 and 4
        {"surname": "quill", "dob": "2001-01-01"},  # 6 a: nothing shared
    ]
    groups = ["a", "b", "a", "b", "b", "a", "a"]
    keys = [column_key("surname"), column_key("dob")]

    linked = candidate_pairs(records, keys, groups=groups)

    assert linked == {(0, 1), (1, 2), (3, 5), (4, 5)}
    assert all(groups[i] != groups[j] for i, j in linked)
    # The same records deduplicated also pair within each file.
    assert candidate_pairs(records, keys) == linked | {(0, 2), (3, 4)}
    # A block's size counts the records of both files: "lee" (3) is skipped, and
    # "stone" (2) holds no pair across them.
    assert candidate_pairs(records, [column_key("surname")], groups=groups, max_block=2) == set()


def test_linking_files_counts_pairs_across_files_for_the_prior() -> None:
    assert pair_count(7) == 21
    assert pair_count(7, ["a"] * 3 + ["b"] * 4) == 12
    assert pair_count(6, ["a", "b", "c", "a", "b", "c"]) == 12
    records: list[dict[str, str | None]] = [
        {"surname": "lee"},  # a
        {"surname": "lee"},  # a
        {"surname": "lee"},  # b
        {"surname": "stone"},  # b
        {"surname": "stone"},  # b
        {"surname": "quill"},  # b
        {"surname": "quill"},  # b
    ]
    groups = ["a", "a", "b", "b", "b", "b", "b"]
    rules = [column_key("surname")]

    # Across the files only (0, 2) and (1, 2) agree, among 2 x 5 pairs.
    assert estimate_prior(records, rules, recall=0.5, groups=groups) == pytest.approx(
        (2 / 0.5) / 10
    )
    # Deduplicated: 3 + 1 + 1 pairs agree (lee, stone, quill), among 7 x 6 / 2.
    assert estimate_prior(records, rules, recall=0.5) == pytest.approx((5 / 0.5) / 21)


def test_linking_files_draws_random_pairs_across_files() -> None:
    # Every record agrees with its own file and differs from the other.
    york: dict[str, str | None] = {"city": "york"}
    leeds: dict[str, str | None] = {"city": "leeds"}
    records = [york] * 3 + [leeds] * 5
    groups = ["a"] * 3 + ["b"] * 5
    model = Model([exact_comparison("city", "city", term_frequency=False)])

    estimate_u(model, records, pairs=1_000, groups=groups, floor=1e-6)
    assert model.u["city"][0] == pytest.approx(1e-6, rel=0.01)

    estimate_u(model, records, pairs=1_000, floor=1e-6)
    # Deduplicated, 13 of the 28 pairs agree.
    assert model.u["city"][0] == pytest.approx(13 / 28, abs=0.06)


def test_em_recovers_the_m_probabilities_and_the_prior_it_was_generated_with() -> None:
    """Patterns drawn from a known model; EM, given the true u, finds m and λ again."""
    rng = random.Random(7)
    true_m = {"surname": [0.85, 0.15], "city": [0.7, 0.3], "dob": [0.9, 0.1]}
    true_u = {"surname": [0.02, 0.98], "city": [0.2, 0.8], "dob": [0.01, 0.99]}
    names = list(true_m)
    patterns: Counter[tuple[int | None, ...]] = Counter()
    matches, non_matches = 3_000, 27_000
    for is_match, count in ((True, matches), (False, non_matches)):
        source = true_m if is_match else true_u
        for _ in range(count):
            patterns[tuple(0 if rng.random() < source[n][0] else 1 for n in names)] += 1
    model = Model([exact_comparison(n, n, term_frequency=False) for n in names])
    model.u = {n: list(v) for n, v in true_u.items()}

    estimate_m_em(model, patterns, total_pairs=300_000, iterations=200)

    for n in names:
        assert model.m[n][0] == pytest.approx(true_m[n][0], abs=0.03)
    # 3,000 matches among 300,000 pairs.
    assert model.prior == pytest.approx(0.01, rel=0.1)


def test_clusters_and_pairwise_scores() -> None:
    assert clusters(5, [(0, 1), (1, 2), (3, 4)]) == [0, 0, 0, 3, 3]
    # Predicted {0,1,2},{3},{4}; truth {0,1},{2,3},{4}: 3 pairs found, 1 right, 2 true.
    precision, recall, f1 = pairwise_scores([0, 0, 0, 3, 4], ["a", "a", "b", "b", "c"])
    assert (precision, recall) == (pytest.approx(1 / 3), 0.5)
    assert f1 == pytest.approx(0.4)
