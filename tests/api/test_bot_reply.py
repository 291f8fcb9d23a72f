"""The bot webhook's bot calls back: POST /tickets/{id}/bot-reply and /handover with the bot secret."""

import pytest

from blockdesk import errors
from blockdesk.api_auth import BAD_BOT_SECRET, NO_BOT_SECRET
from contacts.blocking import block_contact
from contacts.models import BlockReason
from settings_app.bot import forget_answerer
from settings_app.models import BotAnswerer, SystemSettings
from tests import factories
from tickets.access import TICKET_NOT_FOUND
from tickets.models import DeliveryState, Message, TicketStatus

from .conftest import API, bearer

pytestmark = pytest.mark.django_db

SECRET = "bot-secret-for-api-tests"


@pytest.fixture
def webhook_bot(db):
    """The bot webhook answers BOT tickets, with SECRET."""
    SystemSettings.objects.filter(pk=SystemSettings.SINGLETON_PK).update(
        bot_answerer=BotAnswerer.WEBHOOK, bot_webhook_url="https://bot.example.com/hook", bot_webhook_secret=SECRET
    )
    forget_answerer()


@pytest.fixture
def bot_ticket(channel):
    ticket = factories.TicketFactory(channel=channel, status=TicketStatus.BOT)
    factories.MessageFactory(ticket=ticket)
    return ticket


def reply(client, ticket_id, body, token=SECRET):
    headers = bearer(token) if token else {}
    return client.post(f"{API}/tickets/{ticket_id}/bot-reply", body, content_type="application/json", headers=headers)


def handover(client, ticket_id, token=SECRET):
    return client.post(f"{API}/tickets/{ticket_id}/handover", headers=bearer(token))


def _bot_messages(ticket):
    return list(ticket.messages.filter(direction=Message.Direction.OUT, author=None))


def test_the_bot_replies_as_the_bot(client, webhook_bot, bot_ticket):
    count_before = bot_ticket.message_count

    response = reply(client, bot_ticket.pk, {"text": "  We open at 08:00.  "})

    assert response.status_code == 201
    body = response.json()
    assert (body["direction"], body["text"], body["author"]) == ("out", "We open at 08:00.", None)
    [message] = _bot_messages(bot_ticket)
    assert (message.pk, message.delivery_state) == (body["id"], DeliveryState.QUEUED)
    bot_ticket.refresh_from_db()
    assert (bot_ticket.status, bot_ticket.message_count) == (TicketStatus.BOT, count_before + 1)
    assert bot_ticket.last_message_preview == "We open at 08:00."


@pytest.mark.parametrize(
    ("token", "detail"),
    [(None, NO_BOT_SECRET), ("not-the-secret-at-all", BAD_BOT_SECRET), (SECRET + "x", BAD_BOT_SECRET)],
    ids=["no token", "wrong", "longer"],
)
def test_without_the_bot_secret_401(client, webhook_bot, bot_ticket, token, detail):
    response = reply(client, bot_ticket.pk, {"text": "hi"}, token=token)

    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert _bot_messages(bot_ticket) == []


@pytest.mark.parametrize("persona", ["agent", "supervisor", "administrator"])
def test_a_personal_token_is_not_the_bots(client, webhook_bot, bot_ticket, token_for, request, persona):
    response = reply(client, bot_ticket.pk, {"text": "hi"}, token=token_for(request.getfixturevalue(persona)))

    assert response.status_code == 401
    assert response.json() == {"detail": BAD_BOT_SECRET}


@pytest.mark.parametrize("answerer", [BotAnswerer.NOBODY, BotAnswerer.BUILTIN])
def test_the_secret_works_only_while_the_webhook_answers(client, webhook_bot, bot_ticket, answerer):
    SystemSettings.objects.update(bot_answerer=answerer)

    assert reply(client, bot_ticket.pk, {"text": "hi"}).status_code == 401
    assert handover(client, bot_ticket.pk).status_code == 401


@pytest.mark.parametrize("status", [TicketStatus.UNASSIGNED, TicketStatus.ASSIGNED, TicketStatus.RESOLVED])
def test_a_ticket_not_with_the_bot_is_409(client, webhook_bot, channel, agent, status):
    ticket = factories.TicketFactory(
        channel=channel, status=status, assignee=agent if status == TicketStatus.ASSIGNED else None
    )

    response = reply(client, ticket.pk, {"text": "hi"})

    assert response.status_code == 409
    assert response.json() == {"detail": errors.TICKET_NOT_WITH_BOT}
    assert _bot_messages(ticket) == []


def test_a_blocked_ticket_is_409_and_gets_nothing(client, webhook_bot, channel):
    ticket = factories.TicketFactory(channel=channel, status=TicketStatus.BLOCKED)

    response = reply(client, ticket.pk, {"text": "hi"})

    assert response.status_code == 409
    assert response.json() == {"detail": errors.TICKET_IS_BLOCKED}
    assert _bot_messages(ticket) == []


def test_a_contact_blocked_meanwhile_gets_no_bot_answer(client, webhook_bot, bot_ticket, blocking_on, supervisor):
    block_contact(actor=supervisor, contact=bot_ticket.contact, reason=BlockReason.SPAM, resolve_open_tickets=False)

    response = reply(client, bot_ticket.pk, {"text": "hi"})

    assert response.status_code == 409
    assert _bot_messages(bot_ticket) == []


def test_an_unknown_ticket_is_404(client, webhook_bot):
    response = reply(client, 999_999, {"text": "hi"})

    assert response.status_code == 404
    assert response.json() == {"detail": TICKET_NOT_FOUND}


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "text"), ({"text": ""}, "text"), ({"text": "x" * 10_001}, "text"), ({"text": 5}, "text")],
    ids=["missing", "empty", "too long", "not text"],
)
def test_a_bad_text_is_422(client, webhook_bot, bot_ticket, body, field):
    response = reply(client, bot_ticket.pk, body)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert _bot_messages(bot_ticket) == []


def test_only_spaces_is_422(client, webhook_bot, bot_ticket):
    response = reply(client, bot_ticket.pk, {"text": "   "})

    assert response.status_code == 422
    assert response.json()["detail"] == errors.EMPTY_TEXT


def test_a_body_that_is_not_json_is_400(client, webhook_bot, bot_ticket):
    response = client.post(
        f"{API}/tickets/{bot_ticket.pk}/bot-reply", "text=hi", content_type="application/json", headers=bearer(SECRET)
    )

    assert response.status_code == 400


def test_get_is_405(client, webhook_bot, bot_ticket):
    assert client.get(f"{API}/tickets/{bot_ticket.pk}/bot-reply", headers=bearer(SECRET)).status_code == 405


# /handover with the bot secret


def test_the_bot_hands_over_to_unassigned(client, webhook_bot, bot_ticket):
    response = handover(client, bot_ticket.pk)

    assert response.status_code == 200
    assert response.json()["status"] == TicketStatus.UNASSIGNED
    bot_ticket.refresh_from_db()
    assert bot_ticket.status == TicketStatus.UNASSIGNED


def test_the_bot_cannot_hand_over_a_ticket_not_with_it(client, webhook_bot, channel):
    ticket = factories.TicketFactory(channel=channel, status=TicketStatus.BLOCKED)

    response = handover(client, ticket.pk)

    assert response.status_code == 409
    assert response.json() == {"detail": errors.TICKET_NOT_WITH_BOT}
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.BLOCKED


def test_handover_still_takes_a_personal_token(client, webhook_bot, bot_ticket, supervisor, token_for):
    assert handover(client, bot_ticket.pk, token=token_for(supervisor)).status_code == 200


def test_handover_with_a_wrong_token_is_401(client, webhook_bot, bot_ticket):
    response = handover(client, bot_ticket.pk, token="neither-bot-nor-person")

    assert response.status_code == 401
    bot_ticket.refresh_from_db()
    assert bot_ticket.status == TicketStatus.BOT
