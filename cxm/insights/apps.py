from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "cxm.insights"
    label = "insights"
    verbose_name = "Sentiment and topics"
