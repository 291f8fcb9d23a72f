"""What every console view shares: where to go next, page or dialog, and the one mapping of errors.

Refusals: a view decorated with @console_view that raises (or lets a domain
function raise) errors.Forbidden or PermissionDenied answers with the styled
403 page, errors.NotFound or Http404 with the styled 404 page, each saying the
error's text; an htmx request into the dialog gets the same refusal as a
dialog partial. Handled here rather than by Django's handlers alone so a DEBUG
run (the demo) shows the same pages instead of Django's debug 404.
handler403/handler404/handler500 (blockdesk/urls.py) render the same pages
for anything raised outside a console view.

Failures the person can fix: `perform` runs a domain function and turns
errors.Conflict and errors.Invalid into an error notification and a redirect.
"""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_noop
from django_htmx.http import HttpResponseClientRedirect

from blockdesk import errors

REFUSAL_TITLES = {403: gettext_noop("Not allowed"), 404: gettext_noop("Not found")}
DEFAULT_REFUSALS = {403: errors.NO_PERMISSION_PAGE, 404: errors.PAGE_NOT_FOUND}


def safe_next(request: HttpRequest, url: str) -> str:
    """Return url if it points into this site, else ""."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def requested_next(request: HttpRequest, default: str) -> str:
    """The request's `next` (form, then query string) if it points into this site, else default."""
    return safe_next(request, request.POST.get("next") or request.GET.get("next") or "") or default


def in_dialog(request: HttpRequest) -> bool:
    """True for an htmx request whose answer goes into the shared dialog (not a boosted page load)."""
    return bool(request.htmx) and not request.htmx.boosted


def render_page_or_dialog(
    request: HttpRequest, page: str, partial: str, context: dict, status: int = 200
) -> HttpResponse:
    """Render the partial for an htmx request (it goes into the dialog), else the full page."""
    dialog = in_dialog(request)
    response = render(request, partial if dialog else page, {**context, "in_dialog": dialog}, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def refusal(request: HttpRequest, status: int, detail: str = "") -> HttpResponse:
    """The styled 403 or 404 page (or its dialog partial) saying why."""
    context = {
        "title": gettext(REFUSAL_TITLES[status]),
        # An errors constant (PermissionDenied(errors.NO_ROLE)) is translated here; a domain error's text already is.
        "detail": gettext(detail or DEFAULT_REFUSALS[status]),
        "back_url": _back_url(request),
    }
    response = render_page_or_dialog(request, f"{status}.html", "_refusal.html", context, status=status)
    response.is_console_page = True
    return response


def _back_url(request: HttpRequest) -> str:
    """Where the refusal's Back button goes: the page the person came from, if it is ours, else home."""
    referer = safe_next(request, request.headers.get("referer", ""))
    back = urlsplit(referer)._replace(scheme="", netloc="").geturl()
    if back and back != request.get_full_path():
        return back
    return reverse("home")


def _detail(exception: Exception) -> str:
    """The text an exception carries, if any (PermissionDenied() and Http404() carry none)."""
    if isinstance(exception, errors.DomainError):
        return exception.detail
    return str(exception.args[0]) if exception.args and isinstance(exception.args[0], str) else ""


def console_view(view: Callable) -> Callable:
    """Answer the refusals a view raises with the console's own 403 and 404 pages."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (errors.Forbidden, PermissionDenied) as error:
            return refusal(request, 403, _detail(error))
        except (errors.NotFound, Http404) as error:
            return refusal(request, 404, _detail(error))

    return wrapped


def require_permission(permission: str, refusal_text: str) -> Callable:
    """Refuse (403, saying refusal_text) anyone without the permission, before the view reads any input."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.has_perm(permission):
                raise PermissionDenied(refusal_text)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def go_to(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect; an htmx request is told to load the page instead of swapping it into the dialog."""
    return HttpResponseClientRedirect(url) if in_dialog(request) else redirect(url)


def fail(request: HttpRequest, detail: str, url: str) -> HttpResponse:
    """Say what went wrong as an error notification, on the page at url (an errors constant is translated)."""
    messages.error(request, gettext(detail))
    return go_to(request, url)


def perform(request: HttpRequest, action: Callable, *, done: Callable[..., str], success: str, failure: str):
    """Run a domain function; say what happened and go to success, or say why not and go to failure.

    Forbidden and NotFound are not caught: @console_view answers them with the 403 or 404 page.
    """
    try:
        result = action()
    except (errors.Conflict, errors.Invalid) as error:
        return fail(request, error.detail, failure)
    messages.success(request, done(result))
    return go_to(request, success)


def forbidden(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403: PermissionDenied raised outside a console view."""
    return refusal(request, 403, _detail(exception))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent from a stale page or without its token gets the 403 page saying what to do."""
    return refusal(request, 403, errors.CSRF_FAILED)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: an unknown URL or an Http404 raised outside a console view (DEBUG off)."""
    return refusal(request, 404, _detail(exception))
