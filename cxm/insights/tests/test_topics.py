"""Topic rules, the taxonomy matcher, and discovery of new topics by NMF."""

from __future__ import annotations

import numpy as np
import pytest

from cxm.insights.topics import (
    Suggestion,
    Taxonomy,
    TopicRule,
    TopicRuleError,
    assign,
    discover,
    rule_problems,
    taxonomy_problems,
    terms_of,
    words,
)


def rule(key: str = "topic", **phrases: tuple) -> TopicRule:
    phrases.setdefault("any_phrases", ())
    return TopicRule(key=key, name=key.title(), **phrases)


def matches(topic: TopicRule, text: str) -> bool:
    return Taxonomy([topic]).match(text) == [topic.key]


# ---------------------------------------------------------------------------
# Folding
# ---------------------------------------------------------------------------


def test_words_fold_case_accents_and_punctuation() -> None:
    assert words("  RÉSILIATION immédiate, s'il vous plaît!! Wi-Fi_6 ") == [
        "resiliation",
        "immediate",
        "s",
        "il",
        "vous",
        "plait",
        "wi",
        "fi",
        "6",
    ]
    assert words(" ,.?! ") == []


# ---------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------


def test_a_phrase_matches_whole_words_only() -> None:
    cancel = rule(any_phrases=("cancel",))
    assert matches(cancel, "I want to cancel my contract")
    assert matches(cancel, "CANCEL!")
    assert not matches(cancel, "What is the cancellation fee?")
    assert not matches(cancel, "Please uncancel it")


def test_a_trailing_star_is_a_prefix_wildcard() -> None:
    cancel = rule(any_phrases=("cancel*",))
    assert matches(cancel, "What is the cancellation fee?")
    assert matches(cancel, "You cancelled it")
    assert matches(cancel, "cancel")
    assert not matches(cancel, "Please uncancel it")
    assert not matches(cancel, "I can't")


def test_case_and_accents_are_ignored_on_both_sides() -> None:
    assert matches(rule(any_phrases=("resiliation",)), "RÉSILIATION immédiate")
    assert matches(rule(any_phrases=("Résilier",)), "je veux resilier")
    assert matches(rule(any_phrases=("immédiat*",)), "IMMEDIATEMENT")


def test_a_phrase_of_several_words_matches_them_in_sequence() -> None:
    red_light = rule(any_phrases=("red light",))
    assert matches(red_light, "The router shows a Red-Light")
    assert matches(red_light, "red, light")  # punctuation between words is ignored
    assert not matches(red_light, "a red warning light")
    assert not matches(red_light, "light red")
    assert matches(rule(any_phrases=("cancel* order*",)), "I cancelled orders twice")
    assert not matches(rule(any_phrases=("cancel* order*",)), "I cancelled my orders")


def test_any_all_and_none_combine() -> None:
    late_refund = rule(
        any_phrases=("refund*", "money back"),
        all_phrases=("late", "order"),
        none_phrases=("thank*",),
    )
    assert matches(late_refund, "My refund for the order is late")
    assert matches(late_refund, "Late order, I want my money back")
    assert not matches(late_refund, "My refund for the order")  # no "late"
    assert not matches(late_refund, "Late order, nothing else")  # no any phrase
    assert not matches(late_refund, "Order refunded late, thanks")  # excluded


def test_a_rule_of_all_phrases_only() -> None:
    both = rule(all_phrases=("engineer", "missed"))
    assert matches(both, "The engineer missed it")
    assert not matches(both, "The engineer came")


def test_near_counts_words_between_in_either_order() -> None:
    near = rule(near=(("refund", "late", 3),))
    assert matches(near, "refund late")  # 1 apart
    assert matches(near, "refund was very late")  # 3 apart
    assert not matches(near, "refund was really very late")  # 4 apart
    assert matches(near, "late again, the refund")  # 3 apart, the other way round
    assert not matches(near, "refund")
    assert matches(near, "refund came, refund was late")  # any pair of occurrences
    # from the end of the earlier phrase to the start of the later one
    assert matches(rule(near=(("money back", "week*", 2),)), "money back two weeks")
    assert not matches(rule(near=(("money back", "week*", 2),)), "weeks ago, my money back")


def test_near_joins_the_other_conditions() -> None:
    near = rule(any_phrases=("order",), near=(("refund", "late", 2),))
    assert matches(near, "order refund late")
    assert not matches(near, "refund late")
    assert not matches(near, "order refund")


def test_taxonomy_returns_every_matching_key_in_taxonomy_order() -> None:
    taxonomy = Taxonomy(
        [
            rule("billing", any_phrases=("invoice", "charged")),
            rule("cancellation", any_phrases=("cancel*",)),
            rule("refund", any_phrases=("refund*",), none_phrases=("no refund needed",)),
            rule("late-refund", near=(("refund*", "late", 3),)),
        ]
    )
    assert taxonomy.match("Cancelled, charged twice and the refund is late") == [
        "billing",
        "cancellation",
        "refund",
        "late-refund",
    ]
    assert taxonomy.match("refund late; no refund needed though") == ["late-refund"]
    assert taxonomy.match("") == []
    assert taxonomy.match("?!") == []
    assert taxonomy.match_many(["invoice", "nothing", "cancel invoice"]) == [
        ["billing"],
        [],
        ["billing", "cancellation"],
    ]
    assert Taxonomy([]).match("anything") == []


def test_prefixes_shared_by_rules_of_different_lengths() -> None:
    taxonomy = Taxonomy(
        [
            rule("short", any_phrases=("can*",)),
            rule("long", any_phrases=("cancel*",)),
            rule("longer", any_phrases=("cancellation*",)),
        ]
    )
    assert taxonomy.match("cancellations") == ["short", "long", "longer"]
    assert taxonomy.match("cancelled") == ["short", "long"]
    assert taxonomy.match("candy") == ["short"]


# ---------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------


def test_a_sound_rule_has_no_problems() -> None:
    sound = TopicRule(
        key="late-refund_2",
        name="Late refund",
        any_phrases=("refund*", "money back"),
        all_phrases=("late",),
        none_phrases=("thanks",),
        near=(("refund", "late", 5),),
    )
    assert rule_problems(sound) == []


def test_rule_problems_name_each_fault() -> None:
    bad = TopicRule(
        key="Late Refund",
        name=" ",
        any_phrases=("", "!!!", "a*", "can*cel", "*"),
        all_phrases=("late",),
        none_phrases=("late",),
        near=(("refund", "re*", 0),),
    )
    assert rule_problems(bad) == [
        "the key 'Late Refund' is not a slug: use lowercase letters and digits,"
        " joined by single hyphens or underscores",
        "the name is empty",
        "any_phrases: a phrase is empty",
        "any_phrases: '!!!' has no letters or digits",
        "any_phrases: 'a*': a wildcard needs at least 3 letters before the *,"
        " or it matches too many words",
        "any_phrases: 'can*cel': * can only end a word, as in 'cancel*' (a prefix wildcard)",
        "any_phrases: '*': * can only end a word, as in 'cancel*' (a prefix wildcard)",
        "none_phrases: 'late' is also in all_phrases, so that part of the rule can never match",
        "near ('refund', 're*', 0): 're*': a wildcard needs at least 3 letters before the *,"
        " or it matches too many words",
        "near ('refund', 're*', 0): the distance must be a whole number of words, at least 1",
    ]


def test_a_rule_needs_something_to_match() -> None:
    assert rule_problems(
        TopicRule(key="", name="Nothing", any_phrases=(), none_phrases=("x",))
    ) == [
        "the key is empty",
        "the rule has nothing to match: give any_phrases, all_phrases or near",
    ]


def test_a_taxonomy_refuses_bad_rules_and_duplicate_keys() -> None:
    rules = [
        rule("refund", any_phrases=("refund",)),
        rule("refund", any_phrases=("money back",)),
        rule("wifi", any_phrases=("wi*",)),
    ]
    expected = [
        "the key 'refund' is used by more than one topic",
        "'wifi': any_phrases: 'wi*': a wildcard needs at least 3 letters before the *,"
        " or it matches too many words",
    ]
    assert taxonomy_problems(rules) == expected
    with pytest.raises(TopicRuleError) as refused:
        Taxonomy(rules)
    assert refused.value.problems == expected


# ---------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------

ROUTER = [
    "My router is blinking a red light and there is no internet",
    "Router blinking red light since this morning, no internet at all",
    "The red light on the router keeps blinking and the internet is down",
    "No internet again, the router shows a blinking red light",
    "Red light blinking on my router, internet not working",
    "Broadband dropped and the router light turned red",
    "The router has a red light and I have had no internet for two days",
    "Blinking red light on the router, rebooted twice, still no internet",
    "Why is my router light red? No internet in the whole house",
    "Router restarted itself, now red light and no internet connection",
    "Still no internet, the router light is blinking red",
    "Red blinking light on router again, internet keeps dropping",
    "Our hub shows a blinking red light, broadband is completely down",
    "No internet since the storm, router light stays red",
    "The router keeps blinking red and the internet will not connect",
]
REFUND = [
    "I cancelled my order two weeks ago and the refund has not been received",
    "Refund not received for my cancelled order",
    "Where is my refund? The order was cancelled last month",
    "Cancelled order still shows no refund on my card",
    "My refund for the cancelled order never arrived",
    "Order cancelled on the 3rd, refund still not received",
    "Still waiting for the refund on a cancelled order",
    "You cancelled my order but I never received the refund",
    "The refund for order 4471 has not been received after cancellation",
    "I want my refund, the order was cancelled weeks ago",
    "No refund yet for the order I cancelled",
    "Cancelled within an hour and still no money back",
    "Refund promised for my cancelled order has not arrived",
    "When will I receive the refund for my cancelled order?",
    "You cancelled it, so where is my money back?",
]
ENGINEER = [
    "The engineer missed the appointment and nobody called",
    "Engineer appointment missed again, I took a day off work",
    "Nobody came for the engineer appointment this morning",
    "Missed appointment, the engineer never showed up",
    "The engineer did not turn up for the appointment",
    "Second missed engineer appointment this month",
    "I waited all day and the engineer missed the appointment",
    "Engineer no show, nobody came and no notice",
    "Your engineer missed our appointment slot between 8 and 12",
    "The appointment with the engineer was missed and not rescheduled",
    "Engineer failed to attend yesterday, nobody came",
    "Booked an engineer appointment, nobody came, appointment missed",
    "The engineer visit was missed, please book a new appointment",
    "Missed engineer appointment, I want compensation",
    "Engineer appointment today was missed, no call, no text",
]
NOISE = [
    "Thanks for your help today",
    "Can I change the email address on my account?",
    "Great service, very happy",
    "How do I update my payment details?",
    "Please send me a copy of my contract",
    "What are your opening hours on Sunday?",
    "I would like to upgrade my package",
    "The app crashes when I open settings",
    "Can I order a second router for upstairs?",
    "The engineer was polite and fixed everything",
]
TEXTS = ROUTER + REFUND + ENGINEER + NOISE
GROUPS = {
    "router": range(0, 15),
    "refund": range(15, 30),
    "engineer": range(30, 45),
    "noise": range(45, 55),
}


def group_counts(indices: list[int] | tuple[int, ...]) -> dict[str, int]:
    return {name: sum(i in span for i in indices) for name, span in GROUPS.items()}


def test_discovery_terms_are_words_and_bigrams_that_never_span_a_stop_word() -> None:
    assert terms_of("Refund not received for my cancelled order, 4471!") == [
        "refund",
        "received",
        "cancelled",
        "order",
        "cancelled order",
    ]


def test_discovery_finds_the_three_themes() -> None:
    refund, engineer, router = discover(TEXTS)

    assert refund.terms == ("refund", "order", "cancelled", "received", "arrived", "money")
    assert engineer.terms == ("engineer", "appointment", "missed", "came", "day", "today")
    assert router.terms == ("red", "light", "router", "internet", "blinking", "keeps")
    assert (refund.size, engineer.size, router.size) == (16, 16, 15)
    # each theme whole; one off-theme text sharing its words joins the refunds
    # ("order a second router") and another the engineers ("engineer was polite")
    assert group_counts(refund.indices) == {"router": 0, "refund": 15, "engineer": 0, "noise": 1}
    assert group_counts(engineer.indices) == {"router": 0, "refund": 0, "engineer": 15, "noise": 1}
    assert group_counts(router.indices) == {"router": 15, "refund": 0, "engineer": 0, "noise": 0}
    assert sorted(router.indices) == list(range(15))
    assert 53 in refund.indices and 54 in engineer.indices


def test_quotes_are_the_heaviest_distinct_texts_of_their_cluster() -> None:
    refund, engineer, router = discover(TEXTS)
    assert refund.quotes == (
        "Refund not received for my cancelled order",
        "Still waiting for the refund on a cancelled order",
        "When will I receive the refund for my cancelled order?",
    )
    assert engineer.quotes == (
        "Missed appointment, the engineer never showed up",
        "The appointment with the engineer was missed and not rescheduled",
        "The engineer visit was missed, please book a new appointment",
    )
    assert router.quotes == (
        "My router is blinking a red light and there is no internet",
        "Red light blinking on my router, internet not working",
        "Blinking red light on the router, rebooted twice, still no internet",
    )
    for suggestion in (refund, engineer, router):
        assert suggestion.quote_indices == suggestion.indices[:3]
        assert suggestion.quotes == tuple(TEXTS[i] for i in suggestion.quote_indices)


def test_quotes_skip_repeated_texts() -> None:
    texts = ["Router red light!"] * 4 + ["router red light", "The router has a red light"]
    texts += ["refund order"] * 6
    router, refund = discover(texts, min_size=3)
    assert router.indices == (0, 1, 2, 3, 4, 5)
    assert router.quotes == ("Router red light!", "The router has a red light")
    assert router.quote_indices == (0, 5)
    assert refund.quotes == ("refund order",)
    assert refund.quote_indices == (6,)


def test_an_adopted_suggestion_matches_its_cluster_again() -> None:
    refund, engineer, router = discover(TEXTS)

    assert refund.to_rule(key="refund", name="Refund") == TopicRule(
        key="refund", name="Refund", any_phrases=("order", "cancelled")
    )
    assert engineer.phrases == ("engineer",)
    assert router.phrases == ("red",)

    taxonomy = Taxonomy(
        [
            refund.to_rule(key="refund", name="Refund"),
            engineer.to_rule(key="engineer", name="Engineer"),
            router.to_rule(key="router", name="Router"),
        ]
    )
    found = taxonomy.match_many(TEXTS)
    for key, counts in {
        "refund": {"router": 0, "refund": 15, "engineer": 0, "noise": 1},
        "engineer": {"router": 0, "refund": 0, "engineer": 15, "noise": 1},
        "router": {"router": 15, "refund": 0, "engineer": 0, "noise": 0},
    }.items():
        assert group_counts([i for i, keys in enumerate(found) if key in keys]) == counts
    # the cluster's texts, off-theme ones included, are all found again
    for key, suggestion in (("refund", refund), ("engineer", engineer), ("router", router)):
        assert all(key in found[i] for i in suggestion.indices)


def test_a_suggestion_built_by_hand_adopts_its_terms() -> None:
    suggestion = Suggestion(terms=("wifi", "slow"), size=7, quotes=(), indices=())
    assert suggestion.to_rule(key="slow-wifi", name="Slow wifi").any_phrases == ("wifi", "slow")


def test_discovery_is_deterministic_for_a_seed() -> None:
    first = discover(TEXTS, seed=3)
    assert discover(TEXTS, seed=3) == first
    assert discover(list(TEXTS), seed=3) == first
    # the default choice of k is the one a caller would give
    assert discover(TEXTS, topics=3) == discover(TEXTS)


def test_discovery_with_a_given_number_of_topics() -> None:
    found = discover(TEXTS, topics=2)
    assert [(s.size, s.terms[:3]) for s in found] == [
        (29, ("engineer", "appointment", "missed")),
        (16, ("red", "light", "router")),
    ]
    assert group_counts(found[0].indices) == {"router": 0, "refund": 13, "engineer": 15, "noise": 1}


def test_small_components_are_dropped() -> None:
    assert [s.size for s in discover(TEXTS, topics=3, min_size=16)] == [16, 16]
    assert discover(TEXTS, topics=3, min_size=17) == []
    # left to choose, it takes the k whose clusters survive: two themes merged
    assert [s.size for s in discover(TEXTS, min_size=17)] == [29]


def test_too_little_text_gives_no_suggestions() -> None:
    assert discover([]) == []
    assert discover(TEXTS[:9]) == []  # fewer than twice min_size
    assert discover(["the and of it", "Is it?"] * 6) == []  # only stop words
    assert discover([f"word{i}" for i in range(20)]) == []  # nothing occurs twice


def test_discovery_refuses_impossible_settings() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        discover(TEXTS, min_size=0)
    with pytest.raises(ValueError, match="at least 1"):
        discover(TEXTS, topics=0)


def test_assign_keeps_only_meaningful_dominant_weights() -> None:
    weights = np.array(
        [
            [0.9, 0.0, 0.0],  # clearly the first
            [0.5, 0.4, 0.0],  # the first, by a share of 0.56
            [0.3, 0.35, 0.0],  # the second, by a share of 0.54
            [0.4, 0.3, 0.3],  # split: none holds half
            [0.05, 0.0, 0.0],  # all in the first, but a 1/18 of its strongest text
            [0.0, 0.0, 0.0],  # no weight at all
            [0.0, 0.6, 0.0],
            [0.0, 0.0, 0.5],
        ]
    )
    assert assign(weights, 1).tolist() == [0, 0, 1, -1, -1, -1, 1, 2]
    assert assign(weights, 2).tolist() == [0, 0, 1, -1, -1, -1, 1, -1]
    assert assign(weights, 3).tolist() == [-1] * 8
