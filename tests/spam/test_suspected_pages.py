"""The Suspected page (/spam/suspected/): the list, Dismiss and Block, for each persona."""

import pytest
from django.urls import reverse
from django.utils import timezone

from blockdesk import errors
from contacts.flood_guard import NO_PERMISSION_FLOOD, NO_PERMISSION_SUSPECTED
from contacts.models import AuditEntry, Contact, FloodFlag, FloodStatus
from tests import factories
from tests.spam.flood_helpers import flagged

LIST = "/spam/suspected/"


def _dismiss_url(flag):
    return reverse("spam:suspected_dismiss", args=[flag.pk])


def _block_url(flag):
    return reverse("spam:suspected_block", args=[flag.pk])


def test_urls():
    assert reverse("spam:suspected") == LIST
    assert reverse("spam:suspected_dismiss", args=[7]) == "/spam/suspected/7/dismiss/"
    assert reverse("spam:suspected_block", args=[7]) == "/spam/suspected/7/block/"


def test_supervisor_sees_open_flags_newest_first(client, supervisor, channel, blocking_on):
    older = flagged(channel, factories.ContactFactory(name="Older Spammer"))
    newer = flagged(channel, factories.ContactFactory(name="Newer Spammer"), messages=55, window_minutes=10)
    client.force_login(supervisor)
    page = client.get(LIST).content.decode()
    assert page.index("Newer Spammer") < page.index("Older Spammer")
    assert "55 messages in 10 min" in page and "31 messages in 5 min" in page
    assert reverse("contacts:detail", args=[older.contact_id]) in page
    assert _block_url(newer) in page and _dismiss_url(newer) in page
    assert 'aria-current="page">Suspected' in page  # the spam tabs


def test_history_lists_handled_flags_only(client, supervisor, channel):
    open_flag = flagged(channel, factories.ContactFactory(name="Still Open"))
    handled = flagged(channel, factories.ContactFactory(name="Was Dismissed"))
    client.force_login(supervisor)
    client.post(_dismiss_url(handled))
    page = client.get(LIST + "?status=history").content.decode()
    assert "Was Dismissed" in page and "Still Open" not in page
    assert "Dismissed by Sari" in page
    assert "Was Dismissed" not in client.get(LIST).content.decode()
    assert open_flag.status == FloodStatus.OPEN


def test_with_blocking_switched_off_the_block_button_is_the_refusal(client, supervisor, channel):
    flag = flagged(channel)
    client.force_login(supervisor)
    page = client.get(LIST).content.decode()
    assert errors.BLOCKING_DISABLED in page
    assert _block_url(flag) not in page
    assert _dismiss_url(flag) in page  # dismissing needs no blocking
    response = client.get(_block_url(flag))
    assert response.status_code == 403 and errors.BLOCKING_DISABLED in response.content.decode()


@pytest.mark.parametrize("persona", ["agent", "nobody"])
def test_others_get_the_403_page(client, persona, channel, agent):
    user = agent if persona == "agent" else factories.UserFactory(username="nobody")
    flag = flagged(channel)
    client.force_login(user)
    for url, method in ((LIST, "get"), (_dismiss_url(flag), "post"), (_block_url(flag), "get")):
        response = getattr(client, method)(url)
        assert response.status_code == 403
        assert NO_PERMISSION_SUSPECTED in response.content.decode()
    assert FloodFlag.objects.get(pk=flag.pk).status == FloodStatus.OPEN


def test_anonymous_is_sent_to_sign_in(client, channel):
    flag = flagged(channel)
    for url in (LIST, _dismiss_url(flag), _block_url(flag)):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_dismiss(client, supervisor, channel):
    flag = flagged(channel)
    client.force_login(supervisor)
    response = client.post(_dismiss_url(flag), follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert "no longer suspected" in response.content.decode()
    flag.refresh_from_db()
    assert (flag.status, flag.resolved_by) == (FloodStatus.DISMISSED, supervisor)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.FLOOD_DISMISSED).count() == 1


def test_dismiss_twice_says_why_and_changes_nothing(client, supervisor, channel):
    flag = flagged(channel)
    client.force_login(supervisor)
    client.post(_dismiss_url(flag))
    page = client.post(_dismiss_url(flag), follow=True).content.decode()
    assert "already handled (dismissed)" in page
    assert AuditEntry.objects.filter(action=AuditEntry.Action.FLOOD_DISMISSED).count() == 1


def test_dismiss_is_post_only_and_unknown_is_404(client, supervisor, channel):
    flag = flagged(channel)
    client.force_login(supervisor)
    assert client.get(_dismiss_url(flag)).status_code == 405
    assert client.post("/spam/suspected/999999/dismiss/").status_code == 404
    assert client.get("/spam/suspected/999999/block/").status_code == 404


def test_block_form_then_block(client, supervisor, channel, blocking_on):
    flag = flagged(channel)
    client.force_login(supervisor)
    form = client.get(_block_url(flag)).content.decode()
    assert 'name="reason"' in form and 'value="30d"' in form and 'name="until"' in form
    assert "31 messages in 5 min" in form
    response = client.post(_block_url(flag), {"reason": "spam", "note": "bot", "duration": "7d"}, follow=True)
    assert response.redirect_chain[-1][0] == LIST
    contact = Contact.objects.get(pk=flag.contact_id)
    assert contact.is_blocked and contact.blocked_until is not None and contact.blocked_note == "bot"
    flag.refresh_from_db()
    assert (flag.status, flag.resolved_by) == (FloodStatus.BLOCKED, supervisor)
    page = response.content.decode()
    assert f"{contact} is blocked until" in page
    assert f'id="flag-{flag.pk}"' not in page  # a blocked contact leaves the list


def test_block_with_a_bad_duration_shows_the_form_again(client, supervisor, channel, blocking_on):
    flag = flagged(channel)
    client.force_login(supervisor)
    response = client.post(_block_url(flag), {"reason": "spam", "duration": "99y"})
    assert response.status_code == 200
    assert errors.BLOCK_DURATION_INVALID in response.content.decode()
    assert not Contact.objects.get(pk=flag.contact_id).is_blocked


def test_block_a_contact_blocked_meanwhile(client, supervisor, channel, blocking_on):
    flag = flagged(channel)
    # Blocked outside the domain (a block made before flags were closed by every block): the flag stayed open.
    Contact.objects.filter(pk=flag.contact_id).update(is_blocked=True, blocked_reason="spam", blocked_at=timezone.now())
    client.force_login(supervisor)
    page = client.post(_block_url(flag), {"reason": "spam", "duration": "forever"}, follow=True).content.decode()
    assert errors.ALREADY_BLOCKED in page
    assert FloodFlag.objects.get(pk=flag.pk).status == FloodStatus.BLOCKED


def test_viewer_without_change_permission_sees_no_buttons(client, channel):
    from django.contrib.auth.models import Permission

    viewer = factories.UserFactory(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_floodflag"))
    flag = flagged(channel)
    client.force_login(viewer)
    page = client.get(LIST).content.decode()
    assert _dismiss_url(flag) not in page and _block_url(flag) not in page
    response = client.post(_dismiss_url(flag))
    assert response.status_code == 403 and NO_PERMISSION_FLOOD in response.content.decode()


def test_list_queries_do_not_grow_with_rows(client, supervisor, channel, django_assert_max_num_queries):
    for _ in range(3):
        flagged(channel)
    client.force_login(supervisor)
    with django_assert_max_num_queries(12) as few:
        client.get(LIST)
    for _ in range(20):
        flagged(channel)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(LIST)
