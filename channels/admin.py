from . import (
    webchat_admin,  # noqa: F401  (registers the web chat admin)
    whatsapp_admin,  # noqa: F401  (registers the WhatsApp admin)
)
