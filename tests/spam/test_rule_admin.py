"""Block rules in Django admin: saved and deleted through contacts.block_rules (audit, rules_version),
errors on the form with nothing changed, hits read-only."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils.html import escape

from contacts import block_rules
from contacts.block_rules import create_rule
from contacts.models import AuditEntry
from contacts.rule_values import RULE_DOMAIN_INVALID
from contacts.spam_models import BlockRule
from settings_app.models import SystemSettings
from tests import factories

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:contacts_blockrule_changelist")
ADD = reverse("admin:contacts_blockrule_add")


def version() -> int:
    return SystemSettings.load().rules_version


def rule_rows() -> list:
    return list(BlockRule.objects.order_by("pk").values_list("kind", "value", "action", "channel", "note", "hits"))


def change_url(rule) -> str:
    return reverse("admin:contacts_blockrule_change", args=[rule.pk])


@pytest.fixture
def staff_supervisor(db):
    return factories.SupervisorFactory(username="staff-sup", is_staff=True)


@pytest.fixture
def staff_agent(db):
    return factories.AgentFactory(username="staff-agent", is_staff=True)


@pytest.fixture
def rule(administrator):
    return create_rule(actor=administrator, kind="domain", value="spam.example", action="quarantine")


def form(**fields) -> dict:
    return {"kind": "domain", "value": "", "action": "quarantine", "channel": "", "note": "", **fields}


@pytest.mark.parametrize(
    ("persona", "status"), [("administrator", 200), ("staff_supervisor", 200), ("staff_agent", 403)]
)
def test_who_sees_the_rules_in_admin(request, client, rule, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(CHANGELIST).status_code == status
    assert client.get(ADD).status_code == status
    assert client.get(change_url(rule)).status_code == status


def test_the_changelist_shows_hits_and_last_hit(client, administrator, rule):
    BlockRule.objects.filter(pk=rule.pk).update(hits=41)
    client.force_login(administrator)
    page = client.get(CHANGELIST).content.decode()
    assert "spam.example" in page and "41" in page and "last hit" in page.lower()


def test_adding_goes_through_the_domain_verb(client, staff_supervisor):
    client.force_login(staff_supervisor)
    before = version()

    response = client.post(ADD, form(kind="phone_prefix", value="+62 (812)", action="reject", note="robocalls"))

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else None
    assert rule_rows() == [("phone_prefix", "+62812", "reject", None, "robocalls", 0)]
    rule = BlockRule.objects.get()
    assert rule.created_by == staff_supervisor
    assert version() != before
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RULE_CREATED)
    assert (entry.actor, entry.subject) == (staff_supervisor, f"Rule {rule.pk}: reject phone prefix +62812")


@pytest.mark.parametrize(
    ("fields", "field", "error"),
    [
        ({"value": "not a domain"}, "value", RULE_DOMAIN_INVALID),
        (
            {"kind": "email", "value": "a@spam.io", "channel": "{channel}"},
            "channel",
            block_rules.RULE_CHANNEL_ONLY_ADDRESS,
        ),
        ({"value": "SPAM.example"}, "value", "{duplicate}"),
    ],
)
def test_a_bad_rule_is_an_error_on_the_form_and_changes_nothing(
    client, administrator, rule, channel, fields, field, error
):
    client.force_login(administrator)
    fields = {key: value.format(channel=channel.pk) for key, value in fields.items()}
    error = error.format(duplicate=block_rules.RULE_DUPLICATE.format(number=rule.pk, what="e-mail domain spam.example"))
    before = (version(), rule_rows())

    response = client.post(ADD, form(**fields))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [error]
    assert escape(error) in response.content.decode()
    assert (version(), rule_rows()) == before


def test_changing_goes_through_the_domain_verb_and_keeps_kind_and_hits(client, administrator, rule):
    BlockRule.objects.filter(pk=rule.pk).update(hits=5)
    client.force_login(administrator)
    before = version()

    response = client.post(change_url(rule), form(kind="email", value="Junk.example", action="allow", hits="99"))

    assert response.status_code == 302
    assert rule_rows() == [("domain", "junk.example", "allow", None, "", 5)]
    assert version() != before
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RULE_CHANGED)
    assert entry.change == "value: spam.example → junk.example; action: Quarantine → Allow"


def test_a_bad_change_changes_nothing(client, administrator, rule):
    client.force_login(administrator)
    before = (version(), rule_rows())
    response = client.post(change_url(rule), form(value="nope", action="reject"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["value"] == [RULE_DOMAIN_INVALID]
    assert (version(), rule_rows()) == before


def test_deleting_one_goes_through_the_domain_verb(client, administrator, rule):
    client.force_login(administrator)
    before = version()

    response = client.post(reverse("admin:contacts_blockrule_delete", args=[rule.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not BlockRule.objects.exists()
    assert version() != before
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RULE_DELETED, actor=administrator).count() == 1


def test_deleting_selected_audits_each(client, staff_supervisor, rule):
    other = create_rule(actor=staff_supervisor, kind="email", value="a@b.io", action="reject")
    client.force_login(staff_supervisor)
    before = version()

    response = client.post(
        CHANGELIST, {"action": "delete_selected", ACTION_CHECKBOX_NAME: [rule.pk, other.pk], "post": "yes"}
    )

    assert response.status_code == 302
    assert not BlockRule.objects.exists()
    assert version() != before
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RULE_DELETED).count() == 2


def test_an_agent_cannot_delete_in_admin(client, staff_agent, rule):
    client.force_login(staff_agent)
    response = client.post(reverse("admin:contacts_blockrule_delete", args=[rule.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert BlockRule.objects.count() == 1


def test_a_twin_saved_between_the_forms_check_and_the_save_is_a_message_not_a_500(
    client, staff_supervisor, monkeypatch
):
    """Two people add the same rule at once: the second's form checked before the first's save committed."""
    from contacts import rule_admin

    client.force_login(staff_supervisor)
    # The form's checks ran before the twin was saved: they found nothing.
    monkeypatch.setattr(rule_admin, "check_rule", lambda **fields: fields["value"])
    monkeypatch.setattr(BlockRule, "validate_constraints", lambda self, exclude=None: None)
    create_rule(actor=staff_supervisor, kind="email", value="bot@spam.io", action="reject")

    response = client.post(ADD, form(kind="email", value="bot@spam.io", action="reject"), follow=True)

    assert response.status_code == 200, response.redirect_chain
    assert [str(m) for m in response.context["messages"]] == [
        block_rules.RULE_DUPLICATE.format(number=BlockRule.objects.get().pk, what="e-mail address bot@spam.io")
    ]
    assert BlockRule.objects.count() == 1
