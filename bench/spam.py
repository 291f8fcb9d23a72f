"""Spam defence under load (issue 14 point 8): the in-process inbound rate with 10,000 block rules and the flood guard.

In the same run, each mix is routed (a) with no rules and the flood guard off,
then (b) with 10,000 rules that do not match the bench's traffic (e-mail
addresses, domains, phone prefixes, a few allow rules) and the flood guard on
at its default (30 messages in 5 minutes). The rounds alternate a-b, b-a, ...
so drift on a shared machine falls on both alike; each configuration's rate is
its messages over its summed routing time. The rules are inserted in bulk and
deleted between rounds, the compile after each insert happens before timing
(the first one is timed on its own). The settings and the rules table are left
as they were found, so later stages are unaffected.
"""

import time

from django.db import connection
from django.utils import timezone

from contacts.models import BlockRule, Channel, FloodFlag
from contacts.rule_match import rules_changed, rules_in_force
from contacts.spam_models import RuleAction, RuleKind
from settings_app.models import SystemSettings
from settings_app.switches import current_switches
from tickets.routing import route_inbound_message

from .ingest import _route_all, _statements, inbound_of
from .mixes import MIXES, deliveries
from .scales import Scale
from .seed import Dataset

RULES = 10_000
ALLOW_RULES = 10
PAIRS = 3  # a-b, b-a, a-b, ...: six rounds per mix
WARM = 3  # messages routed before timing a round: the connection, and the rules compiled for this version
STATEMENT_SAMPLE = 20
PLAIN, DEFENDED = "plain", "defended"


def realistic_rules() -> list[BlockRule]:
    """10,000 rules none of which match the bench's traffic (its phones are +62812..., its addresses bench-...)."""
    rules = [
        BlockRule(kind=RuleKind.EMAIL, value=f"vip{n}@partner{n}.example", action=RuleAction.ALLOW)
        for n in range(ALLOW_RULES)
    ]
    blocking = RULES - ALLOW_RULES
    for n in range(blocking):
        action = RuleAction.REJECT if n % 4 == 0 else RuleAction.QUARANTINE
        if n % 10 < 4:
            rule = BlockRule(kind=RuleKind.EMAIL, value=f"offer{n}@promo{n % 97}.example", action=action)
        elif n % 10 < 7:
            rule = BlockRule(kind=RuleKind.DOMAIN, value=f"spam{n}.example", action=action)
        else:  # +1 900 and +44 70: premium and personal numbers, never Indonesian ones
            rule = BlockRule(kind=RuleKind.PHONE_PREFIX, value=f"+{'1900' if n % 2 else '4470'}{n:05d}", action=action)
        rules.append(rule)
    return rules


def measure(scale: Scale, data: Dataset) -> dict:
    settings = SystemSettings.load()
    before = {"flood_guard_enabled": settings.flood_guard_enabled, "flood_auto_block": settings.flood_auto_block}
    if BlockRule.objects.exists():
        return {"error": "the bench database has block rules already; the stage needs an empty rules table"}
    started_at = timezone.now()
    per_round = max(10, scale.ingest_messages // 2)
    totals = {label: {mix: [0, 0.0] for mix in MIXES} for label in (PLAIN, DEFENDED)}
    compiles = []
    try:
        for pair in range(PAIRS):
            order = (PLAIN, DEFENDED) if pair % 2 == 0 else (DEFENDED, PLAIN)
            for label in order:
                channels = _configure(label, compiles)
                for mix in MIXES:
                    messages, seconds = _round(channels, deliveries(mix, data, per_round + WARM, f"spam-{label}"))
                    totals[label][mix][0] += messages
                    totals[label][mix][1] += seconds
        results = {"rules": RULES, "rounds_per_configuration": PAIRS, "messages_per_round": per_round}
        # Both configurations are counted on the same tickets (and on new addresses made alike): a sample
        # of other tickets may take another path (a BOT ticket, say) and differ for that reason alone.
        samples = {mix: deliveries(mix, data, STATEMENT_SAMPLE, "spam-count") for mix in MIXES}
        statements = {}
        for label in (PLAIN, DEFENDED):
            channels = _configure(label, compiles)
            statements[label] = {mix: _statements(channels, _twin(samples[mix], mix, label)) for mix in MIXES}
        for mix in MIXES:
            row = {}
            for label in (PLAIN, DEFENDED):
                messages, seconds = totals[label][mix]
                row[label] = {
                    "messages": messages,
                    "seconds": round(seconds, 3),
                    "per_s": round(messages / seconds, 1),
                    "statements": statements[label][mix]["per_message"],
                    "max_statements": statements[label][mix]["max"],
                }
            row["ratio"] = round(row[DEFENDED]["per_s"] / row[PLAIN]["per_s"], 3)
            results[mix] = row
        results["first_compile_ms"] = compiles[0]
        results["compile_ms"] = compiles
        # The bench's traffic should never trip the guard; a flag would mean an extra write measured in (b).
        results["flood_flags"] = FloodFlag.objects.filter(flagged_at__gte=started_at).count()
        results["rule_hits"] = sum(BlockRule.objects.values_list("hits", flat=True))
        return results
    finally:
        BlockRule.objects.all().delete()
        rules_changed()
        SystemSettings.objects.filter(pk=SystemSettings.SINGLETON_PK).update(**before)


def _configure(label: str, compiles: list) -> dict[int, Channel]:
    """Set (a) or (b) up; return the channels with the switches as the inbound API reads them (one statement)."""
    BlockRule.objects.all().delete()
    if label == DEFENDED:
        BlockRule.objects.bulk_create(realistic_rules(), batch_size=2000)
    rules_changed()
    SystemSettings.objects.filter(pk=SystemSettings.SINGLETON_PK).update(
        flood_guard_enabled=label == DEFENDED, flood_auto_block=False
    )
    if connection.vendor == "sqlite":  # the rules' writes checkpointed now, not in the first timed commit
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # Compiled now in both configurations (no rules compile to an empty set, at a statement or two), so no
    # measured message pays for it.
    version = current_switches().rules_version
    started = time.perf_counter()
    rules_in_force(version)
    if label == DEFENDED:
        compiles.append(round((time.perf_counter() - started) * 1000, 1))
    return {c.pk: c for c in Channel.objects.with_switches()}


def _round(channels: dict[int, Channel], batch: list) -> tuple[int, float]:
    """Route the batch one message at a time; return (messages timed, seconds), the first WARM untimed."""
    _route_all(channels, batch[:WARM])
    seconds = 0.0
    for channel_id, payload in batch[WARM:]:
        inbound = inbound_of(payload)
        t0 = time.perf_counter()
        route_inbound_message(channel=channels[channel_id], inbound=inbound)
        seconds += time.perf_counter() - t0
    return len(batch) - WARM, seconds


def _twin(batch: list, mix: str, label: str) -> list:
    """The batch with message ids (and, for new contacts, addresses) of its own: the same tickets, never a repeat."""
    twins = []
    for channel_id, payload in batch:
        contact = dict(payload["contact"])
        if mix == "new_contacts":
            contact["id"] = f"{contact['id']}-{label}"
        twins.append((channel_id, {**payload, "message_id": f"{payload['message_id']}.{label}", "contact": contact}))
    return twins
