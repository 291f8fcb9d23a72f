"""The spam defence pages (/spam/): block rules, suspected spam, the overview."""

from django.urls import path

from . import overview_views

app_name = "spam"

urlpatterns = [
    path("", overview_views.overview, name="overview"),
]
