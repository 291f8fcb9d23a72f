from django.apps import AppConfig
from django.conf import settings


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        from blockdesk.periodic import register_periodic_job

        from .delivery import enqueue_due_deliveries

        register_periodic_job(
            "retry due deliveries", every_seconds=settings.PERIODIC_JOBS_EVERY_SECONDS, run=enqueue_due_deliveries
        )
