"""The Block rules pages (/spam/rules/): list, add, edit, delete — personas, form errors, database after."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from contacts import block_rules
from contacts.block_rules import create_rule
from contacts.models import AuditEntry, Channel
from contacts.rule_values import RULE_PHONE_PREFIX_INVALID
from contacts.spam_models import BlockRule
from settings_app.models import SystemSettings
from spam.rule_forms import PRECEDENCE_HELP
from tests import factories

pytestmark = pytest.mark.django_db

LIST = reverse("spam:rules")
ADD = reverse("spam:rule_add")


def version() -> int:
    return SystemSettings.load().rules_version


def rule_rows() -> list:
    return list(BlockRule.objects.order_by("pk").values_list("kind", "value", "action", "channel", "note"))


@pytest.fixture
def rule(supervisor):
    return create_rule(actor=supervisor, kind="domain", value="spam.example", action="quarantine", note="casino")


def edit_url(rule) -> str:
    return reverse("spam:rule_edit", args=[rule.pk])


def delete_url(rule) -> str:
    return reverse("spam:rule_delete", args=[rule.pk])


# --- Who may -------------------------------------------------------------------------------------

PAGES = ["list", "add", "edit", "delete"]


def _url(page: str, rule) -> str:
    return {"list": LIST, "add": ADD, "edit": edit_url(rule), "delete": delete_url(rule)}[page]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(("persona", "status"), [("administrator", 200), ("supervisor", 200), ("agent", 403)])
def test_supervisors_and_administrators_see_each_page(request, client, rule, page, persona, status):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(_url(page, rule))
    assert response.status_code == status
    if status == 403:
        refusal = block_rules.VERB_PERMISSIONS[{"list": "view", "edit": "change"}.get(page, page)][1]
        assert escape(refusal) in response.content.decode()
    else:
        assert 'aria-current="page">Block rules</a>' in response.content.decode()


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_goes_to_login(client, rule, page):
    response = client.get(_url(page, rule))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("page", ["edit", "delete"])
def test_an_unknown_rule_is_the_404_page(logged_in, supervisor, page):
    response = logged_in(supervisor).get(reverse(f"spam:rule_{page}", args=[999999]))
    assert response.status_code == 404
    assert escape(block_rules.RULE_NOT_FOUND) in response.content.decode()


def test_the_list_is_read_only(logged_in, supervisor):
    assert logged_in(supervisor).post(LIST).status_code == 405


@pytest.mark.parametrize("page", ["add", "edit", "delete"])
def test_an_agents_post_changes_nothing(logged_in, agent, rule, page):
    before = (version(), rule_rows())
    response = logged_in(agent).post(_url(page, rule), {"kind": "email", "value": "a@b.io", "action": "reject"})
    assert response.status_code == 403
    assert (version(), rule_rows()) == before


# --- The list ------------------------------------------------------------------------------------


def test_the_list_shows_what_each_rule_matches_its_hits_and_who_made_it(logged_in, supervisor, rule, channel):
    BlockRule.objects.filter(pk=rule.pk).update(hits=12)
    create_rule(actor=supervisor, kind="address", value="+6281234567890", action="reject", channel=channel)

    page = logged_in(supervisor).get(LIST).content.decode()

    assert f'id="rule-{rule.pk}"' in page
    assert "spam.example" in page and "casino" in page and ">12<" in page and "never" in page
    assert "+6281234567890" in page and channel.name in page
    assert "Sari" in page  # who made it
    assert escape(PRECEDENCE_HELP) in page
    assert reverse("spam:rule_edit", args=[rule.pk]) in page


def test_the_list_filters_by_action_and_searches_the_value(logged_in, supervisor, rule):
    create_rule(actor=supervisor, kind="email", value="boss@partner.io", action="allow")
    client = logged_in(supervisor)

    allowed = client.get(LIST, {"action": "allow"}).content.decode()
    found = client.get(LIST, {"q": "SPAM.ex"}).content.decode()
    junk = client.get(LIST, {"action": "explode", "page": "x"})

    assert "boss@partner.io" in allowed and "spam.example" not in allowed
    assert "spam.example" in found and "boss@partner.io" not in found
    assert junk.status_code == 200 and "spam.example" in junk.content.decode()


def test_the_list_says_when_rules_are_paused(logged_in, supervisor, rule, set_switches):
    assert 'id="rules-paused"' in logged_in(supervisor).get(LIST).content.decode()
    set_switches(block_contacts_enabled=True)
    assert 'id="rules-paused"' not in logged_in(supervisor).get(LIST).content.decode()


def test_the_list_pages_through_many_rules_at_a_fixed_query_count(
    logged_in, supervisor, channel, django_assert_max_num_queries
):
    client = logged_in(supervisor)
    client.get(LIST)  # session and permissions warmed, as on every later page

    def add(count: int, start: int) -> None:
        BlockRule.objects.bulk_create(
            BlockRule(kind="address", value=f"+62{n}", action="reject", channel=channel, created_by=supervisor)
            for n in range(start, start + count)
        )

    add(3, 0)
    with django_assert_max_num_queries(9) as few:
        client.get(LIST)
    add(200, 100)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST, {"page": "2"})
    assert "Page 2 of 5" in response.content.decode()


# --- Add -----------------------------------------------------------------------------------------


def test_adding_a_rule(logged_in, supervisor):
    before = version()

    response = logged_in(supervisor).post(
        ADD, {"kind": "phone_prefix", "value": "+62 812", "action": "reject", "note": "robocalls"}, follow=True
    )

    rule = BlockRule.objects.get()
    assert (rule.kind, rule.value, rule.action, rule.note, rule.created_by) == (
        "phone_prefix",
        "+62812",
        "reject",
        "robocalls",
        supervisor,
    )
    assert version() != before
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RULE_CREATED, actor=supervisor).count() == 1
    assert response.redirect_chain == [(LIST, 302)]
    assert f"Rule {rule.pk}: reject phone prefix +62812 added." in response.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"kind": "phone_prefix", "value": "0812"}, "value", RULE_PHONE_PREFIX_INVALID),
        (
            {"kind": "email", "value": "a@spam.io", "channel": "{channel}"},
            "channel",
            block_rules.RULE_CHANNEL_ONLY_ADDRESS,
        ),
        ({"kind": "domain", "value": ""}, "value", "This field is required."),
        ({"kind": "domain", "value": "spam.io", "action": "explode"}, "action", None),
    ],
)
def test_a_bad_rule_shows_the_form_again_with_the_reason(logged_in, supervisor, channel, data, field, error):
    data = {"action": "quarantine", **data}
    data = {key: value.format(channel=channel.pk) for key, value in data.items()}
    before = version()

    response = logged_in(supervisor).post(ADD, data)

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    if error:
        assert escape(error) in response.content.decode()
    assert (version(), rule_rows()) == (before, [])


def test_a_duplicate_shows_which_rule_holds_it_already(logged_in, supervisor, rule):
    response = logged_in(supervisor).post(ADD, {"kind": "domain", "value": "Spam.Example", "action": "reject"})
    assert response.status_code == 200
    text = block_rules.RULE_DUPLICATE.format(number=rule.pk, what="e-mail domain spam.example")
    assert escape(text) in response.content.decode()
    assert BlockRule.objects.count() == 1


def test_the_form_explains_matching_and_offers_every_channel(logged_in, supervisor, channel):
    page = logged_in(supervisor).get(ADD).content.decode()
    assert escape(PRECEDENCE_HELP) in page
    assert "Every channel" in page and channel.name in page


# --- Edit ----------------------------------------------------------------------------------------


def test_editing_a_rule(logged_in, administrator, rule):
    before = version()

    response = logged_in(administrator).post(
        edit_url(rule), {"kind": "email", "value": "junk.example", "action": "allow", "note": "casino"}
    )

    assert response.status_code == 302 and response["Location"] == LIST
    rule.refresh_from_db()
    assert (rule.kind, rule.value, rule.action) == ("domain", "junk.example", "allow")  # the kind stays
    assert version() != before
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RULE_CHANGED)
    assert entry.change == "value: spam.example → junk.example; action: Quarantine → Allow"


def test_the_edit_form_shows_the_rule(logged_in, supervisor, rule):
    page = logged_in(supervisor).get(edit_url(rule)).content.decode()
    assert 'value="spam.example"' in page and "casino" in page
    assert 'value="quarantine" checked' in page


def test_an_address_rule_moves_to_a_channel(logged_in, supervisor):
    whatsapp = factories.ChannelFactory(name="WA", kind=Channel.Kind.WHATSAPP)
    rule = create_rule(actor=supervisor, kind="address", value="+6281234567890", action="quarantine")
    logged_in(supervisor).post(
        edit_url(rule), {"value": "0812 3456 7890", "action": "quarantine", "channel": whatsapp.pk}
    )
    rule.refresh_from_db()
    assert (rule.channel, rule.value) == (whatsapp, "+6281234567890")


def test_a_bad_edit_changes_nothing(logged_in, supervisor, rule):
    before = (version(), rule_rows())
    response = logged_in(supervisor).post(edit_url(rule), {"value": "not a domain", "action": "reject"})
    assert response.status_code == 200 and response.context["form"].errors["value"]
    assert (version(), rule_rows()) == before


# --- Delete --------------------------------------------------------------------------------------


def test_delete_asks_first_then_deletes(logged_in, supervisor, rule):
    client = logged_in(supervisor)
    confirm = client.get(delete_url(rule)).content.decode()
    assert "Delete rule" in confirm and "spam.example" in confirm
    assert BlockRule.objects.exists()
    before = version()

    response = client.post(delete_url(rule), follow=True)

    assert not BlockRule.objects.exists()
    assert version() != before
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RULE_DELETED, actor=supervisor).count() == 1
    assert f"Rule {rule.pk}: quarantine e-mail domain spam.example deleted." in response.content.decode()


def test_deleting_a_rule_deleted_meanwhile_is_the_404_page(logged_in, supervisor, rule):
    client = logged_in(supervisor)
    client.get(delete_url(rule))
    BlockRule.objects.filter(pk=rule.pk).delete()
    response = client.post(delete_url(rule))
    assert response.status_code == 404


SCRIPT = "<script>alert(1)</script>"


def test_hostile_text_is_shown_escaped(logged_in, supervisor):
    create_rule(actor=supervisor, kind="address", value=SCRIPT, action="reject", note=SCRIPT)
    for url in (LIST, LIST + "?q=%3Cscript%3E"):
        page = logged_in(supervisor).get(url).content.decode()
        assert "<script>alert" not in page and "&lt;script&gt;alert" in page


@pytest.mark.parametrize("value", ["\x00", "a\x00b", "x" * 5000, "' OR 1=1 --", "%", "_", "\\"], ids=repr)
def test_hostile_input_never_5xx_and_nul_is_never_stored(logged_in, supervisor, rule, value):
    client = logged_in(supervisor)
    responses = [
        client.get(LIST, {"q": value, "action": value, "page": value}),
        client.post(ADD, {"kind": value, "value": value, "action": "reject", "note": value}),
        client.post(ADD, {"kind": "address", "value": value, "action": "reject", "channel": value}),
        client.post(edit_url(rule), {"value": value, "action": value, "note": value}),
    ]
    assert all(response.status_code < 500 for response in responses)
    stored = [text for row in BlockRule.objects.values_list("value", "note") for text in row]
    assert not any("\x00" in text for text in stored)
