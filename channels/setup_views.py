"""Channel set-up for administrators: the list, a new channel, and a page per channel with its kind's settings,
the address to paste into the provider, the token (shown once), Rotate, Switch off/on and Send test."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from blockdesk import errors
from blockdesk.console import console_view, fail, perform, require_permission
from contacts.channels import create_channel, deactivate_channel, reactivate_channel, rotate_channel_token
from contacts.models import Channel

from .setup import (
    CHANNEL_NOT_FOUND,
    NO_TEST_FOR_KIND,
    TEST_CRASHED,
    KindSetup,
    SetupCheckFailed,
    kind_setup,
    settings_row,
)
from .setup_changes import save_channel_settings
from .setup_forms import ChannelNameForm, NewChannelForm

logger = logging.getLogger(__name__)

SETTINGS_SAVED = gettext_noop("Saved the settings of channel “{name}”.")
SWITCHED_OFF = gettext_noop("Switched channel “{name}” off: its token is refused and nothing is sent on it.")
SWITCHED_ON = gettext_noop("Switched channel “{name}” on again, with the token it had.")
TEST_PASSED = gettext_noop("Test passed: {sentence}")
TEST_FAILED = gettext_noop("Test failed: {reason}")
may_manage_channels = require_permission("contacts.change_channel", errors.NO_PERMISSION_CHANNELS)
may_add_channels = require_permission("contacts.add_channel", errors.NO_PERMISSION_CHANNELS)


def _channel(pk: int) -> Channel:
    channel = Channel.objects.filter(pk=pk).first()
    if channel is None:
        raise errors.NotFound(CHANNEL_NOT_FOUND)
    return channel


def _page_url(channel: Channel) -> str:
    return reverse("channel_setup:channel", args=[channel.pk])


def _shown_once(request: HttpRequest, *, channel: Channel, title: str, intro: str, values: list) -> HttpResponse:
    """The one page that shows a token or a generated secret; no cache may keep it."""
    context = {"channel": channel, "title": title, "intro": intro, "values": values}
    response = render(request, "channels/setup/shown_once.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@console_view
@may_manage_channels
@require_GET
def channel_list(request: HttpRequest) -> HttpResponse:
    channels = Channel.objects.order_by("name")
    return render(request, "channels/setup/list.html", {"channels": channels, "form": NewChannelForm()})


@login_required
@console_view
@may_add_channels
@require_http_methods(["GET", "POST"])
def new_channel(request: HttpRequest) -> HttpResponse:
    """A POST creates the channel and shows its token, once."""
    form = NewChannelForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            channel, raw = create_channel(
                actor=request.user, name=form.cleaned_data["name"], kind=form.cleaned_data["kind"]
            )
        except (errors.Conflict, errors.Invalid) as error:
            form.add_error("name", error.detail)
        else:
            return _shown_once(
                request,
                channel=channel,
                title=gettext("Channel “%(name)s” is ready") % {"name": channel.name},
                intro=gettext("Its token is shown only on this page."),
                values=[(gettext("Channel token"), raw)],
            )
    status = 400 if form.is_bound else 200
    return render(request, "channels/setup/new.html", {"form": form}, status=status)


@login_required
@console_view
@may_manage_channels
@require_http_methods(["GET", "POST"])
def channel_page(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(pk)
    setup = kind_setup(channel.kind)
    row = settings_row(setup, channel) if setup is not None else None
    data = request.POST if request.method == "POST" else None
    name_form = ChannelNameForm(data, initial={"name": channel.name})
    kind_form = None
    if setup is not None and setup.form is not None:
        instance = row if row is not None else setup.settings_model(channel=channel)
        kind_form = setup.form(data, instance=instance, prefix="kind")
    if data is not None and name_form.is_valid() and (kind_form is None or kind_form.is_valid()):
        try:
            created = save_channel_settings(
                actor=request.user, channel=channel, name=name_form.cleaned_data["name"], kind_form=kind_form
            )
        except (errors.Conflict, errors.Invalid) as error:
            name_form.add_error(None, error.detail)
        else:
            # A kind's form may make a value on save that only the form ever sees in clear (WhatsApp's verify token).
            made = getattr(kind_form, "shown_once", None)
            if made:
                return _shown_once(
                    request,
                    channel=channel,
                    title=_settings_saved_title(channel),
                    intro=gettext(
                        "BlockDesk made the values below for this channel. They are shown only on this page."
                    ),
                    values=list(made.items()),
                )
            if created and setup.generated_secrets:
                return _generated_secrets_once(request, channel, setup, kind_form.instance)
            messages.success(request, gettext(SETTINGS_SAVED).format(name=channel.name))
            return redirect(_page_url(channel))
    # A kind with settings of its own has nothing to send or test with until they are saved.
    kind_ready = setup is None or setup.settings_model is None or row is not None
    context = {
        "channel": channel,
        "setup": setup,
        "name_form": name_form,
        "kind_form": kind_form,
        "kind_saved": row is not None,
        "kind_ready": kind_ready,
        # Not setup.send_test in the template: a template calls what it is given.
        "has_test": kind_ready and setup is not None and setup.send_test is not None,
        "webhook_url": _webhook_url(request, setup, channel),
        "details": setup.details(request, channel) if setup is not None and setup.details else [],
    }
    return render(request, "channels/setup/channel.html", context, status=400 if data is not None else 200)


def _webhook_url(request: HttpRequest, setup: KindSetup | None, channel: Channel) -> str:
    if setup is None or setup.webhook_path is None:
        return ""
    return request.build_absolute_uri(setup.webhook_path(channel))


def _settings_saved_title(channel: Channel) -> str:
    return gettext("Settings of “%(name)s” saved") % {"name": channel.name}


def _generated_secrets_once(request, channel: Channel, setup: KindSetup, row) -> HttpResponse:
    values = [
        (row._meta.get_field(name).verbose_name.capitalize(), getattr(row, name)) for name in setup.generated_secrets
    ]
    return _shown_once(
        request,
        channel=channel,
        title=_settings_saved_title(channel),
        intro=gettext("BlockDesk made the secrets below for this channel. They are shown only on this page."),
        values=values,
    )


@login_required
@console_view
@may_manage_channels
@require_http_methods(["GET", "POST"])
def rotate_token(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm (GET), then give the channel a new token (POST), shown once; the old one stops working."""
    channel = _channel(pk)
    if request.method == "GET":
        return _confirm(
            request,
            channel,
            question=gettext(
                "Give “%(name)s” a new token? The current one (%(prefix)s…) stops working at once: whatever posts "
                "with it must be given the new one."
            )
            % {"name": channel.name, "prefix": channel.token_prefix},
            action_label=gettext("Rotate token"),
            action_url=reverse("channel_setup:rotate", args=[channel.pk]),
        )
    raw = rotate_channel_token(actor=request.user, channel=channel)
    return _shown_once(
        request,
        channel=channel,
        title=gettext("New token of “%(name)s”") % {"name": channel.name},
        intro=gettext("The old token no longer works. The new one is shown only on this page."),
        values=[(gettext("Channel token"), raw)],
    )


@login_required
@console_view
@may_manage_channels
@require_http_methods(["GET", "POST"])
def deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm (GET), then switch the channel off (POST)."""
    channel = _channel(pk)
    if request.method == "GET":
        return _confirm(
            request,
            channel,
            question=gettext(
                "Switch “%(name)s” off? Its token is refused from then on and replies on it are not sent; "
                "its tickets and history stay, and you can switch it on again."
            )
            % {"name": channel.name},
            action_label=gettext("Switch off"),
            action_url=reverse("channel_setup:deactivate", args=[channel.pk]),
        )
    return perform(
        request,
        lambda: deactivate_channel(actor=request.user, channel=channel),
        done=lambda _: gettext(SWITCHED_OFF).format(name=channel.name),
        success=_page_url(channel),
        failure=_page_url(channel),
    )


@login_required
@console_view
@may_manage_channels
@require_POST
def activate(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(pk)
    return perform(
        request,
        lambda: reactivate_channel(actor=request.user, channel=channel),
        done=lambda _: gettext(SWITCHED_ON).format(name=channel.name),
        success=_page_url(channel),
        failure=_page_url(channel),
    )


@login_required
@console_view
@may_manage_channels
@require_POST
def send_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the kind's provider whether the channel's settings work, and say what it answered."""
    channel = _channel(pk)
    setup = kind_setup(channel.kind)
    if setup is None or setup.send_test is None:
        raise errors.NotFound(NO_TEST_FOR_KIND)
    try:
        sentence = setup.send_test(channel)
    except SetupCheckFailed as failed:
        return fail(request, TEST_FAILED.format(reason=gettext(failed.reason)), _page_url(channel))
    except Exception as error:  # a kind's bug must not become a 500 on the administrator's page
        logger.exception("Send test of channel %s (%s) crashed", channel.pk, channel.kind)
        return fail(
            request,
            gettext(TEST_FAILED).format(reason=gettext(TEST_CRASHED).format(error=type(error).__name__)),
            _page_url(channel),
        )
    messages.success(request, gettext(TEST_PASSED).format(sentence=sentence))
    return redirect(_page_url(channel))


def _confirm(request, channel: Channel, *, question: str, action_label: str, action_url: str) -> HttpResponse:
    context = {
        "channel": channel,
        "question": question,
        "action_label": action_label,
        "action_url": action_url,
        "cancel_url": _page_url(channel),
    }
    return render(request, "channels/setup/confirm.html", context)
