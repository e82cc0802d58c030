from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "cxm.demo"
    label = "demo"
