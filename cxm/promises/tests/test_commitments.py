"""Commitments found in what the company wrote: kinds, due dates worked by hand, non-commitments.

Said on Tuesday 3 November 2026 at 10:00 in London (GMT, so local time is UTC)
unless a case says otherwise; a day without a time is due at 17:00.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxm.promises import commitments

SAID = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # a Tuesday


def _one(text: str, *, said_at: datetime = SAID, zone: str = "Europe/London") -> tuple[str, Any]:
    [found] = commitments.find(text, said_at=said_at, zone=zone)
    return found.kind, found.due


@pytest.mark.parametrize(
    ("text", "kind", "due"),
    [
        ("We will call you back tomorrow.", "call_back", datetime(2026, 11, 4, 17, 0)),
        ("I'll get back to you within 48 hours.", "call_back", datetime(2026, 11, 5, 10, 0)),
        ("We will call you this evening.", "call_back", datetime(2026, 11, 3, 20, 0)),
        # A time alone that has passed today is tomorrow's.
        ("I will ring you at 9am.", "call_back", datetime(2026, 11, 4, 9, 0)),
        ("I will ring you at 4.30pm.", "call_back", datetime(2026, 11, 3, 16, 30)),
        # A weekday is the next one after today, and a slot is kept by its end.
        (
            "Your engineer will come on Tuesday between 8am and 1pm.",
            "installation",
            datetime(2026, 11, 10, 13, 0),
        ),
        # "Next Friday" said early in the week is the Friday after this one.
        ("Your router will be dispatched by next Friday.", "delivery", datetime(2026, 11, 13, 17)),
        ("Your router will be dispatched by Friday.", "delivery", datetime(2026, 11, 6, 17)),
        # Three working days from a Tuesday: Wednesday, Thursday, Friday.
        (
            "The refund will be on your account in 3 working days.",
            "price",
            datetime(2026, 11, 6, 17, 0),
        ),
        (
            "The credit will be applied by the end of the month.",
            "price",
            datetime(2026, 11, 30, 17, 0),
        ),
        # A written date without a year is the next one; March has passed this year.
        ("We will deliver the new box on 12 March.", "delivery", datetime(2027, 3, 12, 17, 0)),
        (
            "We'll have your technician there on the 3rd of December.",
            "installation",
            datetime(2026, 12, 3, 17, 0),
        ),
        ("The fix will be in the release on 2026-11-20 at 3pm.", "fix", datetime(2026, 11, 20, 15)),
        ("Your new line is booked for 25/11 at 9:30.", "other", datetime(2026, 11, 25, 9, 30)),
        ("We will sort it out within the hour.", "other", datetime(2026, 11, 3, 11, 0)),
        (
            "We will cut your outage minutes by half in 90 days.",
            "value_target",
            datetime(2027, 2, 1, 17, 0),
        ),
        ("We will repair the fault.", "fix", None),
        # Round the clock is not the 24th of July.
        ("We will monitor your line 24/7 from now on.", "other", None),
    ],
)
def test_kinds_and_due_dates(text: str, kind: str, due: datetime | None) -> None:
    assert _one(text) == (kind, due.replace(tzinfo=UTC) if due else None)


def test_a_due_date_is_read_in_the_teams_zone_across_a_clock_change() -> None:
    # Friday 27 March 2026; London moves to BST on Sunday 29 March.
    friday = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)
    assert _one("We will call you back on Monday at 9am.", said_at=friday) == (
        "call_back",
        datetime(2026, 3, 30, 8, 0, tzinfo=UTC),
    )
    # 03:00 UTC on 3 November is still Monday 2 November in New York (EST, UTC-5):
    # tomorrow there is the 3rd, and 17:00 there is 22:00 UTC.
    assert _one(
        "We will call you back tomorrow.", said_at=SAID.replace(hour=3), zone="America/New_York"
    ) == ("call_back", datetime(2026, 11, 3, 22, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    "text",
    [
        "If it happens again we will send an engineer.",
        "We may be able to offer a discount.",
        "We won't be able to visit this week.",
        "We will try to call you tomorrow.",
        "Will your engineer come on Tuesday?",
        "Could we call you back tomorrow?",
        "Thanks for your patience with the outage.",
    ],
)
def test_questions_conditionals_hedges_and_refusals_are_not_commitments(text: str) -> None:
    assert commitments.find(text, said_at=SAID) == []


def test_one_commitment_per_kind_the_first_sentence_of_each() -> None:
    found = commitments.find(
        "We will call you back tomorrow. We will also call you on Friday!\n"
        "Your engineer will come on Thursday.",
        said_at=SAID,
    )
    assert [(c.kind, c.quote) for c in found] == [
        ("call_back", "We will call you back tomorrow."),
        ("installation", "Your engineer will come on Thursday."),
    ]


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        commitments.find("We will call you.", said_at=SAID.replace(tzinfo=None))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*"0123456789/:-.,!? ", "we will ", "call you ", "on ", "31/02 ", "feb ", "at "]
        ),
        max_size=60,
    ).map("".join)
)
def test_any_text_gives_commitments_or_none_never_an_error(text: str) -> None:
    for found in commitments.find(text, said_at=SAID):
        assert found.due is None or found.due.tzinfo is not None
        assert len(found.quote) <= commitments.MAX_QUOTE
