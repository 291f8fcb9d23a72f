"""POST /api/v1/inbound/messages/batch: validate all, store all in one transaction, answer in order."""

import json

import pytest
import requests

from blockdesk.api import NOT_JSON
from blockdesk.api_auth import BATCH_MAX_BYTES, NO_CHANNEL_TOKEN
from tickets import api as tickets_api
from tickets.models import Message, Ticket

from .conftest import API, bearer, message


@pytest.fixture
def post_batch(live_server, channel_token):
    def send(body, *, token=channel_token):
        data = json.dumps(body) if isinstance(body, dict | list) else body
        headers = {"Content-Type": "application/json", **(bearer(token) if token else {})}
        url = f"{live_server.url}{API}/inbound/messages/batch"
        return requests.post(url, data=data, headers=headers, timeout=30)

    return send


@pytest.mark.django_db(transaction=True)
def test_results_come_in_order_each_as_the_single_endpoint_would(post_batch, channel_token, live_server):
    earlier = requests.post(
        f"{live_server.url}{API}/inbound/messages", json=message("m0"), headers=bearer(channel_token), timeout=10
    ).json()
    batch = [message("m1", "+621"), message("m2", "+622"), message("m1", "+621"), message("m0"), message("m3", "+621")]

    response = post_batch({"messages": batch})

    assert response.status_code == 201
    results = response.json()["results"]
    assert [r["duplicate"] for r in results] == [False, False, True, True, False]
    assert results[2] == {**results[0], "duplicate": True}
    assert results[3] == {**earlier, "duplicate": True}
    assert results[4]["ticket"] == results[0]["ticket"]
    assert results[1]["ticket"] != results[0]["ticket"]
    assert all(set(r) == {"message", "ticket", "contact", "status", "rejected_by", "duplicate"} for r in results)
    assert Message.objects.count() == 4
    assert Ticket.objects.get(pk=results[0]["ticket"]).message_count == 2


@pytest.mark.django_db(transaction=True)
def test_repeating_a_whole_batch_answers_200(post_batch):
    batch = {"messages": [message("m1"), message("m2")]}
    first = post_batch(batch)

    again = post_batch(batch)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["results"] == [{**r, "duplicate": True} for r in first.json()["results"]]


@pytest.mark.django_db(transaction=True)
def test_one_invalid_item_refuses_the_batch_naming_index_and_field(post_batch):
    batch = [message(f"m{i}") for i in range(5)]
    batch[3]["text"] = ""
    del batch[1]["contact"]["id"]

    response = post_batch({"messages": batch})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["messages[1].contact.id", "messages[3].text"]
    assert "messages[3].text" in response.json()["detail"]
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("count", "status"), [(0, 422), (1, 201), (100, 201), (101, 422)])
def test_a_batch_holds_1_to_100_messages(post_batch, count, status):
    response = post_batch({"messages": [message(f"m{i}", f"+62{i % 7}") for i in range(count)]})

    assert response.status_code == status
    if status == 422:
        assert response.json()["errors"][0]["field"] == "messages"
        assert not Message.objects.exists()
    else:
        assert Message.objects.count() == count


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("body", ["nope", "[]", "", '{"messages": '])
def test_body_that_is_not_a_json_object_answers_400(post_batch, body):
    response = post_batch(body)

    assert response.status_code == 400
    assert response.json() == {"detail": NOT_JSON}


@pytest.mark.django_db(transaction=True)
def test_missing_messages_key_answers_422(post_batch):
    response = post_batch({"message": []})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "messages"


@pytest.mark.django_db(transaction=True)
def test_without_a_token_answers_401(post_batch):
    response = post_batch({"messages": [message()]}, token=None)

    assert response.status_code == 401
    assert response.json() == {"detail": NO_CHANNEL_TOKEN}


@pytest.mark.django_db(transaction=True)
def test_body_over_1_mib_answers_413(post_batch):
    padding = "x" * (BATCH_MAX_BYTES // 100)
    response = post_batch({"messages": [message(f"m{i}", padding=padding) for i in range(100)]})

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 1024 KiB."}
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_batch_over_64_kib_but_under_1_mib_is_accepted(post_batch):
    messages = [message(f"m{i}", text="x" * 9_000) for i in range(20)]

    assert post_batch({"messages": messages}).status_code == 201


def test_a_failure_part_way_stores_nothing(client, channel_token, monkeypatch):
    real_route = tickets_api.route_inbound_batch

    def fail_after_storing(**kwargs):
        real_route(**kwargs)  # the rows are written, the transaction still open
        raise RuntimeError("disk full")

    monkeypatch.setattr(tickets_api, "route_inbound_batch", fail_after_storing)
    body = {"messages": [message(f"m{i}", f"+62{i}") for i in range(4)]}

    url = f"{API}/inbound/messages/batch"
    response = client.post(url, json.dumps(body), content_type="application/json", headers=bearer(channel_token))

    assert response.status_code == 500
    assert "detail" in response.json()
    assert not Message.objects.exists()
    assert not Ticket.objects.exists()
