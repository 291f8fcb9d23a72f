"""The spam defence pages (/spam/): block rules, suspected spam, the overview."""

from django.urls import path

from . import overview_views, rule_views, suspected_views

app_name = "spam"

urlpatterns = [
    path("rules/", rule_views.rule_list, name="rules"),
    path("rules/add/", rule_views.rule_add, name="rule_add"),
    path("rules/<int:pk>/edit/", rule_views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", rule_views.rule_delete, name="rule_delete"),
    path("", overview_views.overview, name="overview"),
    path("suspected/", suspected_views.suspected_list, name="suspected"),
    path("suspected/<int:pk>/dismiss/", suspected_views.dismiss, name="suspected_dismiss"),
    path("suspected/<int:pk>/block/", suspected_views.block, name="suspected_block"),
]
