"""Placeholder values never tie two customers together."""

from __future__ import annotations

from typing import Any

import pytest

from cxm.conftest import ingest_customer_line
from cxm.connectors.models import Source
from cxm.customers.models import Customer, Identity, MergeProposal
from cxm.customers.placeholders import is_placeholder_name, placeholder_reason
from cxm.interactions.models import Interaction


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("email", "test@test.com"),
        ("email", "NoEmail@northvale.example"),
        ("email", "none@anything.org"),
        ("phone", "0000000000"),
        ("phone", "+44 7777 777777"),
        ("phone", "1234567890"),
        ("phone", "N/A"),
        ("crm_id", "unknown"),
        ("crm_id", "0"),
        ("twitter", "none"),
        ("other", "-"),
    ],
)
def test_placeholders_are_recognised(kind: str, raw: str) -> None:
    assert placeholder_reason(kind, raw) is not None


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("email", "ann.lee@example.org"),
        ("email", "testa@example.org"),
        ("phone", "+44 20 7946 0958"),
        ("phone", "07911 123456"),
        ("crm_id", "C-1042"),
        ("twitter", "@annlee"),
    ],
)
def test_real_identifiers_are_not_placeholders(kind: str, raw: str) -> None:
    assert placeholder_reason(kind, raw) is None


def test_the_deployment_adds_its_own_identifiers() -> None:
    own = ["help@northvale.example", "+441134960000"]

    assert placeholder_reason("email", "Help@Northvale.example", extra=own)
    assert placeholder_reason("phone", "0113 496 0000", normalized="+441134960000", extra=own)
    assert placeholder_reason("email", "ann@northvale.example", extra=own) is None
    assert is_placeholder_name("N/A") and is_placeholder_name(" Unknown ")
    assert not is_placeholder_name("Ann Lee")


def _send(source: Source, external_id: str, customer: dict[str, Any]) -> int:
    return ingest_customer_line(source, external_id, customer, channel="phone")


def test_two_strangers_sharing_placeholders_stay_apart(settings: Any, source: Source) -> None:
    settings.CXM_OWN_IDENTIFIERS = ["help@northvale.example"]
    ann = _send(
        source,
        "1",
        {"email": "test@test.com", "phone": "0000000000", "crm_id": "C-1", "name": "N/A"},
    )
    bob = _send(source, "2", {"email": "test@test.com", "phone": "0000000000", "crm_id": "C-2"})
    cat = _send(source, "3", {"email": "help@northvale.example", "name": "Cat"})
    dan = _send(source, "4", {"email": "help@northvale.example", "name": "Dan"})
    # A line whose only identifiers are placeholders is kept, as a customer of its own.
    eve = _send(source, "5", {"phone": "N/A", "email": "none@none.com"})

    assert len({ann, bob, cat, dan, eve}) == 5
    assert not MergeProposal.objects.exists()
    assert Interaction.objects.count() == 5
    assert sorted(Identity.objects.values_list("value_normalized", flat=True)) == ["C-1", "C-2"]
    assert Customer.objects.get(pk=ann).display_name == ""
    # Their real identifiers still find them.
    assert _send(source, "6", {"crm_id": "C-2", "email": "test@test.com"}) == bob
