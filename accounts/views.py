"""My profile (language, time zone) and My API tokens: what each person sets for themselves."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_http_methods

from blockdesk import errors
from blockdesk.console import console_view

from .forms import NewTokenForm, ProfileForm
from .models import LANGUAGE_CHOICES, ApiToken
from .profiles import profile_of, save_profile
from .tokens import issue_api_token, revoke_api_token

TOKEN_REVOKED = gettext_noop("Revoked {token}: requests with it are refused from now on.")
PROFILE_SAVED = gettext_noop("Saved. Language: {language}. Time zone: {time_zone}.")


@login_required
@console_view
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """Show my language and time zone; a POST saves them."""
    mine = profile_of(request.user)
    if request.method == "GET":
        form = ProfileForm(initial={"language": mine.language, "time_zone": mine.time_zone})
        return render(request, "accounts/profile.html", {"form": form})
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            saved = save_profile(person=request.user, **form.cleaned_data)
        except errors.Invalid as error:
            form.add_error(None, error.detail)
        else:
            language = dict(LANGUAGE_CHOICES)[saved.language]
            time_zone = saved.time_zone or gettext("the site's (%(zone)s)") % {"zone": settings.TIME_ZONE}
            messages.success(request, gettext(PROFILE_SAVED).format(language=language, time_zone=time_zone))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form}, status=400)


@login_required
@console_view
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """List my tokens; a POST makes one and shows its value once."""
    form = NewTokenForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            token, raw = issue_api_token(actor=request.user, owner=request.user, name=form.cleaned_data["name"])
        except errors.DomainError as error:
            form.add_error(None, error.detail)
        else:
            response = render(request, "accounts/token_created.html", {"token": token, "raw": raw})
            response["Cache-Control"] = "no-store"  # the raw token must not be kept by any cache
            return response
    mine = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-id")
    status = 400 if form.is_bound else 200
    return render(request, "accounts/tokens.html", {"form": form, "tokens": mine}, status=status)


@login_required
@console_view
@require_http_methods(["GET", "POST"])
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm (GET), then revoke (POST) one of my tokens; anyone else's is a 404 here."""
    token = ApiToken.objects.filter(pk=pk, user=request.user).first()
    if token is None:
        raise errors.NotFound(errors.API_TOKEN_NOT_FOUND)
    if request.method == "GET":
        if token.revoked_at is not None:
            messages.info(request, gettext(errors.API_TOKEN_ALREADY_REVOKED))
            return redirect("accounts:tokens")
        return render(request, "accounts/revoke_token.html", {"token": token})
    try:
        revoke_api_token(actor=request.user, token=token)
    except errors.DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, gettext(TOKEN_REVOKED).format(token=f"{token.token_prefix}… “{token.name}”"))
    return redirect("accounts:tokens")
