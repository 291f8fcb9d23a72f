"""Django admin for web chats: the allowed origins are checked, and the page gives the snippet to paste."""

import pytest
from django.core.exceptions import ValidationError

from channels.webchat_models import BAD_ORIGIN, validate_origins

pytestmark = pytest.mark.django_db


def test_the_change_page_shows_the_chat_page_and_the_snippet(client, administrator, chat):
    client.force_login(administrator)
    page = client.get(f"/admin/channels/webchatchannel/{chat.pk}/change/").content.decode()
    chat_url = f"http://testserver/chat/{chat.public_id}/"
    assert f'href="{chat_url}"' in page
    assert (
        f"&lt;script src=&quot;http://testserver/static/channels/widget.js&quot; data-chat=&quot;{chat_url}&quot; "
        "defer&gt;&lt;/script&gt;" in page
    )
    assert chat.identity_secret in page


@pytest.mark.parametrize("origin", ["shop.example.com", "https://shop.example.com/cart", "ftp://shop.example.com"])
def test_an_allowed_origin_must_be_scheme_and_host(origin):
    with pytest.raises(ValidationError) as refused:
        validate_origins(f"https://ok.example\n{origin}")
    assert refused.value.messages == [BAD_ORIGIN.format(origin=origin.lower())]


def test_origins_are_read_as_browsers_send_them(chat):
    chat.allowed_origins = "  HTTPS://Shop.Example.com/ \n\nhttp://localhost:8000\n"
    validate_origins(chat.allowed_origins)
    assert chat.origins == ["https://shop.example.com", "http://localhost:8000"]


def test_saving_a_bad_origin_in_admin_says_why_and_keeps_the_old_ones(client, administrator, chat):
    client.force_login(administrator)
    response = client.post(
        f"/admin/channels/webchatchannel/{chat.pk}/change/",
        {"allowed_origins": "https://shop.example.com/cart", "messages_per_visitor": 5, "messages_per_address": 9},
    )
    assert response.status_code == 200
    assert "is not an origin" in response.content.decode()
    chat.refresh_from_db()
    assert chat.origins == ["https://shop.example.com", "https://www.shop.example.com"]
    assert chat.messages_per_visitor == 20
