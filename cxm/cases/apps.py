from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cxm.cases"
    label = "cases"
    verbose_name = "Cases and service levels"

    def ready(self) -> None:
        from cxm.cases import privacy  # noqa: F401  (registers export and erasure)
