from .webchat_models import WebchatChannel
from .whatsapp_models import WhatsAppChannel

__all__ = ["WebchatChannel", "WhatsAppChannel"]
