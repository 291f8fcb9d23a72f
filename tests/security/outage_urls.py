"""Probe views for the outage tests: each reads the database, as any real page does."""

from django.contrib.auth import get_user_model
from django.http import HttpResponse, JsonResponse
from django.urls import path
from ninja import NinjaAPI

from blockdesk import outage
from blockdesk.health import healthz


def console_page(request):
    return HttpResponse(f"{get_user_model().objects.count()} users")


def api_view(request):
    return JsonResponse({"users": get_user_model().objects.count()})


def write_session(request):
    # The session is saved by SessionMiddleware after the view returns: outside the view.
    request.session["seen"] = True
    return HttpResponse("ok")


def crash(request):
    raise ValueError("a real bug")


# An API that, like many, turns every unexpected exception into its own 500 body.
ninja_api = NinjaAPI(urls_namespace="outage_probe")


@ninja_api.exception_handler(Exception)
def _catch_all(request, exc):
    return ninja_api.create_response(request, {"detail": "Internal error."}, status=500)


@ninja_api.get("/users")
def ninja_users(request):
    return {"users": get_user_model().objects.count()}


outage.install(ninja_api)

urlpatterns = [
    path("console/", console_page),
    path("api/plain/", api_view),
    path("session/", write_session),
    path("crash/", crash),
    path("api/ninja/", ninja_api.urls),
    path("healthz", healthz),
]
