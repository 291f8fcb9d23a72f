from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from .api import api
from .console import forbidden, not_found
from .health import healthz
from .views import home

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("contacts/", include("contacts.urls")),
    path("tickets/", include("tickets.urls")),
    path("settings/", include("settings_app.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("audit/", include("contacts.audit_urls")),
    path("account/", include("accounts.urls")),
    path("search/", include("search.urls")),
    path("spam/", include("spam.urls")),
    path("channels/", include("channels.setup_urls")),
    # Public: the web chat's hosted page and its POSTs (visitors, not console users).
    path("chat/", include("channels.webchat_urls")),
    # Public: the Telegram Bot API's webhook, authenticated by the bot's secret token.
    path("hooks/telegram/", include("channels.telegram_urls")),
    # Public: WhatsApp Cloud API webhooks (Meta signs them; no console session).
    path("hooks/whatsapp/", include("channels.whatsapp_urls")),
]

# Refusals raised outside a console view (and unknown URLs) get the console's own pages; 500.html needs no view.
handler403 = forbidden
handler404 = not_found
