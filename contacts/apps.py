from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"

    def ready(self):
        from blockdesk.audit import register_switch_recorder

        from .audit import record_switch_change

        register_switch_recorder(record_switch_change)
