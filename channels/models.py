from .telegram_models import TelegramChannel, TelegramUpdate
from .webchat_models import WebchatChannel

__all__ = ["TelegramChannel", "TelegramUpdate", "WebchatChannel"]
