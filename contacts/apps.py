from django.apps import AppConfig
from django.conf import settings


class ContactsConfig(AppConfig):
    name = "contacts"

    def ready(self):
        from blockdesk.audit import register_setting_recorder, register_switch_recorder
        from blockdesk.periodic import register_periodic_job

        from .audit import record_setting_change, record_switch_change
        from .blocking import delete_quiet_blocked_tickets, lift_ended_blocks

        register_switch_recorder(record_switch_change)
        register_setting_recorder(record_setting_change)
        # Routing already treats an ended block as lifted; the sweep lifts it for lists, the 360 view and the API.
        every = settings.PERIODIC_JOBS_EVERY_SECONDS
        register_periodic_job("lift ended blocks", every_seconds=every, run=lift_ended_blocks)
        register_periodic_job(
            "delete blocked tickets past retention", every_seconds=600, run=delete_quiet_blocked_tickets
        )
