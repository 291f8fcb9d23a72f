from django.urls import path

from . import setup_views

app_name = "channel_setup"

urlpatterns = [
    path("", setup_views.channel_list, name="list"),
    path("new/", setup_views.new_channel, name="new"),
    path("<int:pk>/", setup_views.channel_page, name="channel"),
    path("<int:pk>/rotate/", setup_views.rotate_token, name="rotate"),
    path("<int:pk>/deactivate/", setup_views.deactivate, name="deactivate"),
    path("<int:pk>/activate/", setup_views.activate, name="activate"),
    path("<int:pk>/test/", setup_views.send_test, name="test"),
]
