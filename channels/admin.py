from . import telegram_admin, webchat_admin  # noqa: F401  (register the Telegram and web chat admins)
