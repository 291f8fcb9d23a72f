from django.urls import path

from . import whatsapp_views

app_name = "whatsapp"

urlpatterns = [
    path("<int:channel_id>/", whatsapp_views.webhook, name="webhook"),
]
