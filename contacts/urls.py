from django.urls import path

from . import merge_views, views

app_name = "contacts"

urlpatterns = [
    path("", views.contact_list, name="list"),
    path("block/", views.bulk_block, name="bulk_block"),
    path("<int:pk>/", views.contact_detail, name="detail"),
    path("<int:pk>/block/", views.block, name="block"),
    path("<int:pk>/unblock/", views.unblock, name="unblock"),
    path("<int:pk>/edit/", merge_views.edit, name="edit"),
    path("<int:pk>/merge/", merge_views.merge_search, name="merge_search"),
    path("<int:pk>/merge/<int:other>/", merge_views.merge, name="merge"),
]
