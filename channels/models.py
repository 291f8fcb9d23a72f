from .webchat_models import WebchatChannel

__all__ = ["WebchatChannel"]
