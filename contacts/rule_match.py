"""Block rules as routing checks them: compiled once per rules version, matched in memory, hits counted after commit.

The inbound hot path reads the rules version with the switches (no extra round
trip); a process compiles the rules again only when that version moved, so a
rule change holds for the very next message on every process, and 10,000
rules cost a message a few dictionary look-ups. The version is read before the
rules: a change committed between the two reads makes the next message compile
again, never keeps a stale set.

Which rule decides: an allow rule that matches beats every block rule; among
block rules the most specific wins — the exact channel address, then the
e-mail address, then the longest domain (a domain covers its subdomains), then
the longest phone prefix (E.164); the older rule breaks a tie.
"""

import secrets
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from settings_app.models import SystemSettings

from .addresses import EMAIL_KINDS, PHONE_KINDS, normalise_email
from .spam_models import BlockRule, RuleAction, RuleHitDay, RuleKind


@dataclass(frozen=True)
class RuleHit:
    """The rule that decides a message: its number and action."""

    rule_id: int
    action: str

    @property
    def blocks(self) -> bool:
        return self.action != RuleAction.ALLOW


@dataclass
class _Keys:
    """One action group's rules by what they match: {key: (rule id, action)}, the oldest rule per key."""

    addresses: dict[tuple[int | None, str], tuple[int, str]] = field(default_factory=dict)
    emails: dict[str, tuple[int, str]] = field(default_factory=dict)
    domains: dict[str, tuple[int, str]] = field(default_factory=dict)
    prefixes: dict[str, tuple[int, str]] = field(default_factory=dict)
    longest_prefix: int = 0

    def add(self, rule_id: int, kind: str, value: str, channel_id: int | None, action: str) -> None:
        if kind == RuleKind.ADDRESS:
            self.addresses.setdefault((channel_id, value), (rule_id, action))
        elif kind == RuleKind.EMAIL:
            self.emails.setdefault(value, (rule_id, action))
        elif kind == RuleKind.DOMAIN:
            self.domains.setdefault(value, (rule_id, action))
        else:
            self.prefixes.setdefault(value, (rule_id, action))
            self.longest_prefix = max(self.longest_prefix, len(value))

    def first(self, channel_id: int, address: str, emails: list[str], phones: list[str]) -> tuple[int, str] | None:
        """The most specific rule of this group that matches, else None."""
        found = self.addresses.get((channel_id, address)) or self.addresses.get((None, address))
        if found:
            return found
        for email in emails:
            if email in self.emails:
                return self.emails[email]
        if self.domains:
            for email in emails:
                labels = email.rpartition("@")[2].split(".")
                for start in range(len(labels) - 1):
                    found = self.domains.get(".".join(labels[start:]))
                    if found:
                        return found
        if self.prefixes:
            for phone in phones:
                for end in range(min(len(phone), self.longest_prefix), 1, -1):
                    found = self.prefixes.get(phone[:end])
                    if found:
                        return found
        return None


@dataclass
class RuleSet:
    """The rules of one version, compiled: allow rules apart from block rules."""

    version: int
    allow: _Keys = field(default_factory=_Keys)
    block: _Keys = field(default_factory=_Keys)
    empty: bool = True

    def match(
        self, *, channel_id: int, kind: str, address: str, emails: Iterable[str] = (), phones: Iterable[str] = ()
    ) -> RuleHit | None:
        """The rule that decides a message from `address` (normalised), given the e-mails and phones known, or None."""
        if self.empty:
            return None
        emails = [e for e in {address if kind in EMAIL_KINDS else "", *map(normalise_email, emails)} if "@" in e]
        # A phone-like channel's address is normalised already (E.164 when valid); prefixes compare digits after "+".
        phones = [p for p in {address if kind in PHONE_KINDS else "", *phones} if p[:1] == "+" and p[1:].isdigit()]
        found = self.allow.first(channel_id, address, emails, phones) or self.block.first(
            channel_id, address, emails, phones
        )
        return RuleHit(*found) if found else None


_compiled = RuleSet(version=0)
_compiling = threading.Lock()


def rules_changed() -> None:
    """Tell every process the rules changed (call it in the transaction that changes them): a new version.

    A random number, not a counter: a counter restarts with a restored or
    rolled-back database, and a process could take another set of rules for the
    one it compiled under the same number.
    """
    SystemSettings.load()
    SystemSettings.objects.filter(pk=SystemSettings.SINGLETON_PK).update(rules_version=secrets.randbits(62) + 1)


def rules_in_force(version: int) -> RuleSet:
    """The compiled rules of `version` (read with the switches); compile them now if this process has older ones."""
    global _compiled
    rules = _compiled
    if rules.version == version:
        return rules
    with _compiling:
        if _compiled.version != version:
            _compiled = _compile()
        return _compiled


def _compile() -> RuleSet:
    # The version first: a change committed between the two reads leaves this set labelled older, so the next
    # message compiles again.
    version = SystemSettings.objects.filter(pk=SystemSettings.SINGLETON_PK).values_list("rules_version", flat=True)
    rules = RuleSet(version=next(iter(version), 0))
    rows = BlockRule.objects.order_by("pk").values_list("pk", "kind", "value", "channel_id", "action")
    for pk, kind, value, channel_id, action in rows.iterator(chunk_size=5000):
        group = rules.allow if action == RuleAction.ALLOW else rules.block
        group.add(pk, kind, value, channel_id, action)
        rules.empty = False
    return rules


def count_hits_on_commit(hits: Counter, *, now: datetime) -> None:
    """Count {(rule id, action, channel id): messages} once the routing commits, each rule row locked only briefly."""
    if hits:
        transaction.on_commit(lambda: record_hits(hits, now=now))


def record_hits(hits: Counter, *, now: datetime) -> None:
    """Add the hits to each rule (hits, last hit) and to its day's row for the spam overview; rules gone are skipped."""
    per_rule = Counter()
    for (rule_id, _, _), n in hits.items():
        per_rule[rule_id] += n
    ids = sorted(per_rule)  # one order for every writer: no deadlock between two routings' counts
    qn = connection.ops.quote_name
    rule_table, day_table = qn(BlockRule._meta.db_table), qn(RuleHitDay._meta.db_table)
    # Only rows of rules that still exist: a rule deleted meanwhile has nothing left to count.
    select = f"SELECT id, %s, %s, %s, %s FROM {rule_table} WHERE id = %s"
    params = []
    for (rule_id, action, channel_id), n in sorted(hits.items()):
        params += [action, channel_id, connection.ops.adapt_datefield_value(timezone.localdate(now)), n, rule_id]
    with transaction.atomic():
        BlockRule.objects.filter(pk__in=ids).update(
            hits=F("hits") + Case(*[When(pk=pk, then=Value(per_rule[pk])) for pk in ids], default=Value(0)),
            last_hit_at=now,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {day_table} (rule_id, action, channel_id, day, hits) "
                + " UNION ALL ".join([select] * len(hits))
                + f" ON CONFLICT (day, rule_id, channel_id) DO UPDATE SET hits = {day_table}.hits + excluded.hits",
                params,
            )
