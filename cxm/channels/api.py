"""The channels API: the public charter (no token needed) and the scorecards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from cxm.access.permissions import Permission
from cxm.channels import selectors, services
from cxm.connectors.auth import acting_party, public, requires
from cxm.interactions.schemas import ErrorOut

router = Router(tags=["channels"])
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class MeasuredOut(Schema):
    days: int
    answered: int
    median_minutes: float | None
    p90_minutes: float | None
    unanswered: int
    unanswered_past_target: int


class CharterLineOut(Schema):
    channel: str
    name: str
    how_to_reach: str
    hours: str
    hours_definition: dict[str, Any]
    handles: str
    does_not_handle: str
    target_first_response_minutes: int
    measured: MeasuredOut
    misses_target: bool
    note: str
    updated_at: datetime


class CharterOut(Schema):
    time_basis: str
    channels: list[CharterLineOut]


class CharterIn(Schema):
    name: str = Field(max_length=100)
    how_to_reach: str = Field(max_length=300)
    hours: dict[str, Any]
    handles: str = Field(max_length=2000)
    does_not_handle: str = Field("", max_length=2000)
    target_first_response_minutes: int = Field(ge=1, le=525_600)
    position: int = Field(0, ge=0, le=1000)
    published: bool = True


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _line(line: selectors.CharterLine) -> dict[str, Any]:
    entry, measured = line.entry, line.measured
    return {
        "channel": entry.channel,
        "name": entry.name,
        "how_to_reach": entry.how_to_reach,
        "hours": line.hours_text,
        "hours_definition": entry.hours,
        "handles": entry.handles,
        "does_not_handle": entry.does_not_handle,
        "target_first_response_minutes": entry.target_first_response_minutes,
        "measured": {
            "days": measured.days,
            "answered": measured.answered,
            "median_minutes": _minutes(measured.median_seconds),
            "p90_minutes": _minutes(measured.p90_seconds),
            "unanswered": measured.unanswered,
            "unanswered_past_target": measured.unanswered_past_target,
        },
        "misses_target": line.misses,
        "note": line.note,
        "updated_at": entry.updated_at,
    }


TIME_BASIS = (
    "Targets and measured times are in business time: the hours each channel is staffed, "
    "without public holidays. Measured over the cases opened in the last 30 days."
)


@router.get(
    "/charter", auth=public(), response={200: CharterOut}, summary="The channel charter (public)"
)
def charter(request: HttpRequest) -> dict[str, Any]:
    """Every channel: how to reach it, its hours, what it handles, the first-response
    target, and beside it the median and p90 measured over the last 30 days."""
    return {"time_basis": TIME_BASIS, "channels": [_line(x) for x in selectors.charter()]}


@router.put(
    "/charter/{channel}",
    auth=requires(Permission.CHANNEL_MANAGE),
    response={200: CharterLineOut, **ERRORS},
    summary="Set a channel's charter entry",
)
def charter_set(request: HttpRequest, channel: str, payload: CharterIn) -> dict[str, Any]:
    actor = acting_party(request)
    services.charter_set(actor=actor, channel=channel, entry=services.CharterIn(**payload.dict()))
    line = next(x for x in selectors.charter_manage(actor=actor) if x.entry.channel == channel)
    return _line(line)


@router.delete(
    "/charter/{channel}",
    auth=requires(Permission.CHANNEL_MANAGE),
    response={204: None, **ERRORS},
    summary="Remove a channel from the charter",
)
def charter_delete(request: HttpRequest, channel: str) -> Status[None]:
    services.charter_delete(actor=acting_party(request), channel=channel)
    return Status(204, None)


class SpreadOut(Schema):
    n: int
    median_minutes: float | None
    p90_minutes: float | None


class ScorecardOut(Schema):
    channel: str
    label: str
    cases: int
    inbound: int
    first_response: SpreadOut
    resolution: SpreadOut
    satisfaction: float | None
    satisfaction_n: int
    effort: float | None
    effort_n: int
    sentiment: float | None
    sentiment_n: int
    contacts_per_case: float | None
    recontact_rate: float | None
    handoff_rate: float | None


class ConsistencyOut(Schema):
    weakest: str | None
    weakest_measure: str | None
    message: str


class ScorecardsOut(Schema):
    since: datetime
    until: datetime
    channels: list[ScorecardOut]
    consistency: ConsistencyOut


class ScorecardParams(Schema):
    days: int = Field(30, ge=1, le=3660)


def _spread(spread: Any) -> dict[str, Any]:
    return {
        "n": spread.n,
        "median_minutes": _minutes(spread.median),
        "p90_minutes": _minutes(spread.p90),
    }


@router.get(
    "/scorecards",
    auth=requires(Permission.SERVICE_REPORT_VIEW),
    response={200: ScorecardsOut, **ERRORS},
    summary="Channel scorecards, each channel and all side by side",
)
def scorecards(request: HttpRequest, params: Query[ScorecardParams]) -> dict[str, Any]:
    result = selectors.scorecards(actor=acting_party(request), days=params.days)
    return {
        "since": result.since,
        "until": result.until,
        "channels": [
            {
                **{
                    name: getattr(card, name)
                    for name in (
                        "channel",
                        "label",
                        "cases",
                        "inbound",
                        "satisfaction",
                        "satisfaction_n",
                        "effort",
                        "effort_n",
                        "sentiment",
                        "sentiment_n",
                        "contacts_per_case",
                        "recontact_rate",
                        "handoff_rate",
                    )
                },
                "first_response": _spread(card.first_response),
                "resolution": _spread(card.resolution),
            }
            for card in result.cards
        ],
        "consistency": {
            "weakest": result.consistency.weakest,
            "weakest_measure": result.consistency.weakest_measure,
            "message": result.consistency.message,
        },
    }
