"""A case's priority, from the issue alone.

Plain module, no Django. The inputs are what the customer's issue is — its
severity, its urgency, how the customer sounds and how long they have waited —
and nothing about who the customer is: the signature has no place for
followers, reach or account value, so influence cannot buy a place in the
queue (seed 002: "an effort should be made to respond to any customer
equally").

Points: severity critical 3, high 2, normal 1, low 0; urgency high +1, low -1;
a clearly negative last message (sentiment ≤ -0.5) +1; a wait of a day or more
(wall-clock, so that a customer left over a weekend rises) +1. Then 4 or more
points is P1, 3 is P2, 1-2 is P3 and 0 or less is P4.
"""

from __future__ import annotations

SEVERITY_POINTS = {"critical": 3, "high": 2, "normal": 1, "low": 0}
URGENCY_POINTS = {"high": 1, "normal": 0, "low": -1}
NEGATIVE = -0.5
LONG_WAIT_SECONDS = 24 * 3600.0


def priority(
    *,
    severity: str,
    urgency: str,
    sentiment: float | None,
    waited_seconds: float,
) -> int:
    """1 (urgent) to 4 (low)."""
    try:
        points = SEVERITY_POINTS[severity] + URGENCY_POINTS[urgency]
    except KeyError as error:
        raise ValueError(f"unknown severity or urgency: {error.args[0]!r}") from None
    if sentiment is not None and sentiment <= NEGATIVE:
        points += 1
    if waited_seconds >= LONG_WAIT_SECONDS:
        points += 1
    if points >= 4:
        return 1
    if points == 3:
        return 2
    if points >= 1:
        return 3
    return 4
