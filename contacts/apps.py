from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"

    def ready(self):
        from blockdesk.audit import register_setting_recorder, register_switch_recorder

        from .audit import record_setting_change, record_switch_change

        register_switch_recorder(record_switch_change)
        register_setting_recorder(record_setting_change)
