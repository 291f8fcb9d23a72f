from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    """Each channel kind's sender (and, later, its webhook doors), registered with the outbox at start."""

    name = "channels"

    def ready(self):
        from tickets.outbox import register_sender

        from .api_webhook import prepare_api_webhooks, send_api_webhook
        from .webchat import deliver_to_widget

        register_sender("api", send_api_webhook, prepare=prepare_api_webhooks)
        register_sender("webchat", deliver_to_widget)
