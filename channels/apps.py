from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    """Each channel kind's sender, set-up and periodic jobs, registered at start."""

    name = "channels"

    def ready(self):
        from blockdesk.periodic import register_periodic_job
        from contacts.block_mirrors import register_block_mirror
        from tickets.outbox import register_sender
        from tickets.senders import register_reply_window

        from . import email_poll, telegram, whatsapp_forms
        from .api_webhook import prepare_api_webhooks, send_api_webhook
        from .email_forms import EmailChannelForm
        from .email_models import EmailChannel
        from .email_send import send_email_reply, send_test
        from .setup import KindSetup, register_kind_setup
        from .setup_api import API_SETUP
        from .setup_webchat import WEBCHAT_SETUP
        from .telegram_forms import TelegramChannelForm
        from .telegram_models import TelegramChannel
        from .telegram_updates import forget_old_updates
        from .webchat import deliver_to_widget
        from .whatsapp_models import WhatsAppChannel
        from .whatsapp_send import WINDOW, check_number, mirror_block, send_whatsapp

        register_sender("api", send_api_webhook, prepare=prepare_api_webhooks)
        register_kind_setup(API_SETUP)

        register_sender("webchat", deliver_to_widget)
        register_kind_setup(WEBCHAT_SETUP)

        register_sender("telegram", telegram.send_telegram)
        register_kind_setup(
            KindSetup(
                kind="telegram",
                settings_model=TelegramChannel,
                form=TelegramChannelForm,
                webhook_path=telegram.webhook_path,
                send_test=telegram.check_bot,
                generated_secrets=("secret_token",),
            )
        )
        register_periodic_job("forget old Telegram update ids", every_seconds=3600, run=forget_old_updates)

        register_sender("whatsapp", send_whatsapp)
        register_reply_window("whatsapp", WINDOW)
        register_block_mirror(mirror_block)
        register_kind_setup(
            KindSetup(
                kind="whatsapp",
                settings_model=WhatsAppChannel,
                form=whatsapp_forms.WhatsAppChannelForm,
                webhook_path=whatsapp_forms.webhook_path,
                send_test=check_number,
            )
        )

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
