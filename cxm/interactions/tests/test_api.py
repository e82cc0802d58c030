from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from cxm.conftest import interaction_line
from cxm.connectors import services as connector_services
from cxm.connectors.models import ApiToken, Source, TokenScope
from cxm.customers.models import Customer, Identity, MergeProposal
from cxm.interactions.models import Interaction

URL = "/api/v1/interactions"
BULK_URL = "/api/v1/interactions/bulk"
UNAUTHENTICATED = {
    "code": "unauthenticated",
    "message": "Send a valid API token as 'Authorization: Bearer <token>'",
}
CHANNELS = "phone, sms, email, chat, social, web, in_person, other"

PostBulk = Callable[..., Any]


def post_one(client: Client, body: Any, token: str | None) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(URL, data=data, content_type="application/json", headers=headers)


def stored_external_ids() -> list[str]:
    return sorted(Interaction.objects.values_list("external_id", flat=True))


# ---- authentication ------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no header"),
        pytest.param("Bearer", id="no token"),
        pytest.param("Bearer cxm_not-a-real-token", id="unknown token"),
        pytest.param("Bearer something-else", id="not a cxm token"),
        pytest.param("Basic YWdlbnQ6cGFzcw==", id="other scheme"),
    ],
)
@pytest.mark.parametrize("url", [URL, BULK_URL])
def test_ingest_without_a_valid_token_is_401_with_a_challenge(
    client: Client, source: Source, url: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = client.post(
        url,
        data=json.dumps(interaction_line()),
        content_type="application/json",
        headers=headers,
    )

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    assert response["WWW-Authenticate"] == 'Bearer realm="cxm"'
    assert Interaction.objects.count() == 0


def test_a_revoked_token_is_401(client: Client, ingest_token: str) -> None:
    connector_services.token_revoke(token=ApiToken.objects.get())

    response = post_one(client, interaction_line(), ingest_token)

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    assert response["WWW-Authenticate"] == 'Bearer realm="cxm"'


@pytest.mark.parametrize("url", [URL, BULK_URL])
def test_a_read_token_cannot_ingest(client: Client, read_token: str, url: str) -> None:
    response = client.post(
        url,
        data=json.dumps(interaction_line()),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {read_token}",
    )

    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "message": "This token's scope 'read' does not allow this operation; "
        "it needs one of: admin, ingest",
    }
    assert Interaction.objects.count() == 0


def test_an_admin_token_may_ingest(client: Client, source: Source) -> None:
    admin = connector_services.token_create(source=source, scope=TokenScope.ADMIN).secret

    response = post_one(client, interaction_line(), admin)

    assert response.status_code == 201


def test_using_a_token_records_when_it_was_last_used(client: Client, ingest_token: str) -> None:
    assert ApiToken.objects.get().last_used_at is None

    post_one(client, interaction_line(), ingest_token)

    assert ApiToken.objects.get().last_used_at is not None


# ---- one interaction -----------------------------------------------------


def test_a_new_interaction_is_201_and_its_replay_200(client: Client, ingest_token: str) -> None:
    first = post_one(client, interaction_line(), ingest_token)
    second = post_one(client, interaction_line(body="changed on resend"), ingest_token)

    interaction = Interaction.objects.get()
    assert first.status_code == 201
    assert first.json() == {
        "status": "accepted",
        "interaction_id": interaction.pk,
        "customer_id": interaction.customer_id,
        "merge_proposals": 0,
    }
    assert second.status_code == 200
    assert second.json() == {
        "status": "duplicate",
        "interaction_id": interaction.pk,
        "customer_id": interaction.customer_id,
        "merge_proposals": 0,
    }
    assert interaction.body == "Since Tuesday the connection drops every evening."
    assert (Customer.objects.count(), Identity.objects.count()) == (1, 4)


def test_a_notice_sent_as_automated_is_kept_as_such_and_read_back(
    client: Client, ingest_token: str, read_token: str
) -> None:
    line = interaction_line(direction="outbound", body="Your bill is ready.", automated=True)
    assert post_one(client, line, ingest_token).status_code == 201

    interaction = Interaction.objects.get()
    assert interaction.automated
    timeline = client.get(
        f"/api/v1/customers/{interaction.customer_id}/timeline",
        headers={"Authorization": f"Bearer {read_token}"},
    ).json()
    assert [item["automated"] for item in timeline["items"]] == [True]


def test_a_pretty_printed_body_is_read_as_one_interaction(
    client: Client, ingest_token: str
) -> None:
    body = json.dumps(interaction_line(), indent=2).encode()

    response = post_one(client, body, ingest_token)

    assert response.status_code == 201
    assert stored_external_ids() == ["48213"]


def test_an_invalid_interaction_is_422_with_every_error(client: Client, ingest_token: str) -> None:
    response = post_one(
        client, interaction_line(channel="fax", customer={"email": "nope"}), ingest_token
    )

    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": f"channel: unknown channel 'fax'; expected one of {CHANNELS}; "
        "customer.email: 'nope' is not a valid email address",
        "errors": [
            {
                "line": 1,
                "field": "channel",
                "message": f"unknown channel 'fax'; expected one of {CHANNELS}",
            },
            {
                "line": 1,
                "field": "customer.email",
                "message": "'nope' is not a valid email address",
            },
        ],
    }
    assert Interaction.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        pytest.param(
            b"",
            [],
            id="empty body",
        ),
        pytest.param(
            b'{"external_id": ',
            [
                {
                    "line": 1,
                    "field": "(line)",
                    "message": "is not valid JSON: unexpected end of data: "
                    "line 1 column 16 (char 15)",
                }
            ],
            id="malformed JSON",
        ),
        pytest.param(
            b"[]",
            [{"line": 1, "field": "(line)", "message": "must be a JSON object, not a list"}],
            id="not an object",
        ),
        pytest.param(
            json.dumps(interaction_line(source="genesys")).encode(),
            [
                {
                    "line": 1,
                    "field": "source",
                    "message": "'genesys' does not match this token's source 'zendesk'",
                }
            ],
            id="another source",
        ),
    ],
)
def test_an_unreadable_body_is_422_not_500(
    client: Client, ingest_token: str, body: bytes, errors: list[dict[str, Any]]
) -> None:
    response = post_one(client, body, ingest_token)

    assert response.status_code == 422
    answer = response.json()
    assert answer["code"] == "invalid"
    assert answer["errors"] == errors
    if not errors:
        assert answer["message"] == "the request body is empty"
    assert Interaction.objects.count() == 0


def test_a_single_interaction_reports_the_merge_proposal_it_raised(
    client: Client, ingest_token: str
) -> None:
    post_one(
        client, interaction_line(external_id="1", customer={"email": "a@example.org"}), ingest_token
    )
    post_one(
        client, interaction_line(external_id="2", customer={"phone": "020 7946 0958"}), ingest_token
    )

    response = post_one(
        client,
        interaction_line(
            external_id="3", customer={"email": "a@example.org", "phone": "020 7946 0958"}
        ),
        ingest_token,
    )

    assert response.status_code == 201
    assert response.json()["merge_proposals"] == 1
    assert MergeProposal.objects.count() == 1


# ---- bulk ----------------------------------------------------------------


def test_bulk_stores_good_lines_and_reports_each_bad_one(post_bulk: PostBulk) -> None:
    lines: list[Any] = [
        interaction_line(external_id="1", customer={"email": "a@example.org"}),
        '{"external_id": "2", ',
        interaction_line(external_id="3", channel="fax", direction="up"),
        "",
        interaction_line(external_id="5", customer={"phone": "020 7946 0958"}),
        interaction_line(external_id="1", customer={"email": "a@example.org"}),
        "42",
    ]

    response = post_bulk(lines)

    assert response.status_code == 200
    assert response.json() == {
        "accepted": 2,
        "duplicates": 1,
        "rejected": 3,
        "merge_proposals": 0,
        "errors": [
            {
                "line": 2,
                "field": "(line)",
                "message": "is not valid JSON: unexpected end of data: line 1 column 21 (char 20)",
            },
            {
                "line": 3,
                "field": "channel",
                "message": f"unknown channel 'fax'; expected one of {CHANNELS}",
            },
            {
                "line": 3,
                "field": "direction",
                "message": "unknown direction 'up'; expected inbound or outbound",
            },
            {"line": 7, "field": "(line)", "message": "must be a JSON object, not a number"},
        ],
    }
    assert stored_external_ids() == ["1", "5"]


def test_bulk_reports_a_latin1_line_and_keeps_the_others(post_bulk: PostBulk) -> None:
    good = json.dumps(interaction_line(external_id="1")).encode()
    latin1 = json.dumps(
        interaction_line(external_id="2", subject="Café"), ensure_ascii=False
    ).encode("latin-1")
    body = good + b"\n" + latin1 + b"\r\n"

    response = post_bulk(body)

    position = latin1.index(b"\xe9")
    assert response.json() == {
        "accepted": 1,
        "duplicates": 0,
        "rejected": 1,
        "merge_proposals": 0,
        "errors": [
            {
                "line": 2,
                "field": "(line)",
                "message": f"is not valid UTF-8 (byte 0xe9 at position {position}); "
                "CXM reads UTF-8 text",
            }
        ],
    }
    assert stored_external_ids() == ["1"]


def test_bulk_replay_answers_all_duplicates_and_stores_nothing(post_bulk: PostBulk) -> None:
    lines = [
        interaction_line(external_id=str(n), customer={"email": f"c{n % 2}@example.org"})
        for n in range(5)
    ]
    first = post_bulk(lines)
    counts = (Interaction.objects.count(), Customer.objects.count(), Identity.objects.count())

    second = post_bulk(lines)

    assert first.json() == {
        "accepted": 5,
        "duplicates": 0,
        "rejected": 0,
        "merge_proposals": 0,
        "errors": [],
    }
    assert second.json() == {
        "accepted": 0,
        "duplicates": 5,
        "rejected": 0,
        "merge_proposals": 0,
        "errors": [],
    }
    assert counts == (5, 2, 2)
    assert (Interaction.objects.count(), Customer.objects.count(), Identity.objects.count()) == (
        counts
    )


def test_bulk_counts_the_merge_proposals_it_raised(post_bulk: PostBulk) -> None:
    response = post_bulk(
        [
            interaction_line(external_id="1", customer={"email": "a@example.org"}),
            interaction_line(external_id="2", customer={"phone": "020 7946 0958"}),
            interaction_line(
                external_id="3", customer={"email": "a@example.org", "phone": "020 7946 0958"}
            ),
        ]
    )

    assert response.json()["merge_proposals"] == 1


def test_bulk_of_exactly_10000_lines_is_accepted(post_bulk: PostBulk) -> None:
    good = json.dumps(interaction_line()).encode()
    body = b"\n" * 9_999 + good + b"\n"

    response = post_bulk(body)

    assert response.status_code == 200
    assert response.json()["accepted"] == 1


def test_bulk_of_more_than_10000_lines_is_413_and_stores_nothing(post_bulk: PostBulk) -> None:
    good = json.dumps(interaction_line()).encode()
    body = b"\n" * 10_000 + good

    response = post_bulk(body)

    assert response.status_code == 413
    assert response.json() == {
        "code": "too_many_lines",
        "message": "this batch has 10001 lines; send at most 10000 per request",
    }
    assert Interaction.objects.count() == 0


def test_a_body_over_the_server_limit_is_413(post_bulk: PostBulk, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = post_bulk([interaction_line(body="x" * 2000)])

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert Interaction.objects.count() == 0


# ---- OpenAPI -------------------------------------------------------------


def test_the_openapi_schema_is_served_without_a_token(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "CXM API"
    assert {path: sorted(ops) for path, ops in schema["paths"].items()} == {
        "/api/v1/interactions": ["post"],
        "/api/v1/interactions/bulk": ["post"],
        "/api/v1/customers": ["get"],
        "/api/v1/customers/{customer_id}": ["get"],
        "/api/v1/customers/{customer_id}/timeline": ["get"],
        "/api/v1/customers/{customer_id}/export": ["get"],
        "/api/v1/customers/{customer_id}/erase": ["post"],
        "/api/v1/customers/{customer_id}/links": ["get"],
        "/api/v1/merge-proposals": ["get"],
        "/api/v1/merge-proposals/{proposal_id}": ["get"],
        "/api/v1/merge-proposals/{proposal_id}/accept": ["post"],
        "/api/v1/merge-proposals/{proposal_id}/reject": ["post"],
        "/api/v1/merges/{event_id}/undo": ["post"],
        "/api/v1/surveys": ["get", "post"],
        "/api/v1/surveys/{survey_id}/invitations": ["post"],
        "/api/v1/surveys/{survey_id}/summary": ["get"],
        "/api/v1/follow-ups": ["get"],
        "/api/v1/follow-ups/{follow_up_id}/close": ["post"],
        "/api/v1/sentiment/labels": ["post"],
        "/api/v1/sentiment/model/train": ["post"],
        "/api/v1/sentiment/model": ["get"],
        "/api/v1/topics": ["get"],
        "/api/v1/topics/discover": ["post"],
        "/api/v1/topics/suggestions": ["get"],
        "/api/v1/topics/suggestions/{suggestion_id}/adopt": ["post"],
        "/api/v1/topics/{key}": ["delete", "put"],
        "/api/v1/cases/queue": ["get"],
        "/api/v1/cases/{case_id}": ["get"],
        "/api/v1/cases/{case_id}/status": ["post"],
        "/api/v1/cases/{case_id}/triage": ["post"],
        "/api/v1/cases/{case_id}/assign": ["post"],
        "/api/v1/cases/{case_id}/replies": ["post"],
        "/api/v1/cases/{case_id}/split": ["post"],
        "/api/v1/cases/{case_id}/merge": ["post"],
        "/api/v1/sla-policies": ["get"],
        "/api/v1/sla-policies/{channel}/{priority}": ["delete", "put"],
        "/api/v1/business-hours": ["get", "put"],
        "/api/v1/fairness-audit": ["get"],
        "/api/v1/charter": ["get"],
        "/api/v1/charter/{channel}": ["delete", "put"],
        "/api/v1/scorecards": ["get"],
        "/api/v1/promises": ["get", "post"],
        "/api/v1/promises/bulk": ["post"],
        "/api/v1/promises/{promise_id}": ["get"],
        "/api/v1/promises/{promise_id}/deliver": ["post"],
        "/api/v1/promises/{promise_id}/break": ["post"],
        "/api/v1/promises/{promise_id}/renegotiate": ["post"],
        "/api/v1/promises/{promise_id}/owner": ["post"],
        "/api/v1/promise-suggestions": ["get"],
        "/api/v1/promise-suggestions/{promise_suggestion_id}/confirm": ["post"],
        "/api/v1/promise-suggestions/{promise_suggestion_id}/dismiss": ["post"],
        "/api/v1/promise-alerts": ["get"],
        "/api/v1/promise-alerts/{alert_id}/acknowledge": ["post"],
        "/api/v1/promise-keeping": ["get"],
        "/api/v1/promise-lead-times": ["get"],
        "/api/v1/promise-lead-times/{kind}": ["put"],
        "/api/v1/customers/{customer_id}/journey": ["get"],
        "/api/v1/customers/{customer_id}/stage": ["post"],
        "/api/v1/customers/{customer_id}/health": ["get"],
        "/api/v1/customers/{customer_id}/purchases": ["post"],
        "/api/v1/purchases/bulk": ["post"],
        "/api/v1/purchases/{purchase_id}/milestones/{key}": ["post"],
        "/api/v1/purchases/{purchase_id}/end": ["post"],
        "/api/v1/gaps": ["get"],
        "/api/v1/journey": ["get"],
        "/api/v1/time-to-value": ["get"],
        "/api/v1/milestones": ["get"],
        "/api/v1/milestones/{product}/{key}": ["delete", "put"],
        "/api/v1/stage-rules": ["get", "post"],
        "/api/v1/stage-rules/{rule_id}": ["delete", "put"],
        "/api/v1/health-weights": ["get"],
        "/api/v1/health-weights/{component}": ["put"],
    }
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    bulk = schema["paths"]["/api/v1/interactions/bulk"]["post"]
    assert list(bulk["requestBody"]["content"]) == ["application/x-ndjson"]
    assert sorted(bulk["responses"]) == ["200", "401", "403", "413", "429"]


def test_every_schema_of_the_api_has_a_name_of_its_own() -> None:
    # The OpenAPI components are named by class: two schemas of one name across the
    # apps would describe one operation's answer with the other's fields.
    import ninja

    import cxm.api  # noqa: F401  (loads every app's API module)

    def subclasses(cls: type) -> list[type]:
        found = []
        for sub in cls.__subclasses__():
            found += [sub, *subclasses(sub)]
        return found

    names: dict[str, set[str]] = {}
    for schema in subclasses(ninja.Schema):
        if schema.__module__.startswith("cxm."):
            names.setdefault(schema.__name__, set()).add(schema.__module__)
    assert {name: sorted(mods) for name, mods in names.items() if len(mods) > 1} == {}
