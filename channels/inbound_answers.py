"""What a provider's webhook answers when its channel is over an inbound limit (contacts.inbound_limits)."""

from django.http import JsonResponse

from contacts.inbound_limits import Over


def too_many(over: Over) -> JsonResponse:
    """429 with Retry-After and a JSON detail: the provider sends it again later; nothing was stored."""
    response = JsonResponse({"detail": over.detail}, status=429)
    response["Retry-After"] = str(over.retry_after)
    return response
