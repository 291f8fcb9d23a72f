from .telegram_models import TelegramChannel, TelegramUpdate
from .webchat_models import WebchatChannel
from .whatsapp_models import WhatsAppChannel

__all__ = ["TelegramChannel", "TelegramUpdate", "WebchatChannel", "WhatsAppChannel"]
