from django.urls import path

from . import telegram_views

app_name = "telegram"

urlpatterns = [
    path("<int:channel_id>/", telegram_views.webhook, name="webhook"),
]
