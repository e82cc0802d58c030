from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "cxm.console"
    label = "console"
