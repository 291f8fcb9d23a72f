"""URLs of the audit trail and the audit exports, included at /audit/."""

from django.urls import path

from . import audit_views

app_name = "audit"

urlpatterns = [
    path("", audit_views.audit_trail, name="trail"),
    path("export.csv", audit_views.audit_trail_csv, name="trail_csv"),
    path("blocked-contacts.csv", audit_views.blocked_contacts_csv, name="blocked_contacts_csv"),
]
