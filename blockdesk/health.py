"""GET /healthz: is this process up, and can it reach its database? For load balancers and monitors."""

from django.db import Error, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    """Answer 200 when a trivial query succeeds, else 503; no login, one cheap query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Error as exc:
        # Drop the broken connection now so the next probe opens a fresh one.
        connection.close_if_unusable_or_obsolete()
        return JsonResponse(
            {"status": "error", "database": "unavailable", "error": type(exc).__name__},
            status=503,
        )
    return JsonResponse({"status": "ok", "database": "ok"})
