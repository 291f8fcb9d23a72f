from django.urls import path

from . import webchat_views

app_name = "webchat"

urlpatterns = [
    path("<uuid:public_id>/", webchat_views.chat_page, name="page"),
    path("<uuid:public_id>/messages/", webchat_views.send_message, name="send"),
    path("<uuid:public_id>/poll/", webchat_views.poll, name="poll"),
    path("<uuid:public_id>/widget/", webchat_views.widget_texts, name="widget"),
]
