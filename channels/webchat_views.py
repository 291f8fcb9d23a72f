"""The web chat's public pages: the hosted chat page, sending a message, and the poll that brings replies.

Not console pages: nobody signs in here. Each answer names the visitor by the
chat page's signed form token (POSTs) or cookie (the page), never the session.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext, gettext_noop, pgettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from blockdesk import errors
from blockdesk.client_ip import client_ip

from . import webchat
from .webchat import Visitor
from .webchat_models import WebchatChannel

VISITOR_COOKIE = "bd_chat_visitor"
BAD_POLL = gettext_noop("The poll's position must be a message number.")


def _chat(public_id) -> WebchatChannel | None:
    return (
        WebchatChannel.objects.select_related("channel")
        .filter(public_id=public_id, channel__is_active=True, channel__kind="webchat")
        .first()
    )


def _refusal(request: HttpRequest, status: int, text: str, *, chat: WebchatChannel | None = None) -> HttpResponse:
    text = gettext(text)
    if request.htmx:
        response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    else:
        response = render(request, "channels/webchat/refusal.html", {"text": text, "chat": chat}, status=status)
    response.is_console_page = True  # our own page: the DEBUG 404 swap leaves it alone
    # Shown where the chat is: inside the widget's iframe on an allowed site too.
    return _allow_framing(response, chat) if chat is not None else response


def _own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _allow_framing(response: HttpResponse, chat: WebchatChannel) -> HttpResponse:
    """Only the channel's allowed origins may frame the chat page; everything else keeps frame-ancestors 'none'."""
    if chat.origins:
        response._csp_replace = {"frame-ancestors": chat.origins}
        response.xframe_options_exempt = True
    return response


def _set_cookie(response: HttpResponse, chat: WebchatChannel, visitor: Visitor) -> None:
    # A third-party iframe only gets a SameSite=None cookie, and browsers take those only when Secure.
    secure = settings.SESSION_COOKIE_SECURE
    response.set_cookie(
        VISITOR_COOKIE,
        webchat.signed_visitor(chat, visitor, "cookie"),
        max_age=webchat.VISITOR_MAX_AGE,
        path=f"/chat/{chat.public_id}/",
        secure=secure,
        httponly=True,
        samesite="None" if secure else "Lax",
    )


def _page_visitor(request: HttpRequest, chat: WebchatChannel) -> Visitor:
    """The host site's verified user if it passed one (errors.Forbidden if the hash is wrong), else the cookie's."""
    params = request.GET
    if "user_id" in params or "identifier_hash" in params:
        return webchat.verified_visitor(
            chat,
            user_id=params.get("user_id", ""),
            name=params.get("name", ""),
            email=params.get("email", ""),
            given_hash=params.get("identifier_hash", ""),
        )
    cookie = request.COOKIES.get(VISITOR_COOKIE, "")
    return webchat.visitor_from(chat, cookie, "cookie") or webchat.new_visitor()


def _page(request: HttpRequest, chat: WebchatChannel, visitor: Visitor, *, error: str = "", status: int = 200):
    messages = webchat.history(chat, visitor)
    context = {
        "chat": chat,
        "visitor": visitor,
        "messages": messages,
        "last_message_id": max((message.pk for message in messages), default=0),
        "token": webchat.signed_visitor(chat, visitor, "form"),
        "error": error,
        "max_length": webchat.MAX_MESSAGE_LENGTH,
        "refresh_seconds": settings.WEBCHAT_REFRESH_SECONDS,
    }
    response = render(request, "channels/webchat/chat.html", context, status=status)
    _set_cookie(response, chat, visitor)
    return _allow_framing(response, chat)


@require_safe
def chat_page(request: HttpRequest, public_id) -> HttpResponse:
    chat = _chat(public_id)
    if chat is None:
        return _refusal(request, 404, webchat.CHAT_NOT_FOUND)
    try:
        visitor = _page_visitor(request, chat)
    except errors.Forbidden as refusal:
        return _refusal(request, 403, refusal.detail, chat=chat)
    except errors.Invalid as invalid:
        return _refusal(request, 400, invalid.detail, chat=chat)
    return _page(request, chat, visitor)


def _posting_visitor(
    request: HttpRequest, public_id
) -> tuple[WebchatChannel | None, Visitor | None, HttpResponse | None]:
    """The chat and visitor a POST speaks for, or the refusal: no such chat, a foreign origin, no valid form token."""
    chat = _chat(public_id)
    if chat is None:
        return None, None, _refusal(request, 404, webchat.CHAT_NOT_FOUND)
    if not webchat.origin_allowed(chat, request.headers.get("Origin", ""), _own_origin(request)):
        return chat, None, _refusal(request, 403, webchat.ORIGIN_NOT_ALLOWED, chat=chat)
    token = request.headers.get("X-Chat-Token") or request.POST.get("token", "")
    visitor = webchat.visitor_from(chat, token, "form")
    if visitor is None:
        return chat, None, _refusal(request, 403, webchat.CHAT_SESSION_EXPIRED, chat=chat)
    return chat, visitor, None


@require_safe
def widget_texts(request: HttpRequest, public_id) -> JsonResponse:
    """The widget's button and frame texts in the visitor's language (Accept-Language), for the sites it may be on."""
    chat = _chat(public_id)
    if chat is None:
        return JsonResponse({"detail": gettext(webchat.CHAT_NOT_FOUND)}, status=404)
    response = JsonResponse(
        {
            "open": gettext("Chat with us"),
            "close": gettext("Close chat"),
            "title": pgettext("web chat page heading", "Chat"),
        }
    )
    origin = request.headers.get("Origin", "")
    if webchat.origin_allowed(chat, origin, _own_origin(request)):
        response["Access-Control-Allow-Origin"] = origin
    patch_vary_headers(response, ("Origin",))
    return response


# The chat's own signed form token protects these POSTs (see channels/webchat.py): Django's CSRF cookie
# is SameSite=Lax and never reaches the chat inside another site's iframe.
@csrf_exempt
@require_POST
def send_message(request: HttpRequest, public_id) -> HttpResponse:
    chat, visitor, refused = _posting_visitor(request, public_id)
    if refused is not None:
        return refused
    text = request.POST.get("text", "")
    try:
        webchat.clean_text(text)
    except errors.Invalid as invalid:
        return _invalid(request, chat, visitor, invalid.detail, 422)
    wait = webchat.retry_after(chat, visitor, client_ip(request))
    if wait:
        response = _invalid(request, chat, visitor, gettext(webchat.TOO_MANY_MESSAGES).format(seconds=wait), 429)
        response["Retry-After"] = str(wait)
        return response
    webchat.send_visitor_message(chat=chat, visitor=visitor, text=text)
    if request.htmx:
        # The page's poll fetches the message at once, so it shows exactly once, in order.
        return HttpResponse(status=204, headers={"HX-Trigger": "chat-refresh"})
    return redirect("webchat:page", public_id=chat.public_id)


def _invalid(request: HttpRequest, chat: WebchatChannel, visitor: Visitor, text: str, status: int) -> HttpResponse:
    if request.htmx:
        return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    return _page(request, chat, visitor, error=text, status=status)


@csrf_exempt
@require_POST
def poll(request: HttpRequest, public_id) -> HttpResponse:
    """Messages the page does not show yet, and the next poll; fetched replies are delivered, in a visible tab read."""
    chat, visitor, refused = _posting_visitor(request, public_id)
    if refused is not None:
        return refused
    after = request.GET.get("after", "")
    if not after.isdigit() or len(after) > 18:
        return HttpResponse(gettext(BAD_POLL), status=400, content_type="text/plain; charset=utf-8")
    new = webchat.messages_after(chat, visitor, int(after), tab_visible=request.POST.get("visible") == "1")
    context = {
        "chat": chat,
        "new_messages": new,
        "last_message_id": max([int(after), *(message.pk for message in new)]),
        "refresh_seconds": settings.WEBCHAT_REFRESH_SECONDS,
    }
    return render(request, "channels/webchat/_poll_update.html", context)
