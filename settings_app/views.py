"""The System settings page: administrators switch blocking and the BOT on or off, say who answers BOT tickets,
and set the waiting alert."""

import re
from dataclasses import asdict

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from blockdesk import errors
from blockdesk.console import console_view, require_permission

from .bot import SECRET_MAX_LENGTH, bot_config, update_bot
from .flood_settings import (
    FLOOD_MESSAGES_INVALID,
    FLOOD_MINUTES_INVALID,
    check_flood_messages,
    check_flood_minutes,
    update_flood_guard,
)
from .models import BotAnswerer, SystemSettings
from .retention import RETENTION_INVALID, check_retention, retention_days, update_retention
from .switches import WAITING_ALERT_INVALID, check_waiting_alert, current_switches, update_switches


class SwitchesForm(forms.Form):
    block_contacts_enabled = forms.BooleanField(label=_("Block contacts"), required=False)
    bot_enabled = forms.BooleanField(label=pgettext_lazy("the BOT switch", "BOT"), required=False)
    bot_answerer = forms.ChoiceField(
        label=_("Who answers BOT tickets"), choices=BotAnswerer.choices, widget=forms.RadioSelect, required=False
    )
    bot_webhook_url = forms.CharField(label=_("Bot webhook URL"), required=False, max_length=500)
    # Write-only: left empty, the stored secret stays; it is never shown back.
    bot_webhook_secret = forms.CharField(
        label=_("Bot webhook secret"),
        required=False,
        max_length=SECRET_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    # Left out of a POST (a script's), the stored alert stays; the page's field is required in the browser.
    waiting_alert_minutes = forms.CharField(label=_("Waiting alert (minutes)"), required=False)
    # Empty switches retention off; left out of a POST (a script's), the stored value stays.
    blocked_ticket_retention_days = forms.CharField(label=_("Blocked ticket retention (days)"), required=False)

    # The page sends this marker with the flood guard's fields: a POST without it (a script's, or a page from
    # before the flood guard) leaves the flood guard as stored rather than reading its absent boxes as "off".
    flood_guard = forms.CharField(required=False, widget=forms.HiddenInput)
    flood_guard_enabled = forms.BooleanField(label=_("Flood guard"), required=False)
    flood_auto_block = forms.BooleanField(label=_("Flood guard blocks by itself"), required=False)
    flood_messages = forms.CharField(label=_("Flood limit (messages)"), required=False)
    flood_minutes = forms.CharField(label=_("Flood window (minutes)"), required=False)

    def clean_flood_messages(self) -> int | None:
        return _whole_number(self, "flood_messages", FLOOD_MESSAGES_INVALID, check_flood_messages)

    def clean_flood_minutes(self) -> int | None:
        return _whole_number(self, "flood_minutes", FLOOD_MINUTES_INVALID, check_flood_minutes)

    def flood_changes(self) -> dict:
        """What update_flood_guard gets: nothing when the POST did not carry the flood guard's fields."""
        if "flood_guard" not in self.data:
            return {}
        data = self.cleaned_data
        return {
            "enabled": data["flood_guard_enabled"],
            "auto_block": data["flood_auto_block"],
            "messages": data["flood_messages"],
            "minutes": data["flood_minutes"],
        }

    def clean_blocked_ticket_retention_days(self) -> int | None | bool:
        """The days, None for off, or False when the POST left the field out (keep what is stored)."""
        value = self.cleaned_data["blocked_ticket_retention_days"].strip()
        if "blocked_ticket_retention_days" not in self.data:
            return False
        if value == "":
            return None
        if not re.fullmatch(r"[0-9]{1,4}", value):
            raise forms.ValidationError(gettext(RETENTION_INVALID))
        try:
            check_retention(int(value))
        except errors.Invalid as exc:
            raise forms.ValidationError(exc.detail) from exc
        return int(value)

    def clean_waiting_alert_minutes(self) -> int | None:
        """At most 4 digits ("30", not "30.0", "3e1" or "+30"), then the domain's range."""
        value = self.cleaned_data["waiting_alert_minutes"]
        if value == "" and "waiting_alert_minutes" not in self.data:
            return None
        if not re.fullmatch(r"[0-9]{1,4}", value):
            raise forms.ValidationError(gettext(WAITING_ALERT_INVALID))
        try:
            check_waiting_alert(int(value))
        except errors.Invalid as exc:
            raise forms.ValidationError(exc.detail) from exc
        return int(value)


def _whole_number(form: forms.Form, name: str, invalid: str, check) -> int | None:
    """At most 5 digits, then the domain's range; None when the POST left the field out (keep what is stored)."""
    value = form.cleaned_data[name].strip()
    if name not in form.data:
        return None
    if not re.fullmatch(r"[0-9]{1,5}", value):
        raise forms.ValidationError(gettext(invalid))
    try:
        check(int(value))
    except errors.Invalid as exc:
        raise forms.ValidationError(exc.detail) from exc
    return int(value)


# The saved message is one sentence of whole clauses, each its own msgid, so a translator words every clause.
def _flood_sentence(switches) -> str:
    if not switches.flood_guard_enabled:
        return gettext("The flood guard is off.")
    numbers = {"messages": switches.flood_messages, "minutes": switches.flood_minutes}
    if switches.flood_auto_block:
        return (
            gettext("The flood guard blocks a contact sending more than %(messages)s messages in %(minutes)s min.")
            % numbers
        )
    return (
        gettext(
            "The flood guard flags as suspected spam a contact sending more than %(messages)s messages "
            "in %(minutes)s min."
        )
        % numbers
    )


ANSWERED_BY = {
    BotAnswerer.NOBODY: _("nobody (they wait for a supervisor)"),
    BotAnswerer.WEBHOOK: _("the bot webhook"),
    BotAnswerer.BUILTIN: _("the built-in bot"),
}


def _retention_sentence(days: int | None) -> str:
    if days:
        return gettext("blocked tickets quiet for more than %(days)s days are deleted.") % {"days": days}
    return gettext("blocked tickets are kept until a supervisor acts.")


def _saved_message(switches, bot, *, flood: bool) -> str:
    blocking = (
        gettext("blocking contacts is on") if switches.block_contacts_enabled else gettext("blocking contacts is off")
    )
    bot_switch = gettext("the BOT is on") if switches.bot_enabled else gettext("the BOT is off")
    saved = gettext(
        "System settings saved: %(blocking)s, %(bot)s, BOT tickets are answered by %(answerer)s, "
        "queues show a wait in red from %(minutes)s min, and %(retention)s"
    ) % {
        "blocking": blocking,
        "bot": bot_switch,
        "answerer": ANSWERED_BY[bot.answerer],
        "minutes": switches.waiting_alert_minutes,
        "retention": _retention_sentence(retention_days()),
    }
    return f"{saved} {_flood_sentence(switches)}" if flood else saved


@login_required
@console_view
@require_permission("settings_app.change_systemsettings", errors.NO_PERMISSION_SETTINGS)
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    bot = bot_config()
    if request.method == "POST":
        form = SwitchesForm(request.POST)
        if form.is_valid() and _save(request, form):
            return redirect("settings_app:page")
    else:
        form = SwitchesForm(
            initial={
                **asdict(current_switches()),
                "bot_answerer": bot.answerer,
                "bot_webhook_url": bot.webhook_url,
                "blocked_ticket_retention_days": retention_days() or "",
            }
        )
    last_change = SystemSettings.objects.select_related("updated_by").filter(pk=SystemSettings.SINGLETON_PK).first()
    context = {"form": form, "last_change": last_change, "bot_secret_set": bot.has_secret}
    return render(request, "settings_app/page.html", context)


def _save(request: HttpRequest, form: SwitchesForm) -> bool:
    """Save the switches and the bot together, or nothing: a value the bot refuses becomes a form error."""
    data = form.cleaned_data
    try:
        with transaction.atomic():
            switches = update_switches(
                actor=request.user,
                block_contacts_enabled=data["block_contacts_enabled"],
                bot_enabled=data["bot_enabled"],
                waiting_alert_minutes=data["waiting_alert_minutes"],
            )
            bot = update_bot(
                actor=request.user,
                answerer=data["bot_answerer"] or None,
                webhook_url=data["bot_webhook_url"].strip(),
                webhook_secret=data["bot_webhook_secret"] or None,
            )
            if data["blocked_ticket_retention_days"] is not False:
                update_retention(actor=request.user, days=data["blocked_ticket_retention_days"])
            switches = update_flood_guard(actor=request.user, **form.flood_changes())
    except errors.Invalid as exc:
        form.add_error(None, exc.detail)
        return False
    messages.success(request, _saved_message(switches, bot, flood=bool(form.flood_changes())))
    return True
