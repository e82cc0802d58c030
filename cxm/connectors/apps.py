from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "cxm.connectors"
    label = "connectors"
