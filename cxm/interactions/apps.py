from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "cxm.interactions"
    label = "interactions"
