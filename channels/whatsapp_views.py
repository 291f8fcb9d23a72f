"""The WhatsApp webhook: Meta's verification handshake (GET) and its signed notifications (POST).

Not console pages: Meta calls them. Each channel has its own address,
/hooks/whatsapp/<channel id>/, so the app secret that checks a POST is known
before a byte of the body is read as JSON.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from blockdesk import errors
from blockdesk.api_schemas import MAX_ID
from contacts.inbound_limits import check_inbound_limit

from .inbound_answers import too_many
from .whatsapp import BAD_SIGNATURE, SIGNATURE_HEADER, parse_notification, receive_notification, signature_ok
from .whatsapp_models import WhatsAppChannel

NO_SUCH_CHANNEL = "No active WhatsApp channel has this webhook address."
VERIFICATION_REFUSED = "Verification refused: hub.mode must be `subscribe` and hub.verify_token this channel's token."
TOO_LARGE = "The body is larger than {limit} bytes."
# Meta's notifications are a few kilobytes; a body past this is not one.
MAX_BODY_BYTES = 1024 * 1024
# hub.challenge is a number Meta picks; anything longer is not Meta.
MAX_CHALLENGE = 256


def _detail(text: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": text}, status=status)


def _number(channel_id: int) -> WhatsAppChannel | None:
    if channel_id > MAX_ID:  # the path takes any digits; no database compares a bigint with more
        return None
    return (
        WhatsAppChannel.objects.select_related("channel")
        .filter(channel_id=channel_id, channel__is_active=True, channel__kind="whatsapp")
        .first()
    )


@csrf_exempt  # Meta signs its POSTs with the app secret instead (X-Hub-Signature-256)
@require_http_methods(["GET", "HEAD", "POST"])
def webhook(request: HttpRequest, channel_id: int) -> HttpResponse:
    number = _number(channel_id)
    if number is None:
        return _detail(NO_SUCH_CHANNEL, 404)
    if request.method == "POST":
        return _notification(request, number)
    return _verification(request, number)


def _verification(request: HttpRequest, number: WhatsAppChannel) -> HttpResponse:
    """Echo hub.challenge as plain text when hub.verify_token is this channel's, else 403."""
    challenge = request.GET.get("hub.challenge", "")
    if (
        request.GET.get("hub.mode") != "subscribe"
        or not number.verify_token_matches(request.GET.get("hub.verify_token", ""))
        or not challenge
        or len(challenge) > MAX_CHALLENGE
    ):
        return _detail(VERIFICATION_REFUSED, 403)
    return HttpResponse(challenge, content_type="text/plain; charset=utf-8")


def _notification(request: HttpRequest, number: WhatsAppChannel) -> HttpResponse:
    """Check the signature over the raw body, then parse, route and record; answer 200 with the counts."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return _detail(TOO_LARGE.format(limit=MAX_BODY_BYTES), 413)
    body = request.body
    if not signature_ok(number.app_secret, body, request.headers.get(SIGNATURE_HEADER, "")):
        return _detail(BAD_SIGNATURE, 401)
    try:
        changes = parse_notification(body)
    except errors.Invalid as invalid:
        return _detail(invalid.detail, 400)
    over = check_inbound_limit(number.channel, sum(len(change.messages) for change in changes))
    if over is not None:  # Meta delivers it again later
        return too_many(over)
    try:
        outcome = receive_notification(number, changes)
    except errors.Invalid as invalid:
        return _detail(invalid.detail, 400)
    return JsonResponse(outcome.as_dict())
