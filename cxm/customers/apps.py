from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "cxm.customers"
    label = "customers"
