"""contacts.block_rules: each verb checks the permission first, normalises, refuses duplicates,
writes its audit row and renews rules_version — or changes nothing at all."""

import re

import pytest

from blockdesk import errors
from contacts import block_rules
from contacts.block_rules import create_rule, delete_rule, rule_refusal, rules_matching, update_rule
from contacts.models import AuditEntry, Channel
from contacts.rule_values import RULE_DOMAIN_INVALID, RULE_KIND_INVALID, RULE_PHONE_PREFIX_INVALID
from contacts.spam_models import BlockRule, RuleAction, RuleHitDay, RuleKind
from settings_app.models import SystemSettings
from tests import factories

pytestmark = pytest.mark.django_db


def version() -> int:
    return SystemSettings.load().rules_version


def rule_rows() -> list:
    return list(BlockRule.objects.order_by("pk").values_list("kind", "value", "action", "channel", "note"))


def audit(action) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


@pytest.fixture
def rule(supervisor):
    return create_rule(actor=supervisor, kind=RuleKind.DOMAIN, value="Spam.Example", action=RuleAction.QUARANTINE)


# --- Who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "allowed"), [("administrator", True), ("supervisor", True), ("agent", False), ("anonymous", False)]
)
@pytest.mark.parametrize("verb", ["view", "add", "change", "delete"])
def test_rule_refusal_is_for_supervisors_and_administrators(request, persona, allowed, verb):
    user = request.getfixturevalue(persona)
    assert (rule_refusal(user, verb) is None) is allowed
    if not allowed:
        assert rule_refusal(user, verb) == block_rules.VERB_PERMISSIONS[verb][1]


def test_an_agent_can_neither_add_change_nor_delete(agent, rule):
    before, rows = version(), rule_rows()
    with pytest.raises(errors.Forbidden, match=re.escape(block_rules.NO_PERMISSION_ADD_RULE)):
        create_rule(actor=agent, kind="email", value="a@b.io", action="reject")
    with pytest.raises(errors.Forbidden, match=re.escape(block_rules.NO_PERMISSION_CHANGE_RULE)):
        update_rule(actor=agent, rule=rule, action="reject")
    with pytest.raises(errors.Forbidden, match=re.escape(block_rules.NO_PERMISSION_DELETE_RULE)):
        delete_rule(actor=agent, rule=rule)
    assert (version(), rule_rows()) == (before, rows)


def test_the_refusal_comes_before_the_value_is_read(agent):
    with pytest.raises(errors.Forbidden):
        create_rule(actor=agent, kind="nonsense", value="", action="explode")


# --- Create --------------------------------------------------------------------------------------


def test_create_normalises_audits_and_renews_the_version(supervisor):
    before = version()

    rule = create_rule(
        actor=supervisor, kind=RuleKind.PHONE_PREFIX, value=" +62 812-", action=RuleAction.REJECT, note=" bots "
    )

    assert (rule.value, rule.note, rule.created_by, rule.hits, rule.last_hit_at) == (
        "+62812",
        "bots",
        supervisor,
        0,
        None,
    )
    assert version() != before
    [row] = audit(AuditEntry.Action.RULE_CREATED)
    assert (row.actor, row.subject) == (supervisor, f"Rule {rule.pk}: reject phone prefix +62812")


def test_create_without_a_settings_row_makes_it(supervisor):
    SystemSettings.objects.all().delete()
    create_rule(actor=supervisor, kind="email", value="X@Spam.io", action="allow")
    assert version() != 0


def test_an_address_rule_is_normalised_by_its_channels_kind(supervisor):
    whatsapp = factories.ChannelFactory(kind=Channel.Kind.WHATSAPP)
    rule = create_rule(actor=supervisor, kind="address", value="0812-3456-7890", action="quarantine", channel=whatsapp)
    assert (rule.value, rule.channel) == ("+6281234567890", whatsapp)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"kind": "domain", "value": "not a domain"}, RULE_DOMAIN_INVALID),
        ({"kind": "phone_prefix", "value": "0812"}, RULE_PHONE_PREFIX_INVALID),
        ({"kind": "colour", "value": "red"}, RULE_KIND_INVALID),
        ({"kind": "domain", "value": "spam.io", "action": "explode"}, block_rules.RULE_ACTION_INVALID),
        ({"kind": "domain", "value": "spam.io", "note": "x" * 501}, "The note takes at most 500 characters."),
        ({"kind": "email", "value": "a@spam.io", "channel": "channel"}, block_rules.RULE_CHANNEL_ONLY_ADDRESS),
    ],
)
def test_a_bad_rule_is_refused_with_the_reason_and_changes_nothing(supervisor, channel, fields, reason):
    fields = {"action": "quarantine", **fields}
    if fields.get("channel") == "channel":
        fields["channel"] = channel
    before = version()
    with pytest.raises(errors.Invalid) as refused:
        create_rule(actor=supervisor, **fields)
    assert refused.value.detail == reason
    assert (version(), rule_rows(), audit(AuditEntry.Action.RULE_CREATED)) == (before, [], [])


def test_a_duplicate_is_a_conflict_naming_the_rule(supervisor, rule):
    before = version()
    with pytest.raises(errors.Conflict) as refused:
        create_rule(actor=supervisor, kind="domain", value="@SPAM.example.", action="reject")
    assert refused.value.detail == block_rules.RULE_DUPLICATE.format(number=rule.pk, what="e-mail domain spam.example")
    assert version() == before and BlockRule.objects.count() == 1


def test_the_same_address_on_another_channel_or_on_every_channel_is_another_rule(supervisor, channel):
    other = factories.ChannelFactory()
    create_rule(actor=supervisor, kind="address", value="+628111", action="reject", channel=channel)
    create_rule(actor=supervisor, kind="address", value="+628111", action="reject", channel=other)
    create_rule(actor=supervisor, kind="address", value="+628111", action="reject")
    with pytest.raises(errors.Conflict, match=re.escape(f"on channel {channel}")):
        create_rule(actor=supervisor, kind="address", value="+628111", action="allow", channel=channel)
    assert BlockRule.objects.count() == 3


# --- Update --------------------------------------------------------------------------------------


def test_update_audits_old_and_new_and_renews_the_version(administrator, rule):
    before = version()

    changed = update_rule(actor=administrator, rule=rule, value="Junk.Example", action="reject", note="seen daily")

    assert (changed.value, changed.action, changed.note, changed.kind) == (
        "junk.example",
        "reject",
        "seen daily",
        "domain",
    )
    assert version() != before
    [row] = audit(AuditEntry.Action.RULE_CHANGED)
    assert row.actor == administrator
    assert row.subject == f"Rule {rule.pk}: reject e-mail domain junk.example"
    assert row.change == "value: spam.example → junk.example; action: Quarantine → Reject; note: — → seen daily"


def test_update_keeps_what_is_not_given(supervisor, rule):
    update_rule(actor=supervisor, rule=rule, note="from the CRM")
    rule.refresh_from_db()
    assert (rule.value, rule.action, rule.note) == ("spam.example", "quarantine", "from the CRM")


def test_an_update_that_changes_nothing_writes_nothing(supervisor, rule):
    before = version()
    update_rule(actor=supervisor, rule=rule, value="SPAM.example", action="quarantine", note="")
    assert version() == before
    assert audit(AuditEntry.Action.RULE_CHANGED) == []


def test_moving_an_address_rule_to_a_channel_and_back_to_every_channel(supervisor):
    whatsapp = factories.ChannelFactory(name="WA", kind=Channel.Kind.WHATSAPP)
    rule = create_rule(actor=supervisor, kind="address", value="+6281234567890", action="quarantine")

    update_rule(actor=supervisor, rule=rule, channel=whatsapp)
    update_rule(actor=supervisor, rule=rule, channel=None)

    rule.refresh_from_db()
    assert rule.channel is None
    changes = [row.change for row in audit(AuditEntry.Action.RULE_CHANGED)]
    assert changes == ["channel: every channel → WA", "channel: WA → every channel"]


def test_a_channel_on_a_domain_rule_is_refused(supervisor, rule, channel):
    with pytest.raises(errors.Invalid, match=re.escape(block_rules.RULE_CHANNEL_ONLY_ADDRESS)):
        update_rule(actor=supervisor, rule=rule, channel=channel)
    rule.refresh_from_db()
    assert rule.channel is None


def test_updating_into_another_rules_value_is_a_conflict(supervisor, rule):
    other = create_rule(actor=supervisor, kind="domain", value="junk.example", action="reject")
    before = version()
    with pytest.raises(errors.Conflict, match=re.escape(f"Rule {rule.pk} already matches")):
        update_rule(actor=supervisor, rule=other, value="spam.example")
    other.refresh_from_db()
    assert other.value == "junk.example" and version() == before


def test_updating_a_deleted_rule_is_not_found(supervisor, rule):
    BlockRule.objects.filter(pk=rule.pk).delete()
    with pytest.raises(errors.NotFound, match=re.escape(block_rules.RULE_NOT_FOUND)):
        update_rule(actor=supervisor, rule=rule, action="reject")


def test_a_bad_new_value_changes_nothing(supervisor, rule):
    before = version()
    with pytest.raises(errors.Invalid, match=re.escape(RULE_DOMAIN_INVALID)):
        update_rule(actor=supervisor, rule=rule, value="no", action="allow")
    rule.refresh_from_db()
    assert (rule.value, rule.action, version()) == ("spam.example", "quarantine", before)


# --- Delete --------------------------------------------------------------------------------------


def test_delete_audits_renews_the_version_and_keeps_the_hit_days(supervisor, rule, channel):
    RuleHitDay.objects.create(rule=rule, action=rule.action, channel=channel, day="2026-12-01", hits=4)
    before, number = version(), rule.pk

    delete_rule(actor=supervisor, rule=rule)

    assert not BlockRule.objects.exists()
    assert version() != before
    [row] = audit(AuditEntry.Action.RULE_DELETED)
    assert (row.actor, row.subject) == (supervisor, f"Rule {number}: quarantine e-mail domain spam.example")
    assert RuleHitDay.objects.get().hits == 4


def test_deleting_twice_is_not_found(supervisor, rule):
    delete_rule(actor=supervisor, rule=rule)
    before = version()
    with pytest.raises(errors.NotFound):
        delete_rule(actor=supervisor, rule=rule)
    assert version() == before


# --- Reads ---------------------------------------------------------------------------------------


def test_rules_matching_filters_by_action_kind_and_text(supervisor):
    create_rule(actor=supervisor, kind="domain", value="spam.io", action="quarantine")
    create_rule(actor=supervisor, kind="email", value="boss@spam.io", action="allow", note="our partner")
    create_rule(actor=supervisor, kind="phone_prefix", value="+1900", action="reject")

    def values(**filters):
        return [rule.value for rule in rules_matching(**filters)]

    assert values() == ["+1900", "boss@spam.io", "spam.io"]
    assert values(action="allow") == ["boss@spam.io"]
    assert values(kind="domain") == ["spam.io"]
    assert values(q="SPAM.io") == ["boss@spam.io", "spam.io"]
    assert values(q="partner") == ["boss@spam.io"]


def test_ten_thousand_rules_are_no_problem(supervisor):
    BlockRule.objects.bulk_create(
        BlockRule(kind="email", value=f"bot{n}@spam.io", action="reject") for n in range(10_000)
    )
    rule = create_rule(actor=supervisor, kind="email", value="bot10000@spam.io", action="reject")
    assert rule.pk and BlockRule.objects.count() == 10_001


def test_a_twin_saved_after_the_check_is_the_same_conflict(supervisor, rule, monkeypatch):
    """Two people adding one rule at once: the database's unique constraint answers the later one."""
    real_check = block_rules.check_rule
    calls = []

    def check_that_misses_the_twin_once(**fields):
        calls.append(fields)
        if len(calls) == 1:
            return "spam.example"  # as if the twin was saved just after this look
        return real_check(**fields)

    monkeypatch.setattr(block_rules, "check_rule", check_that_misses_the_twin_once)
    before = version()
    with pytest.raises(errors.Conflict, match=re.escape(f"Rule {rule.pk} already matches")):
        create_rule(actor=supervisor, kind="domain", value="spam.example", action="reject")
    assert BlockRule.objects.count() == 1 and version() == before
    assert len(audit(AuditEntry.Action.RULE_CREATED)) == 1  # the first rule's only
