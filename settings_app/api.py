"""Staff API for the system switches, who answers BOT tickets, the waiting alert, blocked ticket retention and
the flood guard: anyone signed in reads them, administrators change them (the bot webhook's URL and secret too;
the secret is never read back)."""

from django.db import transaction
from ninja import Router, Schema
from pydantic import Field, StrictInt

from blockdesk.api_auth import PersonalToken
from blockdesk.api_schemas import responses

from .bot import current_answerer, update_bot
from .flood_settings import (
    FLOOD_MESSAGES_MAX,
    FLOOD_MESSAGES_MIN,
    FLOOD_MINUTES_MAX,
    FLOOD_MINUTES_MIN,
    update_flood_guard,
)
from .models import BotAnswerer
from .retention import retention_days, update_retention
from .switches import current_switches, update_switches

router = Router(tags=["settings"], auth=PersonalToken())


class SwitchesOut(Schema):
    block_contacts_enabled: bool = Field(description="Agents and supervisors may block contacts.")
    bot_enabled: bool = Field(description="New and released tickets go to the BOT first.")
    bot_answerer: BotAnswerer = Field(
        description="Who answers BOT tickets: nobody (they wait), the bot webhook, or the built-in bot."
    )
    waiting_alert_minutes: int = Field(
        description="Queues show a customer's wait as late from this many minutes on; the SLA view counts them."
    )
    blocked_ticket_retention_days: int | None = Field(
        description="Blocked tickets quiet for longer are deleted as by Delete All; null: kept."
    )
    flood_guard_enabled: bool = Field(description="Flag a contact sending more than flood_messages in flood_minutes.")
    flood_messages: int = Field(description="More messages than this within the window is a flood.")
    flood_minutes: int = Field(description="The flood guard's window, in minutes.")
    flood_auto_block: bool = Field(description="The flood guard blocks a flooding contact itself, not only flags it.")


class SwitchesPatch(Schema):
    block_contacts_enabled: bool | None = Field(None, description="Leave out (or null) to keep it as it is.")
    bot_enabled: bool | None = None
    bot_answerer: BotAnswerer | None = None
    bot_webhook_url: str | None = Field(None, max_length=500, description='"" removes it.')
    bot_webhook_secret: str | None = Field(
        None, max_length=200, description="16 to 200 characters; write-only, never read back."
    )
    waiting_alert_minutes: StrictInt | None = Field(
        None, description="A whole number of minutes, 1 to 1440; anything else is refused with 422."
    )
    blocked_ticket_retention_days: StrictInt | None = Field(
        None, description="1 to 3650 days; 0 switches retention off; left out (or null) keeps it as it is."
    )
    flood_guard_enabled: bool | None = None
    flood_messages: StrictInt | None = Field(
        None, description=f"{FLOOD_MESSAGES_MIN} to {FLOOD_MESSAGES_MAX}; anything else is refused with 422."
    )
    flood_minutes: StrictInt | None = Field(
        None, description=f"{FLOOD_MINUTES_MIN} to {FLOOD_MINUTES_MAX} minutes; anything else is refused with 422."
    )
    flood_auto_block: bool | None = None


def _out(switches, answerer: str) -> dict:
    return {
        "block_contacts_enabled": switches.block_contacts_enabled,
        "bot_enabled": switches.bot_enabled,
        "bot_answerer": answerer,
        "waiting_alert_minutes": switches.waiting_alert_minutes,
        "blocked_ticket_retention_days": retention_days(),
        "flood_guard_enabled": switches.flood_guard_enabled,
        "flood_messages": switches.flood_messages,
        "flood_minutes": switches.flood_minutes,
        "flood_auto_block": switches.flood_auto_block,
    }


@router.get("", response=responses({200: SwitchesOut}, 401), summary="Read the system switches")
def show_settings(request):
    return _out(current_switches(), current_answerer())


@router.patch(
    "",
    response=responses({200: SwitchesOut}, 400, 401, 403, 422),
    summary="Change the system switches",
    description="Administrators only (settings_app.change_systemsettings); others get 403.",
)
def change_settings(request, payload: SwitchesPatch):
    with transaction.atomic():
        switches = update_switches(
            actor=request.auth,
            block_contacts_enabled=payload.block_contacts_enabled,
            bot_enabled=payload.bot_enabled,
            waiting_alert_minutes=payload.waiting_alert_minutes,
        )
        bot = update_bot(
            actor=request.auth,
            answerer=payload.bot_answerer,
            webhook_url=payload.bot_webhook_url,
            webhook_secret=payload.bot_webhook_secret,
        )
        if payload.blocked_ticket_retention_days is not None:
            update_retention(actor=request.auth, days=payload.blocked_ticket_retention_days or None)
        switches = update_flood_guard(
            actor=request.auth,
            enabled=payload.flood_guard_enabled,
            messages=payload.flood_messages,
            minutes=payload.flood_minutes,
            auto_block=payload.flood_auto_block,
        )
    return _out(switches, bot.answerer)
