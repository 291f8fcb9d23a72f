"""Staff API for block rules (/api/v1/rules): personas, filters, errors as JSON, and the database after."""

import json

import pytest

from contacts import block_rules
from contacts.block_rules import create_rule
from contacts.models import AuditEntry, Channel
from contacts.rule_values import RULE_EMAIL_INVALID
from contacts.spam_models import BlockRule
from settings_app.models import SystemSettings
from tests import factories

pytestmark = pytest.mark.django_db

RULES = "/api/v1/rules"


def version() -> int:
    return SystemSettings.load().rules_version


def rule_rows() -> list:
    return list(BlockRule.objects.order_by("pk").values_list("kind", "value", "action", "channel", "note"))


def send(client, method: str, url: str, body=None):
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(url, data, content_type="application/json")


@pytest.fixture
def rule(supervisor):
    return create_rule(actor=supervisor, kind="domain", value="spam.example", action="quarantine", note="casino")


NEW = {"kind": "email", "value": "Bot@Spam.io", "action": "reject"}


def _calls(rule) -> dict:
    one = f"{RULES}/{rule.pk}"
    return {
        "list": ("get", RULES, None),
        "show": ("get", one, None),
        "add": ("post", RULES, NEW),
        "change": ("patch", one, {"action": "allow"}),
        "delete": ("delete", one, None),
    }


HAPPY = {"list": 200, "show": 200, "add": 201, "change": 200, "delete": 200}
AGENT_REFUSAL = {
    "list": block_rules.NO_PERMISSION_VIEW_RULES,
    "show": block_rules.NO_PERMISSION_VIEW_RULES,
    "add": block_rules.NO_PERMISSION_ADD_RULE,
    "change": block_rules.NO_PERMISSION_VIEW_RULES,  # may not see the rule, so may not change it
    "delete": block_rules.NO_PERMISSION_VIEW_RULES,
}


@pytest.mark.parametrize("call", list(HAPPY))
@pytest.mark.parametrize("persona", ["supervisor", "administrator"])
def test_supervisors_and_administrators_may(request, as_user, rule, call, persona):
    method, url, body = _calls(rule)[call]
    response = send(as_user(request.getfixturevalue(persona)), method, url, body)
    assert response.status_code == HAPPY[call], response.content


@pytest.mark.parametrize("call", list(HAPPY))
def test_an_agent_is_refused_and_nothing_changes(as_user, agent, rule, call):
    method, url, body = _calls(rule)[call]
    before = (version(), rule_rows())
    response = send(as_user(agent), method, url, body)
    assert response.status_code == 403
    assert response.json() == {"detail": AGENT_REFUSAL[call]}
    assert (version(), rule_rows()) == before


@pytest.mark.parametrize("call", list(HAPPY))
def test_without_a_token_401(client, rule, call):
    method, url, body = _calls(rule)[call]
    assert send(client, method, url, body).status_code == 401


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_an_unknown_rule_is_404(as_user, supervisor, method):
    response = send(as_user(supervisor), method, f"{RULES}/999999", {"note": "x"} if method == "patch" else None)
    assert response.status_code == 404
    assert response.json() == {"detail": block_rules.RULE_NOT_FOUND}


def test_list_filters_searches_and_pages(as_user, supervisor, rule, channel):
    create_rule(actor=supervisor, kind="email", value="boss@partner.io", action="allow")
    create_rule(actor=supervisor, kind="address", value="+628111", action="reject", channel=channel)
    client = as_user(supervisor)

    def values(query: str) -> tuple[list[str], int]:
        body = client.get(f"{RULES}?{query}").json()
        return [item["value"] for item in body["items"]], body["count"]

    assert values("") == (["+628111", "boss@partner.io", "spam.example"], 3)
    assert values("action=allow") == (["boss@partner.io"], 1)
    assert values("kind=domain") == (["spam.example"], 1)
    assert values("q=PARTNER") == (["boss@partner.io"], 1)
    assert values("limit=1&offset=1") == (["boss@partner.io"], 3)
    assert client.get(f"{RULES}?action=explode").status_code == 422


def test_a_rule_as_json(as_user, supervisor, channel):
    made = create_rule(actor=supervisor, kind="address", value="+628111", action="reject", channel=channel)
    BlockRule.objects.filter(pk=made.pk).update(hits=7)

    body = as_user(supervisor).get(f"{RULES}/{made.pk}").json()

    assert body["id"] == made.pk
    assert (body["kind"], body["value"], body["action"], body["hits"], body["last_hit_at"]) == (
        "address",
        "+628111",
        "reject",
        7,
        None,
    )
    assert body["channel"] == {"id": channel.pk, "name": channel.name, "kind": channel.kind}
    assert body["created_by"]["username"] == supervisor.username


def test_add_normalises_audits_and_renews_the_version(as_user, supervisor):
    before = version()

    response = send(as_user(supervisor), "post", RULES, {**NEW, "note": "bots"})

    assert response.status_code == 201
    body = response.json()
    assert (body["value"], body["note"], body["channel"]) == ("bot@spam.io", "bots", None)
    assert rule_rows() == [("email", "bot@spam.io", "reject", None, "bots")]
    assert version() != before
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RULE_CREATED)
    assert (entry.actor, entry.subject) == (supervisor, f"Rule {body['id']}: reject e-mail address bot@spam.io")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({**NEW, "value": "not an address"}, RULE_EMAIL_INVALID),
        ({**NEW, "channel": "{channel}"}, block_rules.RULE_CHANNEL_ONLY_ADDRESS),
        ({**NEW, "kind": "address", "channel": 999999}, block_rules.RULE_CHANNEL_UNKNOWN),
        ({**NEW, "action": "explode"}, None),
        ({**NEW, "kind": "colour"}, None),
        ({**NEW, "value": ""}, None),
        ({**NEW, "note": "x" * 501}, None),
        ({"kind": "email"}, None),
    ],
)
def test_a_bad_rule_is_422_and_nothing_changes(as_user, supervisor, channel, body, detail):
    if body.get("channel") == "{channel}":
        body = {**body, "channel": channel.pk}
    before = version()
    response = send(as_user(supervisor), "post", RULES, body)
    assert response.status_code == 422
    if detail:
        assert response.json()["detail"] == detail
    assert (version(), rule_rows()) == (before, [])


def test_a_duplicate_is_409_naming_the_rule(as_user, supervisor, rule):
    response = send(as_user(supervisor), "post", RULES, {"kind": "domain", "value": "SPAM.example", "action": "allow"})
    assert response.status_code == 409
    assert response.json()["detail"] == block_rules.RULE_DUPLICATE.format(
        number=rule.pk, what="e-mail domain spam.example"
    )
    assert BlockRule.objects.count() == 1


def test_a_body_that_is_not_json_is_400(as_user, supervisor):
    response = as_user(supervisor).post(RULES, "nope", content_type="application/json")
    assert response.status_code == 400


def test_patch_changes_only_what_is_sent(as_user, supervisor, rule):
    before = version()

    response = send(as_user(supervisor), "patch", f"{RULES}/{rule.pk}", {"action": "reject"})

    assert response.status_code == 200
    assert (response.json()["action"], response.json()["value"], response.json()["note"]) == (
        "reject",
        "spam.example",
        "casino",
    )
    assert version() != before
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RULE_CHANGED)
    assert entry.change == "action: Quarantine → Reject"


def test_patch_moves_an_address_rule_between_a_channel_and_every_channel(as_user, supervisor):
    whatsapp = factories.ChannelFactory(kind=Channel.Kind.WHATSAPP)
    made = create_rule(actor=supervisor, kind="address", value="+6281234567890", action="reject")
    client = as_user(supervisor)

    moved = send(client, "patch", f"{RULES}/{made.pk}", {"channel": whatsapp.pk}).json()
    kept = send(client, "patch", f"{RULES}/{made.pk}", {"note": "still there"}).json()
    back = send(client, "patch", f"{RULES}/{made.pk}", {"channel": None}).json()

    assert moved["channel"]["id"] == whatsapp.pk
    assert kept["channel"]["id"] == whatsapp.pk
    assert back["channel"] is None


def test_a_bad_patch_is_422_and_nothing_changes(as_user, supervisor, rule):
    before = (version(), rule_rows())
    client = as_user(supervisor)
    assert send(client, "patch", f"{RULES}/{rule.pk}", {"value": "no"}).status_code == 422
    assert send(client, "patch", f"{RULES}/{rule.pk}", {"channel": 999999}).status_code == 422
    kind = send(client, "patch", f"{RULES}/{rule.pk}", {"kind": "email", "hits": 0})
    assert kind.status_code == 422
    assert {error["field"] for error in kind.json()["errors"]} == {"kind", "hits"}
    assert (version(), rule_rows()) == before


def test_delete(as_user, supervisor, rule):
    before = version()

    response = send(as_user(supervisor), "delete", f"{RULES}/{rule.pk}")

    assert response.json() == {"deleted": rule.pk}
    assert not BlockRule.objects.exists()
    assert version() != before
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RULE_DELETED, actor=supervisor).count() == 1
    assert send(as_user(supervisor), "delete", f"{RULES}/{rule.pk}").status_code == 404
