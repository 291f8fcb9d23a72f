from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    """Each channel kind's sender (and, later, its webhook doors), registered with the outbox at start."""

    name = "channels"

    def ready(self):
        from contacts.block_mirrors import register_block_mirror
        from tickets.outbox import register_sender
        from tickets.senders import register_reply_window

        from .api_webhook import send_api_webhook
        from .setup import KindSetup, register_kind_setup
        from .webchat import deliver_to_widget
        from .whatsapp_forms import WhatsAppChannelForm, webhook_path
        from .whatsapp_models import WhatsAppChannel
        from .whatsapp_send import WINDOW, check_number, mirror_block, send_whatsapp

        register_sender("api", send_api_webhook)
        register_sender("webchat", deliver_to_widget)
        register_sender("whatsapp", send_whatsapp)
        register_reply_window("whatsapp", WINDOW)
        register_block_mirror(mirror_block)
        register_kind_setup(
            KindSetup(
                kind="whatsapp",
                settings_model=WhatsAppChannel,
                form=WhatsAppChannelForm,
                webhook_path=webhook_path,
                send_test=check_number,
            )
        )
