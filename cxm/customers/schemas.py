from __future__ import annotations

from datetime import datetime

from ninja import Schema


class AccountOut(Schema):
    id: int
    name: str


class CustomerSummaryOut(Schema):
    id: int
    display_name: str
    kind: str
    account: AccountOut | None


class IdentityOut(Schema):
    kind: str
    value: str
    raw: str
    source: str
    first_seen: datetime
    last_seen: datetime


class ChannelCountOut(Schema):
    channel: str
    count: int


class CustomerOut(Schema):
    id: int
    display_name: str
    kind: str
    account: AccountOut | None
    merged_into: int | None
    created_at: datetime
    identities: list[IdentityOut]
    channels: list[ChannelCountOut]
    interaction_count: int


class CustomerListOut(Schema):
    items: list[CustomerSummaryOut]
    count: int


class LinkedCustomerOut(Schema):
    id: int
    display_name: str
    kind: str
    account: AccountOut | None
    merged_into: int | None


class EvidenceOut(Schema):
    """One reason a pair was tied. A shared identifier gives ``kind`` and
    ``value``; a probabilistic match gives, for each comparison, both values
    (``left``, ``right``; missing on older proposals), the level reached and its
    match weight in bits. The fields of the other sort are null."""

    kind: str | None = None
    value: str | None = None
    comparison: str | None = None
    left: str | None = None
    right: str | None = None
    level: str | None = None
    weight: float | None = None


class MergeProposalOut(Schema):
    id: int
    status: str
    method: str
    score: float | None
    reason: str
    evidence: list[EvidenceOut]
    customer_low: LinkedCustomerOut
    customer_high: LinkedCustomerOut
    interaction_id: int | None
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str


class MergeProposalListOut(Schema):
    items: list[MergeProposalOut]
    count: int
    next_cursor: str | None


class MergeBasisOut(Schema):
    """The proposal a merge settled: how the pair was found and on what evidence."""

    id: int
    status: str
    method: str
    score: float | None
    reason: str
    evidence: list[EvidenceOut]


class MergeEventOut(Schema):
    id: int
    action: str
    survivor_id: int
    merged_id: int
    actor: str
    reason: str
    created_at: datetime
    undone: bool
    undone_by: int | None
    undoes: int | None
    proposal: MergeBasisOut | None


class CustomerLinksOut(Schema):
    customer_id: int
    survivor_id: int
    customers: list[LinkedCustomerOut]
    merges: list[MergeEventOut]
    proposals: list[MergeProposalOut]
