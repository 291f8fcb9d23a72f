from django.apps import AppConfig


class SettingsAppConfig(AppConfig):
    name = "settings_app"
    verbose_name = "System settings"

    def ready(self):
        from . import switches  # noqa: F401 - connects the per-request read of the switches to request signals
