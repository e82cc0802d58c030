from __future__ import annotations

import base64
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client

from cxm.conftest import interaction_line
from cxm.connectors import services as connector_services
from cxm.connectors.models import ApiToken, Source, TokenScope
from cxm.customers import services as customer_services
from cxm.customers.models import Customer, Identity
from cxm.interactions.models import Interaction
from cxm.interactions.services import SourcePolicy, interactions_ingest

UNAUTHENTICATED = {
    "code": "unauthenticated",
    "message": "Send a valid API token as 'Authorization: Bearer <token>'",
}
BAD_CURSOR = {
    "code": "bad_cursor",
    "message": "This cursor is not one CXM gave out; start again without it",
}


def ingest(source: Source, *lines: dict[str, Any]) -> None:
    records = [(number, line) for number, line in enumerate(lines, start=1)]
    result = interactions_ingest(records=records, policy=SourcePolicy(default=source, bound=False))
    assert result.rejected == []


def get(client: Client, url: str, token: str | None = None, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(url, params, headers=headers)


def as_json(value: Any) -> Any:
    return DjangoJSONEncoder().default(value)


@pytest.fixture
def ann(source: Source) -> Customer:
    """Ann Lee: a CRM record, then contacts by email, phone and SMS."""
    ingest(
        source,
        interaction_line(
            external_id="crm-1",
            channel="other",
            occurred_at="2026-10-01T08:00:00+00:00",
            customer={
                "crm_id": "C-1042",
                "email": "Ann.Lee@example.org",
                "name": "Ann Lee",
                "company": "Acme",
            },
            subject="Customer record created",
            body="",
            attributes={},
        ),
        interaction_line(
            source="twilio",
            external_id="sms-1",
            channel="sms",
            occurred_at="2026-11-02T12:30:00+00:00",
            customer={"phone": "020 7946 0958", "email": "ann.lee@example.org"},
            subject="",
            body="Still dropping tonight",
            attributes={"segments": 1},
        ),
        interaction_line(
            external_id="mail-1",
            occurred_at="2026-11-02T09:15:00+01:00",
            customer={"email": "ann.lee@example.org"},
        ),
    )
    return Customer.objects.get(display_name="Ann Lee")


@pytest.fixture
def bob(source: Source) -> Customer:
    ingest(
        source,
        interaction_line(
            external_id="bob-1", customer={"email": "bob@example.com", "name": "Bob Stone"}
        ),
    )
    return Customer.objects.get(display_name="Bob Stone")


# ---- authentication ------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/customers", "/api/v1/customers/1", "/api/v1/customers/1/timeline"]
)
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer cxm_unknown", "Bearer", "Token abc"],
    ids=["no header", "unknown token", "empty token", "other scheme"],
)
def test_reads_without_a_valid_token_or_session_are_401(
    client: Client, db: None, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = client.get(path, headers=headers)

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    assert response["WWW-Authenticate"] == 'Bearer realm="cxm"'


def test_a_revoked_read_token_is_401(client: Client, read_token: str, ann: Customer) -> None:
    connector_services.token_revoke(token=ApiToken.objects.get(scope=TokenScope.READ))

    response = get(client, f"/api/v1/customers/{ann.pk}", read_token)

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


@pytest.mark.parametrize("suffix", ["", "/{id}", "/{id}/timeline"])
def test_an_ingest_token_cannot_read(
    client: Client, ingest_token: str, ann: Customer, suffix: str
) -> None:
    response = get(client, "/api/v1/customers" + suffix.format(id=ann.pk), ingest_token)

    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "message": "This token's scope 'ingest' does not allow this operation; "
        "it needs one of: admin, read",
    }


def test_an_admin_token_may_read(client: Client, source: Source, ann: Customer) -> None:
    admin = connector_services.token_create(source=source, scope=TokenScope.ADMIN).secret

    response = get(client, f"/api/v1/customers/{ann.pk}", admin)

    assert response.status_code == 200


def test_a_signed_in_console_user_can_read_customers(agent_client: Client, ann: Customer) -> None:
    found = agent_client.get("/api/v1/customers", {"q": "ann.lee@example.org"})
    detail = agent_client.get(f"/api/v1/customers/{ann.pk}")
    timeline = agent_client.get(f"/api/v1/customers/{ann.pk}/timeline")

    assert found.status_code == 200
    assert [c["id"] for c in found.json()["items"]] == [ann.pk]
    assert (detail.status_code, detail.json()["id"]) == (200, ann.pk)
    assert (timeline.status_code, len(timeline.json()["items"])) == (200, 3)


def test_a_console_user_without_permission_is_403(db: None, ann: Customer) -> None:
    client = Client()
    client.force_login(User.objects.create_user("stranger"))

    response = client.get(f"/api/v1/customers/{ann.pk}")

    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "message": "Your account has no role in CXM yet; ask an administrator to give you one",
    }


# ---- search and profile --------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        " ANN.LEE@example.org ",
        "+44 20 7946 0958",
        "020 7946 0958",
        "C-1042",
        "ann l",
        "acme",
    ],
)
def test_search_finds_a_customer_by_any_identifier_or_name(
    client: Client, read_token: str, ann: Customer, bob: Customer, query: str
) -> None:
    response = get(client, "/api/v1/customers", read_token, q=query)

    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": ann.pk,
                "display_name": "Ann Lee",
                "kind": "unknown",
                "account": {"id": ann.account_id, "name": "Acme"},
            }
        ],
        "count": 1,
    }


def test_search_without_a_match_is_empty(client: Client, read_token: str, ann: Customer) -> None:
    response = get(client, "/api/v1/customers", read_token, q="nobody@example.org")

    assert response.json() == {"items": [], "count": 0}


def test_search_leaves_out_merged_customers(
    client: Client, read_token: str, ann: Customer, bob: Customer
) -> None:
    customer_services.customer_merge(survivor=ann, merged=bob, actor=None, reason="Same person")

    by_name = get(client, "/api/v1/customers", read_token, q="Bob")
    by_email = get(client, "/api/v1/customers", read_token, q="bob@example.com")

    assert by_name.json() == {"items": [], "count": 0}
    assert [c["id"] for c in by_email.json()["items"]] == [ann.pk]


def test_search_limit_is_checked(client: Client, read_token: str, db: None) -> None:
    response = get(client, "/api/v1/customers", read_token, limit=0)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"][0]["field"] == "limit"


def test_profile_shows_every_identity_and_channel(
    client: Client, read_token: str, ann: Customer
) -> None:
    response = get(client, f"/api/v1/customers/{ann.pk}", read_token)

    identities = {i.kind: i for i in Identity.objects.filter(customer=ann)}
    assert response.status_code == 200
    assert response.json() == {
        "id": ann.pk,
        "display_name": "Ann Lee",
        "kind": "unknown",
        "account": {"id": ann.account_id, "name": "Acme"},
        "merged_into": None,
        "created_at": as_json(ann.created_at),
        "identities": [
            {
                "kind": kind,
                "value": value,
                "raw": raw,
                "source": source,
                "first_seen": as_json(identities[kind].first_seen),
                "last_seen": as_json(identities[kind].last_seen),
            }
            for kind, value, raw, source in [
                ("crm_id", "C-1042", "C-1042", "zendesk"),
                ("email", "ann.lee@example.org", "Ann.Lee@example.org", "zendesk"),
                ("phone", "+442079460958", "020 7946 0958", "twilio"),
            ]
        ],
        "channels": [
            {"channel": "email", "count": 1},
            {"channel": "other", "count": 1},
            {"channel": "sms", "count": 1},
        ],
        "interaction_count": 3,
    }
    assert (
        identities["email"].first_seen.isoformat(),
        identities["email"].last_seen.isoformat(),
    ) == (
        "2026-10-01T08:00:00+00:00",
        "2026-11-02T12:30:00+00:00",
    )


@pytest.mark.parametrize("customer_id", ["0", "999999999", str(2**63), str(2**70)])
def test_an_unknown_customer_is_404(
    client: Client, read_token: str, db: None, customer_id: str
) -> None:
    response = get(client, f"/api/v1/customers/{customer_id}", read_token)
    timeline = get(client, f"/api/v1/customers/{customer_id}/timeline", read_token)

    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": f"There is no customer {customer_id}",
    }
    assert timeline.status_code == 404


# ---- timeline ------------------------------------------------------------


@pytest.fixture
def busy(source: Source) -> Customer:
    """Eleven interactions on three channels, four of them at the very same second."""
    lines = []
    for number in range(11):
        # Interactions 3-6 share one timestamp: the cursor must tell them apart by id.
        day = 10 if 3 <= number <= 6 else number + 1
        lines.append(
            interaction_line(
                external_id=f"t{number:02d}",
                channel=["email", "phone", "chat"][number % 3],
                occurred_at=f"2026-10-{day:02d}T10:00:00+00:00",
                customer={"email": "busy@example.org", "name": "Busy Bee"},
            )
        )
    # Stored in two batches, out of time order.
    ingest(source, *lines[6:])
    ingest(source, *lines[:6])
    return Customer.objects.get(display_name="Busy Bee")


def newest_first(customer: Customer, **filters: Any) -> list[int]:
    return list(
        Interaction.objects.filter(customer=customer, **filters)
        .order_by("-occurred_at", "-id")
        .values_list("id", flat=True)
    )


def walk(client: Client, token: str, customer: Customer, **params: Any) -> list[list[int]]:
    pages: list[list[int]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = get(client, f"/api/v1/customers/{customer.pk}/timeline", token, **query)
        assert response.status_code == 200
        answer = response.json()
        assert answer["customer_id"] == customer.pk
        pages.append([item["id"] for item in answer["items"]])
        cursor = answer["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "the cursor does not advance"


def test_timeline_pages_walk_every_interaction_once_newest_first(
    client: Client, read_token: str, busy: Customer
) -> None:
    expected = newest_first(busy)

    pages = walk(client, read_token, busy, limit=3)

    assert [len(page) for page in pages] == [3, 3, 3, 2]
    assert [item for page in pages for item in page] == expected
    assert len(expected) == 11


def test_timeline_page_size_equal_to_the_total_has_no_next_page(
    client: Client, read_token: str, busy: Customer
) -> None:
    pages = walk(client, read_token, busy, limit=11)

    assert pages == [newest_first(busy)]


def test_timeline_channel_filter_pages_through_that_channel_only(
    client: Client, read_token: str, busy: Customer
) -> None:
    pages = walk(client, read_token, busy, channel="phone", limit=2)

    assert [item for page in pages for item in page] == newest_first(busy, channel="phone")
    assert [len(page) for page in pages] == [2, 2]


def test_timeline_items_carry_the_interaction(
    client: Client, read_token: str, ann: Customer
) -> None:
    response = get(client, f"/api/v1/customers/{ann.pk}/timeline", read_token, limit=1)

    sms = Interaction.objects.get(external_id="sms-1")
    answer = response.json()
    sentiment = answer["items"][0].pop("sentiment")
    assert sentiment == {
        "label": sms.sentiment_label,
        "score": sms.sentiment_score,
        "model": "cxm-vader-1",
    }
    assert sentiment["label"] in ("negative", "neutral")
    assert answer["items"] == [
        {
            "id": sms.pk,
            "source": "twilio",
            "external_id": "sms-1",
            "channel": "sms",
            "direction": "inbound",
            "occurred_at": "2026-11-02T12:30:00Z",
            "subject": "",
            "body": "Still dropping tonight",
            "attributes": {"segments": 1},
            "automated": False,
            "topics": [],
        }
    ]
    assert answer["next_cursor"] is not None


def test_an_unknown_channel_is_422(client: Client, read_token: str, ann: Customer) -> None:
    response = get(client, f"/api/v1/customers/{ann.pk}/timeline", read_token, channel="fax")

    assert response.status_code == 422
    assert response.json() == {
        "code": "bad_channel",
        "message": "unknown channel 'fax'; expected one of phone, sms, email, chat, social, web, "
        "in_person, other",
    }


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("!!!", id="not base64"),
        pytest.param("a", id="truncated base64"),
        pytest.param(_b64(b"not-a-cursor"), id="no separator"),
        pytest.param(_b64(b"\xff\xfe|1"), id="not UTF-8"),
        pytest.param(_b64(b"2026-11-02T10:00:00|5"), id="time without zone"),
        pytest.param(_b64(b"2026-11-02T10:00:00+00:00|five"), id="id not a number"),
    ],
)
def test_a_bad_cursor_is_422_not_500(
    client: Client, read_token: str, ann: Customer, cursor: str
) -> None:
    response = get(client, f"/api/v1/customers/{ann.pk}/timeline", read_token, cursor=cursor)

    assert response.status_code == 422
    assert response.json() == BAD_CURSOR


@pytest.mark.parametrize("limit", [0, 201])
def test_timeline_limit_is_checked(
    client: Client, read_token: str, ann: Customer, limit: int
) -> None:
    response = get(client, f"/api/v1/customers/{ann.pk}/timeline", read_token, limit=limit)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


def test_a_cursor_with_an_id_past_the_64_bit_range_still_answers(
    client: Client, read_token: str, ann: Customer
) -> None:
    cursor = _b64(b"2026-11-02T10:00:00+00:00|" + b"9" * 30)

    response = get(client, f"/api/v1/customers/{ann.pk}/timeline", read_token, cursor=cursor)

    assert response.status_code == 200
    assert [item["external_id"] for item in response.json()["items"]] == ["mail-1", "crm-1"]
