"""The OpenAPI document and the interactive docs."""

import pytest
import requests

from .conftest import API

pytestmark = pytest.mark.django_db


def test_openapi_document_is_public_and_describes_both_token_kinds(client):
    response = client.get(f"{API}/openapi.json")

    assert response.status_code == 200
    document = response.json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["ChannelToken"]["scheme"] == "bearer"
    assert schemes["PersonalToken"]["scheme"] == "bearer"
    assert "X-BlockDesk-Signature" in schemes["ChannelToken"]["description"]
    inbound = document["paths"][f"{API}/inbound/messages"]["post"]
    assert inbound["security"] == [{"ChannelToken": []}]
    assert document["paths"][f"{API}/contacts"]["get"]["security"] == [{"PersonalToken": []}]
    assert document["paths"][f"{API}/tickets/{{ticket_id}}/bot-reply"]["post"]["security"] == [{"BotSecret": []}]
    handover = document["paths"][f"{API}/tickets/{{ticket_id}}/handover"]["post"]
    assert handover["security"] == [{"BotSecret": []}, {"PersonalToken": []}]


def test_every_operation_documents_its_answers_with_a_schema(client):
    document = client.get(f"{API}/openapi.json").json()

    operations = [(path, method, op) for path, item in document["paths"].items() for method, op in item.items()]
    assert len(operations) == 32
    assert {(path, method) for path, method, _ in operations} >= {
        (f"{API}/contacts/{{contact_id}}", "patch"),
        (f"{API}/contacts/{{contact_id}}/merge", "post"),
        (f"{API}/contacts/bulk-block", "post"),
        (f"{API}/search", "get"),
        (f"{API}/messages/{{message_id}}/retry", "post"),
        (f"{API}/outbound/receipts", "post"),
        (f"{API}/tickets/{{ticket_id}}/bot-reply", "post"),
        (f"{API}/tickets/{{ticket_id}}/reopen", "post"),
        (f"{API}/saved-replies", "get"),
        (f"{API}/rules", "get"),
        (f"{API}/rules", "post"),
        (f"{API}/rules/{{rule_id}}", "get"),
        (f"{API}/rules/{{rule_id}}", "patch"),
        (f"{API}/rules/{{rule_id}}", "delete"),
        (f"{API}/spam/overview", "get"),
        (f"{API}/suspected", "get"),
        (f"{API}/suspected/{{flag_id}}/dismiss", "post"),
        (f"{API}/suspected/{{flag_id}}/block", "post"),
    }
    for path, method, operation in operations:
        codes = set(operation["responses"])
        assert "401" in codes, (path, method)
        for code, answer in operation["responses"].items():
            assert answer["content"]["application/json"]["schema"], (path, method, code)


def test_inbound_documents_every_refusal(client):
    document = client.get(f"{API}/openapi.json").json()

    for path in ("/inbound/messages", "/inbound/messages/batch"):
        codes = set(document["paths"][f"{API}{path}"]["post"]["responses"])
        assert codes == {"200", "201", "400", "401", "413", "422", "429", "503"}


def test_docs_send_anonymous_visitors_to_the_login_page(client):
    response = client.get(f"{API}/docs")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_docs_are_shown_to_signed_in_staff(client, agent):
    client.force_login(agent)

    response = client.get(f"{API}/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content


@pytest.mark.django_db(transaction=True)
def test_openapi_document_over_real_http(live_server):
    response = requests.get(f"{live_server.url}{API}/openapi.json", timeout=10)

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "BlockDesk API"
