"""The spam defence pages (/spam/): block rules, suspected spam, the overview."""

from django.urls import path

from . import suspected_views

app_name = "spam"

urlpatterns = [
    path("suspected/", suspected_views.suspected_list, name="suspected"),
    path("suspected/<int:pk>/dismiss/", suspected_views.dismiss, name="suspected_dismiss"),
    path("suspected/<int:pk>/block/", suspected_views.block, name="suspected_block"),
]
