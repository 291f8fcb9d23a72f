"""The optional mirror of a block to WhatsApp's block-users endpoint (off by default)."""

import pytest

from channels.whatsapp_send import mirror_block_to_whatsapp, push_block
from contacts import block_mirrors
from contacts.blocking import block_contact, unblock_contact
from contacts.models import BlockReason, UnblockChoice
from tests import factories
from tests.channels.conftest import WA_ACCESS_TOKEN, WA_PHONE_NUMBER_ID
from tests.inbound import deliver

pytestmark = pytest.mark.django_db

BUDI = "+6281234567890"


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def mirroring(number):
    number.mirror_blocks = True
    number.save()
    return number


@pytest.fixture
def budi(number):
    return deliver(number.channel, BUDI, "hi").contact


def _block(supervisor, contact, callbacks):
    with callbacks(execute=True):
        block_contact(actor=supervisor, contact=contact, reason=BlockReason.SPAM)


def test_off_by_default_nothing_goes_to_whatsapp(
    graph, number, budi, supervisor, blocking_on, immediate_tasks, django_capture_on_commit_callbacks
):
    assert number.mirror_blocks is False

    _block(supervisor, budi, django_capture_on_commit_callbacks)

    assert graph.requests == []


def test_on_a_block_posts_the_number_to_block_users(
    graph, mirroring, budi, supervisor, blocking_on, immediate_tasks, django_capture_on_commit_callbacks
):
    _block(supervisor, budi, django_capture_on_commit_callbacks)

    [request] = graph.requests
    assert (request["method"], request["path"]) == ("POST", f"/v21.0/{WA_PHONE_NUMBER_ID}/block_users")
    assert request["headers"]["Authorization"] == f"Bearer {WA_ACCESS_TOKEN}"
    assert request["json"] == {"messaging_product": "whatsapp", "block_users": [{"user": "6281234567890"}]}
    assert graph.blocked == {"6281234567890"}


def test_an_unblock_deletes_it_again(
    graph, mirroring, budi, supervisor, blocking_on, immediate_tasks, django_capture_on_commit_callbacks
):
    _block(supervisor, budi, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        unblock_contact(actor=supervisor, contact=budi, choice=UnblockChoice.UNBLOCK_ALL)

    assert [r["method"] for r in graph.requests] == ["POST", "DELETE"]
    assert graph.blocked == set()


def test_the_mirror_runs_only_after_the_block_commits(mirroring, budi, supervisor, blocking_on):
    # Without the commit callbacks run (the test's transaction never commits), nothing is enqueued.
    calls = []
    block_mirrors.register_block_mirror(calls.append)
    try:
        block_contact(actor=supervisor, contact=budi, reason=BlockReason.SPAM)
    finally:
        block_mirrors._mirrors.remove(calls.append)
    assert calls == []


def test_a_contact_without_a_whatsapp_number_there_enqueues_nothing(
    graph, mirroring, supervisor, blocking_on, immediate_tasks, django_capture_on_commit_callbacks
):
    stranger = factories.ContactFactory()

    _block(supervisor, stranger, django_capture_on_commit_callbacks)

    assert graph.requests == []


def test_a_refusal_by_meta_is_reported_and_the_block_stands(graph, mirroring, budi, supervisor, blocking_on):
    graph.token = "revoked"
    block_contact(actor=supervisor, contact=budi, reason=BlockReason.SPAM)

    outcome = push_block(budi.pk, True)

    assert "Error validating access token" in outcome
    budi.refresh_from_db()
    assert budi.is_blocked


def test_a_failing_mirror_never_breaks_a_block(budi, supervisor, blocking_on, django_capture_on_commit_callbacks):
    def broken(contact_id, blocked):
        raise RuntimeError("provider down")

    block_mirrors.register_block_mirror(broken)
    try:
        _block(supervisor, budi, django_capture_on_commit_callbacks)
    finally:
        block_mirrors._mirrors.remove(broken)
    budi.refresh_from_db()
    assert budi.is_blocked


def test_the_task_is_a_django_task():
    assert mirror_block_to_whatsapp.name == "mirror_block_to_whatsapp"
