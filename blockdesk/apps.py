from django.apps import AppConfig


class BlockdeskConfig(AppConfig):
    name = "blockdesk"
    verbose_name = "BlockDesk"
