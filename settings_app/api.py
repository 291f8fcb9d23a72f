"""Staff API for the system switches: anyone signed in reads them, administrators change them."""

from ninja import Router, Schema
from pydantic import Field

from blockdesk.api_auth import PersonalToken
from blockdesk.api_schemas import responses

from .switches import current_switches, update_switches

router = Router(tags=["settings"], auth=PersonalToken())


class SwitchesOut(Schema):
    block_contacts_enabled: bool = Field(description="Agents and supervisors may block contacts.")
    bot_enabled: bool = Field(description="New and released tickets go to the BOT first.")


class SwitchesPatch(Schema):
    block_contacts_enabled: bool | None = Field(None, description="Leave out (or null) to keep it as it is.")
    bot_enabled: bool | None = None


def _out(switches) -> dict:
    return {"block_contacts_enabled": switches.block_contacts_enabled, "bot_enabled": switches.bot_enabled}


@router.get("", response=responses({200: SwitchesOut}, 401), summary="Read the system switches")
def show_settings(request):
    return _out(current_switches())


@router.patch(
    "",
    response=responses({200: SwitchesOut}, 400, 401, 403, 422),
    summary="Change the system switches",
    description="Administrators only (settings_app.change_systemsettings); others get 403.",
)
def change_settings(request, payload: SwitchesPatch):
    switches = update_switches(
        actor=request.auth, block_contacts_enabled=payload.block_contacts_enabled, bot_enabled=payload.bot_enabled
    )
    return _out(switches)
