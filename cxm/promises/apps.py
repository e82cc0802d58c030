from django.apps import AppConfig


class PromisesConfig(AppConfig):
    name = "cxm.promises"
    label = "promises"
    verbose_name = "Promises"

    def ready(self) -> None:
        from cxm.promises import complaints, privacy, reactions  # noqa: F401  (registers them)
