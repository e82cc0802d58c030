"""The health score's components, and the AUC against published and hand examples."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxm.journeys import health
from cxm.journeys.health import Facts

# Components ---------------------------------------------------------------------------


def parts(facts: Facts) -> dict[str, tuple[float | None, str]]:
    return {p.component: (p.score, p.why) for p in health.score(facts).parts}


def test_a_customer_with_nothing_wrong_is_healthy_and_unknown_parts_are_left_out() -> None:
    result = health.score(Facts(contacts_30d=1))

    assert result.score == 100.0 and result.tier == "healthy"
    left_out = [p.component for p in result.parts if p.score is None]
    assert left_out == ["promises", "time_to_value", "sentiment", "surveys"]
    # Contact (0.10) and cases (0.15) are the only weights in play.
    shares = {p.component: p.share for p in result.parts if p.score is not None}
    assert shares == {"contact": pytest.approx(0.4), "cases": pytest.approx(0.6)}


def test_every_component_by_hand() -> None:
    facts = Facts(
        promises_made=3,
        promises_broken=1,
        promises_at_risk=1,
        onboarding="behind",
        behind_milestone="Installed",
        sentiment_recent=-0.4,
        sentiment_previous=0.2,
        sentiment_messages=5,
        contacts_30d=4,
        open_cases=1,
        breached_cases=1,
        surveys={"nps": 3, "csat": 2},
    )
    found = parts(facts)

    assert found["promises"] == (
        pytest.approx(0.5),  # 1 - 0.35 - 0.15
        "1 promise broken and 1 at risk now (last 180 days)",
    )
    assert found["time_to_value"] == (0.5, "behind on Installed")
    # (-0.4 + 1) / 2 = 0.3, less half the fall of 0.6 = 0.0.
    assert found["sentiment"][0] == pytest.approx(0.0)
    assert found["sentiment"][1] == (
        "mean sentiment -0.40 over 5 messages, down from +0.20 in the 90 days before"
    )
    assert found["contact"] == (pytest.approx(0.5), "4 inbound contacts in the last 30 days")
    assert found["cases"] == (pytest.approx(0.6), "1 open case, 1 past its service level")
    # NPS 3 → 0.3, CSAT 2 → 0.25; mean 0.275.
    assert found["surveys"] == (pytest.approx(0.275), "latest CSAT 2, NPS 3")
    # Weighted: (0.25·0.5 + 0.15·0.5 + 0.2·0 + 0.1·0.5 + 0.15·0.6 + 0.15·0.275) / 1.0
    result = health.score(facts)
    assert result.score == pytest.approx(38.1, abs=0.05) and result.tier == "at_risk"
    assert sum(p.points for p in result.parts) == pytest.approx(38.125)


def test_time_to_value_once_reached_is_its_target_over_the_time_it_took() -> None:
    late = parts(Facts(onboarding="reached", value_target_days=14, value_days=28))
    on_time = parts(Facts(onboarding="reached", value_target_days=14, value_days=10))

    assert late["time_to_value"] == (0.5, "first value took 28 days against a target of 14")
    assert on_time["time_to_value"] == (1.0, "first value in 10 days, within the target")
    assert parts(Facts(onboarding="stuck", behind_milestone="First use"))["time_to_value"] == (
        0.15,
        "stuck at First use",
    )


def test_weights_are_configurable_and_checked() -> None:
    facts = Facts(contacts_30d=7, open_cases=0)  # contact 1/(1+2) = 1/3; cases 1

    only_contact = health.score(facts, {"contact": 1.0, "cases": 0.0})
    assert only_contact.score == pytest.approx(33.3)
    assert health.score(Facts(), {"surveys": 1.0}).score is None
    assert health.score(Facts(), {"surveys": 1.0}).tier == "unknown"
    with pytest.raises(ValueError, match="unknown health components: mood"):
        health.score(facts, {"mood": 1.0})
    with pytest.raises(ValueError, match="must be a number ≥ 0"):
        health.score(facts, {"contact": -1.0})


def test_tiers() -> None:
    assert [health.tier(s) for s in (70, 69.9, 50, 49.9, None)] == [
        "healthy",
        "watch",
        "watch",
        "at_risk",
        "unknown",
    ]


# The AUC --------------------------------------------------------------------------------

# Hanley and McNeil (1982), "The meaning and use of the area under a receiver
# operating characteristic (ROC) curve", Radiology 143, Table 1: 109 CT images
# rated 1 (definitely normal) to 5 (definitely abnormal). Published: area 0.893,
# standard error 0.032.
NORMAL = [1] * 33 + [2] * 6 + [3] * 6 + [4] * 11 + [5] * 2
ABNORMAL = [1] * 3 + [2] * 2 + [3] * 2 + [4] * 11 + [5] * 33


def test_the_auc_of_hanley_and_mcneils_ct_ratings() -> None:
    scores = NORMAL + ABNORMAL
    outcomes = [False] * len(NORMAL) + [True] * len(ABNORMAL)

    area = health.auc(scores, outcomes)

    assert round(area, 3) == 0.893
    assert round(health.hanley_mcneil_se(area, len(ABNORMAL), len(NORMAL)), 3) == 0.032
    interval = health.auc_interval(scores, outcomes)
    assert (interval.positives, interval.negatives) == (51, 58)
    # DeLong's estimate of the same error is close to Hanley and McNeil's.
    assert interval.se == pytest.approx(0.032, abs=0.003)
    assert interval.low < area < interval.high


def test_delong_by_hand() -> None:
    # Positives 3, 2; negatives 1, 2. Placements: positive 3 beats both (1.0),
    # positive 2 beats 1 and ties 2 (0.75); negative 1 is beaten by both (1.0),
    # negative 2 by one and tied by one (0.75). AUC = 0.875.
    # Var of (1, 0.75) with n-1 = 0.03125 for each side; se² = 0.03125/2 + 0.03125/2.
    interval = health.auc_interval([3, 2, 1, 2], [True, True, False, False])

    assert interval.auc == 0.875
    assert interval.se == pytest.approx(math.sqrt(0.03125))
    assert interval.high == 1.0  # clipped


def test_delong_comparison_of_a_score_with_itself_and_with_its_mirror() -> None:
    scores = [0.9, 0.8, 0.35, 0.7, 0.1, 0.4, 0.6, 0.2]
    outcomes = [True, True, True, False, False, False, True, False]

    same = health.auc_compare(scores, scores, outcomes)
    mirror = health.auc_compare(scores, [-s for s in scores], outcomes)

    assert (same.difference, same.se, same.p_value) == (0.0, 0.0, 1.0)
    area = health.auc(scores, outcomes)
    assert area == 0.8125
    assert mirror.difference == pytest.approx(2 * area - 1)
    # The mirror's placements are one minus the score's, so the difference's
    # placements are 2v - 1: twice the single AUC's standard error.
    assert mirror.se == pytest.approx(2 * health.auc_interval(scores, outcomes).se)


def test_the_auc_refuses_what_it_cannot_rank() -> None:
    with pytest.raises(ValueError, match="at least one case of each outcome"):
        health.auc([1, 2], [True, True])
    with pytest.raises(ValueError, match="finite"):
        health.auc([1, math.nan], [True, False])
    with pytest.raises(ValueError, match="same length"):
        health.auc([1, 2, 3], [True, False])


@given(
    st.lists(st.integers(0, 5), min_size=2, max_size=30),
    st.lists(st.booleans(), min_size=2, max_size=30),
)
def test_the_auc_is_the_mann_whitney_probability(scores: list[int], flags: list[bool]) -> None:
    n = min(len(scores), len(flags))
    scores, flags = scores[:n], flags[:n]
    if all(flags) or not any(flags):
        return
    pos = [s for s, f in zip(scores, flags, strict=True) if f]
    neg = [s for s, f in zip(scores, flags, strict=True) if not f]
    wins = sum((p > q) + (p == q) / 2 for p in pos for q in neg)

    assert health.auc(scores, flags) == pytest.approx(wins / (len(pos) * len(neg)))
    # A score and its mirror add up to one.
    assert health.auc([-s for s in scores], flags) == pytest.approx(
        1 - wins / (len(pos) * len(neg))
    )
