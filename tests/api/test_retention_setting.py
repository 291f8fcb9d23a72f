"""Blocked ticket retention through the settings API: read, set, switch off, refuse."""

import json

import pytest

from settings_app.retention import retention_days

pytestmark = pytest.mark.django_db


def test_the_api_reads_and_sets_it(as_user, administrator, supervisor):
    client = as_user(administrator)
    response = client.patch(
        "/api/v1/settings", json.dumps({"blocked_ticket_retention_days": 14}), content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["blocked_ticket_retention_days"] == 14
    response = client.patch(
        "/api/v1/settings", json.dumps({"blocked_ticket_retention_days": 0}), content_type="application/json"
    )
    assert response.json()["blocked_ticket_retention_days"] is None
    for bad in (-3, 4000, "14", 1.5):
        response = client.patch(
            "/api/v1/settings", json.dumps({"blocked_ticket_retention_days": bad}), content_type="application/json"
        )
        assert response.status_code == 422
    assert retention_days() is None
    refused = as_user(supervisor).patch(
        "/api/v1/settings", json.dumps({"blocked_ticket_retention_days": 5}), content_type="application/json"
    )
    assert refused.status_code == 403 and retention_days() is None
