"""The System settings page: administrators switch blocking and the BOT on or off."""

from dataclasses import asdict

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from blockdesk import errors
from blockdesk.console import console_view, require_permission

from .models import SystemSettings
from .switches import current_switches, update_switches


class SwitchesForm(forms.Form):
    block_contacts_enabled = forms.BooleanField(label="Block contacts", required=False)
    bot_enabled = forms.BooleanField(label="BOT", required=False)


def _on_off(value: bool) -> str:
    return "on" if value else "off"


@login_required
@console_view
@require_permission("settings_app.change_systemsettings", errors.NO_PERMISSION_SETTINGS)
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SwitchesForm(request.POST)
        if form.is_valid():
            switches = update_switches(actor=request.user, **form.cleaned_data)
            messages.success(
                request,
                f"System settings saved: blocking contacts is {_on_off(switches.block_contacts_enabled)}, "
                f"the BOT is {_on_off(switches.bot_enabled)}.",
            )
            return redirect("settings_app:page")
    else:
        form = SwitchesForm(initial=asdict(current_switches()))
    last_change = SystemSettings.objects.select_related("updated_by").filter(pk=SystemSettings.SINGLETON_PK).first()
    return render(request, "settings_app/page.html", {"form": form, "last_change": last_change})
