from django.apps import AppConfig


class JourneysConfig(AppConfig):
    name = "cxm.journeys"
    label = "journeys"
    verbose_name = "Journeys, onboarding and health"

    def ready(self) -> None:
        from cxm.journeys import contact, privacy, reactions  # noqa: F401  (registers them)
