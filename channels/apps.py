from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    """Each channel kind's sender (and, later, its webhook doors) and its set-up, registered at start."""

    name = "channels"

    def ready(self):
        from tickets.outbox import register_sender

        from .api_webhook import send_api_webhook
        from .setup import register_kind_setup
        from .setup_api import API_SETUP
        from .setup_webchat import WEBCHAT_SETUP
        from .webchat import deliver_to_widget

        register_sender("api", send_api_webhook)
        register_sender("webchat", deliver_to_widget)
        register_kind_setup(API_SETUP)
        register_kind_setup(WEBCHAT_SETUP)
