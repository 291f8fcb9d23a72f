from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    """Each channel kind's sender, set-up and pollers (and, later, its webhook doors), registered at start."""

    name = "channels"

    def ready(self):
        from tickets.outbox import register_sender

        from . import email_poll
        from .api_webhook import send_api_webhook
        from .email_forms import EmailChannelForm
        from .email_models import EmailChannel
        from .email_send import send_email_reply, send_test
        from .setup import KindSetup, register_kind_setup
        from .webchat import deliver_to_widget

        register_sender("api", send_api_webhook)
        register_sender("webchat", deliver_to_widget)
        register_sender("email", send_email_reply)
        register_kind_setup(
            KindSetup(
                kind="email",
                settings_model=EmailChannel,
                form=EmailChannelForm,
                webhook_path=None,
                send_test=send_test,
            )
        )
        email_poll.register()
