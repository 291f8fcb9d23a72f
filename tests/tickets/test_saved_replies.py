"""Saved replies (issue 16 point 3): personal and team-wide, searched, placeholders filled."""

import re

import pytest

from blockdesk import errors
from tests import factories
from tickets import saved_replies
from tickets.models import SavedReply

pytestmark = pytest.mark.django_db


def _refused(error_class, text):
    return pytest.raises(error_class, match=re.escape(text))


def test_an_agent_finds_their_own_and_the_teams_not_a_colleagues(agent, other_agent, supervisor):
    mine = saved_replies.add_saved_reply(actor=agent, title="Refund steps", body="To get a refund…", team=False)
    team = saved_replies.add_saved_reply(actor=supervisor, title="Greeting", body="Hello {contact_name}", team=True)
    saved_replies.add_saved_reply(actor=other_agent, title="Refund (mine)", body="x", team=False)

    assert saved_replies.search(agent, "refund") == [mine]
    assert saved_replies.search(agent, "HELLO") == [team]  # the text too, any case
    assert saved_replies.search(agent, "") == [team, mine]  # by title


def test_placeholders_become_the_contacts_and_the_agents_names(agent):
    agent.first_name, agent.last_name = "Sari", "Dewi"
    reply = SavedReply(title="Hi", body="Hello {contact_name}, this is {agent_name}. {unknown} stays.")
    contact = factories.ContactFactory(name="Budi")

    assert (
        saved_replies.filled(reply, contact=contact, agent=agent) == "Hello Budi, this is Sari Dewi. {unknown} stays."
    )


def test_only_supervisors_manage_team_replies(agent, supervisor):
    with _refused(errors.Forbidden, errors.NO_PERMISSION_TEAM_REPLIES):
        saved_replies.add_saved_reply(actor=agent, title="Team", body="x", team=True)
    team = saved_replies.add_saved_reply(actor=supervisor, title="Team", body="x", team=True)
    with _refused(errors.Forbidden, errors.NO_PERMISSION_TEAM_REPLIES):
        saved_replies.delete_saved_reply(actor=agent, reply=team)
    assert SavedReply.objects.filter(owner=None).count() == 1


def test_a_colleagues_personal_reply_is_not_found_even_by_a_supervisor(agent, supervisor):
    mine = saved_replies.add_saved_reply(actor=agent, title="Mine", body="x", team=False)
    with _refused(errors.NotFound, errors.SAVED_REPLY_NOT_FOUND):
        saved_replies.get_for(supervisor, mine.pk)
    with _refused(errors.NotFound, errors.SAVED_REPLY_NOT_FOUND):
        saved_replies.delete_saved_reply(actor=supervisor, reply=mine)


def test_a_blank_title_or_text_is_refused(agent):
    with _refused(errors.Invalid, errors.SAVED_REPLY_EMPTY):
        saved_replies.add_saved_reply(actor=agent, title="  ", body="x", team=False)
    assert not SavedReply.objects.exists()
