"""Post updates to the Telegram webhook through Django's test client, as Telegram would."""

import json

from django.test import Client

from channels.telegram import webhook_path


def post_update(bot, update, *, secret: str | None = None, client: Client | None = None, raw: bytes | None = None):
    headers = {}
    secret = bot.secret_token if secret is None else secret
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    body = raw if raw is not None else json.dumps(update)
    return (client or Client()).post(
        webhook_path(bot.channel), data=body, content_type="application/json", headers=headers
    )
