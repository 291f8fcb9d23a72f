"""The accessor for the system switches, and the one way to change them.

No process keeps the switches past the request that read them (DESIGN.md, "One
truth for every process"): a change holds for the very next request on every
process and machine. Within one request they are read at most once
(`current_switches` keeps them until the request ends); the inbound API reads
them in the same statement as the channel's token (contacts.models
`ChannelQuerySet.for_token`), so routing costs no extra query for them; on
PostgreSQL the other doors' routing reads them in its contact-lock statement
(tickets.routing_sql `look_back_lock_and_read_switches`, keeping them with
`keep_switches`).
"""

from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache

from django.core.signals import request_finished, request_started
from django.db import connection, transaction
from django.db.models import Subquery
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_noop

from blockdesk import errors
from blockdesk.audit import record_setting_change, record_switch_change

from .models import BotAnswerer, SystemSettings

WAITING_ALERT_MIN, WAITING_ALERT_MAX = 1, 1440
WAITING_ALERT_SETTING = "Waiting alert"
# The range is WAITING_ALERT_MIN to WAITING_ALERT_MAX, written out so the text is one msgid.
WAITING_ALERT_INVALID = gettext_noop("The waiting alert must be a whole number of minutes from 1 to 1440 (a day).")


@dataclass(frozen=True)
class Switches:
    block_contacts_enabled: bool
    bot_enabled: bool
    # Queues colour a customer's wait past this many minutes (not a switch, but read as often and as cheaply).
    waiting_alert_minutes: int = 15
    # Who answers BOT tickets (settings_app.bot): routing needs it with the BOT switch, so it is read with them.
    bot_answerer: str = BotAnswerer.NOBODY
    # Read with the switches for routing, at no extra round trip: which compiled block rules hold, and the flood guard.
    rules_version: int = 0
    flood_guard_enabled: bool = True
    flood_messages: int = 30
    flood_minutes: int = 5
    flood_auto_block: bool = False


# The SystemSettings columns a Switches holds, in its field order.
COLUMNS = (
    "block_contacts_enabled",
    "bot_enabled",
    "waiting_alert_minutes",
    "bot_answerer",
    "rules_version",
    "flood_guard_enabled",
    "flood_messages",
    "flood_minutes",
    "flood_auto_block",
)
# The boolean columns: SQLite answers a subquery's boolean as 0 or 1.
BOOLEAN_COLUMNS = ("block_contacts_enabled", "bot_enabled", "flood_guard_enabled", "flood_auto_block")
# Set to a dict while a request runs (request_started), where the request's one read of the switches is kept.
_this_request: ContextVar[dict | None] = ContextVar("blockdesk_switches", default=None)


def _switches_of(row: SystemSettings) -> Switches:
    return Switches(**{name: getattr(row, name) for name in COLUMNS})


def current_switches() -> Switches:
    """Return the switches as stored now; read once per request (outside a request, on every call)."""
    switches = kept_switches()
    if switches is None:
        switches = _read_switches()
        keep_switches(switches)
    return switches


def _read_switches() -> Switches:
    """The switches in one statement written once: the ORM compiled its get_or_create on every inbound message.

    Routing reads them for every message that came through no channel token (issue 11); the row is created on
    first use, as SystemSettings.load does.
    """
    with connection.cursor() as cursor:
        cursor.execute(_select(connection.vendor), [SystemSettings.SINGLETON_PK])
        row = cursor.fetchone()
    return _switches_of(SystemSettings.load()) if row is None else switches_of_row(row)


def switches_of_row(row) -> Switches:
    """The switches from a row of their COLUMNS in order, as a raw statement answers them."""
    values = dict(zip(COLUMNS, row, strict=True))
    # SQLite answers booleans (and a subquery's) as 0 or 1.
    return Switches(**values | {name: bool(values[name]) for name in BOOLEAN_COLUMNS})


@cache
def _select(vendor: str) -> str:
    meta, qn = SystemSettings._meta, connection.ops.quote_name
    columns = ", ".join(qn(meta.get_field(name).column) for name in COLUMNS)
    return f"SELECT {columns} FROM {qn(meta.db_table)} WHERE {qn(meta.pk.column)} = %s"


def kept_switches() -> Switches | None:
    """The switches this request read already, else None (read nothing)."""
    memo = _this_request.get()
    return memo.get("switches") if memo is not None else None


def keep_switches(switches: Switches) -> None:
    """Keep switches as this request's reading (read on their own, or by another query: switch_columns, routing's
    contact lock); no later use in the request reads them again."""
    memo = _this_request.get()
    if memo is not None:
        memo["switches"] = switches


def forget_switches() -> None:
    """Read the switches again at their next use in this request (they just changed)."""
    memo = _this_request.get()
    if memo is not None:
        memo.clear()


def switch_columns(prefix: str) -> dict:
    """Annotations that read the switches into another query's row: one scalar subquery per column, no join."""
    row = SystemSettings.objects.filter(pk=SystemSettings.SINGLETON_PK)
    return {f"{prefix}{name}": Subquery(row.values(name)[:1]) for name in COLUMNS}


def switches_from(obj, prefix: str) -> Switches:
    """The switches a query annotated with `switch_columns(prefix)` read (read them now if the row was missing)."""
    row = [getattr(obj, f"{prefix}{name}") for name in COLUMNS]
    return current_switches() if None in row else switches_of_row(row)


def start_request(**kwargs) -> None:
    """Keep the next reading until the request ends (request_started; tests)."""
    _this_request.set({})


def end_request(**kwargs) -> None:
    """Forget the request's reading (request_finished; tests)."""
    _this_request.set(None)


request_started.connect(start_request, dispatch_uid="blockdesk-switches-request-started")
request_finished.connect(end_request, dispatch_uid="blockdesk-switches-request-finished")


def check_waiting_alert(minutes) -> None:
    """Refuse anything but a whole number of minutes in range (a bool is not one)."""
    if type(minutes) is not int or not WAITING_ALERT_MIN <= minutes <= WAITING_ALERT_MAX:
        raise errors.Invalid(WAITING_ALERT_INVALID)


def update_switches(
    *,
    actor,
    block_contacts_enabled: bool | None = None,
    bot_enabled: bool | None = None,
    waiting_alert_minutes: int | None = None,
) -> Switches:
    """Change the switches and the waiting alert; only administrators may. Each value that changes gets an audit row."""
    if not actor.has_perm("settings_app.change_systemsettings"):
        raise errors.Forbidden(errors.NO_PERMISSION_SETTINGS)
    if waiting_alert_minutes is not None:
        check_waiting_alert(waiting_alert_minutes)
    wanted = {"block_contacts_enabled": block_contacts_enabled, "bot_enabled": bot_enabled}
    with transaction.atomic():
        row = SystemSettings.objects.select_for_update().filter(pk=SystemSettings.SINGLETON_PK).first()
        if row is None:
            row = SystemSettings.load()
        changed = [name for name, value in wanted.items() if value is not None and value != getattr(row, name)]
        alert_changed = waiting_alert_minutes is not None and waiting_alert_minutes != row.waiting_alert_minutes
        if changed or alert_changed:
            now = timezone.now()
            for name in changed:
                record_switch_change(
                    actor=actor,
                    switch=capfirst(SystemSettings._meta.get_field(name).verbose_name),
                    before=getattr(row, name),
                    after=wanted[name],
                    at=now,
                )
                setattr(row, name, wanted[name])
            if alert_changed:
                change = f"{row.waiting_alert_minutes} → {waiting_alert_minutes} min"
                record_setting_change(actor=actor, setting=WAITING_ALERT_SETTING, change=change, at=now)
                row.waiting_alert_minutes = waiting_alert_minutes
            row.updated_by = actor
            row.save()
            transaction.on_commit(forget_switches)
    return _switches_of(row)
