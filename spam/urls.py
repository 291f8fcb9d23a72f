"""The spam defence pages (/spam/): block rules, suspected spam, the overview."""

from django.urls import path

from . import overview_views, rule_views

app_name = "spam"

urlpatterns = [
    path("rules/", rule_views.rule_list, name="rules"),
    path("rules/add/", rule_views.rule_add, name="rule_add"),
    path("rules/<int:pk>/edit/", rule_views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", rule_views.rule_delete, name="rule_delete"),
    path("", overview_views.overview, name="overview"),
]
