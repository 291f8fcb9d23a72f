from django.urls import path

from . import notice_views, reply_views, sla_views, views

app_name = "tickets"

urlpatterns = [
    path("", views.agent_dashboard, name="agent"),
    path("supervisor/", views.supervisor_dashboard, name="supervisor"),
    path("live/<slug:board>/", views.queue_live, name="queue_live"),
    path("blocked/confirm/", views.confirm_bulk, name="bulk_confirm"),
    path("blocked/unblock/", views.bulk_unblock, name="bulk_unblock"),
    path("blocked/delete/", views.bulk_delete, name="bulk_delete"),
    path("failed/", views.failed_deliveries, name="failed"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/messages/<int:message_pk>/retry/", views.retry_delivery, name="retry_delivery"),
    path("sla/", sla_views.sla_view, name="sla"),
    path("notices/", notice_views.notice_list, name="notices"),
    path("notices/count/", notice_views.notice_counter, name="notice_counter"),
    path("replies/", reply_views.saved_reply_list, name="saved_replies"),
    path("replies/add/", reply_views.saved_reply_add, name="saved_reply_add"),
    path("replies/<int:pk>/delete/", reply_views.saved_reply_delete, name="saved_reply_delete"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("<int:pk>/replies/", reply_views.saved_reply_search, name="saved_reply_search"),
    path("<int:pk>/timeline/", views.ticket_timeline, name="timeline"),
    path("<int:pk>/take/", views.take, name="take"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/note/", views.note, name="note"),
    path("<int:pk>/handover/", views.hand_over, name="handover"),
    path("<int:pk>/unblock/", views.unblock, name="unblock"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/delete/confirm/", views.confirm_delete, name="confirm_delete"),
]
