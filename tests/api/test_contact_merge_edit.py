"""API: POST /contacts/{id}/merge and PATCH /contacts/{id}: answers, refusals, state; a merged id answers 404."""

import json

import pytest

from blockdesk import errors
from contacts.access import CONTACT_NOT_FOUND
from contacts.models import AuditEntry, Contact
from tests.inbound import deliver

from .conftest import API, bearer

pytestmark = pytest.mark.django_db


def _send(client, method, url, body, token):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json", headers=bearer(token))


@pytest.fixture
def pair(channel):
    survivor = deliver(channel, "+6281100000001", "first", name="Budi").contact
    merged = deliver(channel, "+6281100000002", "second", name="Budi S").contact
    return survivor, merged


def test_a_supervisor_merges_and_the_merged_id_then_answers_404_with_the_survivor(client, supervisor, token_for, pair):
    survivor, merged = pair
    token = token_for(supervisor)

    response = _send(client, "post", f"{API}/contacts/{survivor.pk}/merge", {"other": merged.pk}, token)

    assert response.status_code == 200
    body = response.json()
    assert (body["merged"], body["identities"], body["tickets"], body["tickets_joined"]) == (merged.pk, 1, 0, 1)
    assert body["contact"]["id"] == survivor.pk
    gone = client.get(f"{API}/contacts/{merged.pk}", headers=bearer(token))
    assert gone.status_code == 404
    assert gone.json() == {"detail": errors.MERGED_AWAY.format(survivor=survivor.pk), "merged_into": survivor.pk}
    listed = client.get(f"{API}/contacts?q=Budi", headers=bearer(token)).json()
    assert [c["id"] for c in listed["items"]] == [survivor.pk] and listed["count"] == 1


def test_an_agent_gets_403_and_nothing_moves(client, agent, token_for, pair):
    survivor, merged = pair

    response = _send(client, "post", f"{API}/contacts/{survivor.pk}/merge", {"other": merged.pk}, token_for(agent))

    assert response.status_code == 403
    assert response.json()["detail"] == errors.NO_PERMISSION_MERGE
    assert Contact.objects.get(pk=merged.pk).merged_into_id is None


def test_merge_refusals(client, supervisor, token_for, pair):
    survivor, merged = pair
    token = token_for(supervisor)
    url = f"{API}/contacts/{survivor.pk}/merge"

    itself = _send(client, "post", url, {"other": survivor.pk}, token)
    unknown = _send(client, "post", url, {"other": 999999}, token)
    bad = _send(client, "post", url, {"other": "x"}, token)

    assert (itself.status_code, itself.json()["detail"]) == (422, errors.MERGE_WITH_ITSELF)
    assert (unknown.status_code, unknown.json()["detail"]) == (404, CONTACT_NOT_FOUND)
    assert bad.status_code == 422
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.MERGED).exists()


def test_an_administrator_edits_and_each_change_is_audited(client, administrator, token_for, pair):
    contact, _ = pair
    body = {"name": "Budi Santoso", "phone": "0812-3456-7890"}

    response = _send(client, "patch", f"{API}/contacts/{contact.pk}", body, token_for(administrator))

    assert response.status_code == 200
    assert response.json()["changed"] == ["name", "phone"]
    assert response.json()["contact"]["phone"] == "+6281234567890"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EDITED, contact=contact).count() == 2


@pytest.mark.parametrize(
    ("body", "detail"), [({"phone": "not a phone"}, errors.INVALID_PHONE), ({"email": "x@"}, errors.INVALID_EMAIL)]
)
def test_an_invalid_edit_is_422_and_changes_nothing(client, administrator, token_for, pair, body, detail):
    contact, _ = pair

    response = _send(client, "patch", f"{API}/contacts/{contact.pk}", body, token_for(administrator))

    assert (response.status_code, response.json()["detail"]) == (422, detail)
    assert Contact.objects.get(pk=contact.pk).phone == contact.phone
    assert not AuditEntry.objects.exists()


def test_a_supervisor_may_not_edit(client, supervisor, token_for, pair):
    contact, _ = pair

    response = _send(client, "patch", f"{API}/contacts/{contact.pk}", {"name": "X"}, token_for(supervisor))

    assert (response.status_code, response.json()["detail"]) == (403, errors.NO_PERMISSION_EDIT_CONTACT)
    assert Contact.objects.get(pk=contact.pk).name == "Budi"
