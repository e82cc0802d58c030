from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "cxm.channels"
    label = "channels"
    verbose_name = "Channels: the public charter and scorecards"

    def ready(self) -> None:
        from cxm.access import privacy
        from cxm.channels.models import CharterEntry

        privacy.declare_not_personal(
            CharterEntry, reason="how a channel is reached and its targets"
        )
