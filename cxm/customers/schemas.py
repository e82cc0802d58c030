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
