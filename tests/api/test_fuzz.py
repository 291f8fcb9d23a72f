"""Schemathesis against /api/v1/openapi.json: no 5xx, and every answer inside the documented schema.

Runs in-process through Django's WSGI handler (in the test's transaction), with
a channel token for the inbound operations and a supervisor's token for the rest.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from contacts.block_rules import create_rule
from contacts.spam_models import FloodFlag, FloodStatus, RuleHitDay
from tests import factories
from tests.api.conftest import API, bearer
from tests.api.fuzz_counts import CASES
from tests.inbound import deliver

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 50


@pytest.fixture
def fuzz_tokens(db, channel, channel_token, supervisor, token_for, blocking_on):
    """Something for the fuzzer to find: a blocked contact with a blocked ticket, a normal ticket, block rules."""
    deliver(channel, contact_id="+620001", message_id="fuzz-1")
    spammer = factories.ContactFactory()
    deliver(channel, contact_id="+620002", message_id="fuzz-2")
    factories.TicketFactory(contact=spammer, channel=channel, status="blocked")
    # Block rules to show, change and delete (/rules/{rule_id}).
    spam_rule = create_rule(actor=supervisor, kind="domain", value="spam.example", action="quarantine")
    create_rule(actor=supervisor, kind="address", value="+620003", action="reject", channel=channel)
    # The spam overview's other counts: a rule hit and a flood flag.
    today = timezone.localdate()
    RuleHitDay.objects.create(rule=spam_rule, action="quarantine", channel=channel, day=today, hits=3)
    FloodFlag.objects.create(contact=spammer, channel=channel, flagged_at=timezone.now(), messages=31, window_minutes=5)
    # Suspected spam for /suspected: an open flag to dismiss or block, a handled one for the history.
    FloodFlag.objects.create(
        contact=factories.ContactFactory(), channel=channel, flagged_at=timezone.now(), messages=31, window_minutes=5
    )
    FloodFlag.objects.create(
        contact=factories.ContactFactory(),
        channel=channel,
        flagged_at=timezone.now(),
        messages=40,
        window_minutes=5,
        status=FloodStatus.DISMISSED,
        resolved_at=timezone.now(),
    )
    return {"channel": bearer(channel_token), "staff": bearer(token_for(supervisor))}


@pytest.fixture(autouse=True)
def _keep_test_transaction(db):
    # Django closes "obsolete" connections when a request starts and finishes;
    # in-process that would be the test's own transaction (the test client
    # disconnects the same receivers).
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_api_answers_inside_its_schema(case, fuzz_tokens):
    auth = fuzz_tokens["channel"] if case.operation.path.startswith(f"{API}/inbound/") else fuzz_tokens["staff"]
    CASES[case.operation.label] += 1
    case.call_and_validate(headers=auth, checks=CHECKS)
