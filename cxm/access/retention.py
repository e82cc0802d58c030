"""How long CXM keeps each class of data, and the purge that enforces it.

Each data class names its setting (days to keep; unset keeps for ever) and the
function that purges what is older. Apps register their classes here, as the
interactions app does for message texts; ``retention_apply`` runs them all.
It runs daily as a scheduled task (``cxm worker``), or from cron as
``cxm retention apply``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from cxm.access import services as access_services
from cxm.access.enums import AuditAction

Purge = Callable[[datetime], int]


@dataclass(frozen=True)
class DataClass:
    name: str
    setting: str
    purge: Purge  # takes the cut-off; returns how many rows it purged
    what: str


_classes: dict[str, DataClass] = {}


def register(*, name: str, setting: str, purge: Purge, what: str) -> None:
    _classes[name] = DataClass(name, setting, purge, what)


def data_classes() -> list[DataClass]:
    return sorted(_classes.values(), key=lambda c: c.name)


def retention_days(data_class: DataClass) -> int | None:
    value = getattr(settings, data_class.setting, None)
    return None if value is None or value == "" else int(value)


def retention_apply(*, now: datetime | None = None) -> dict[str, int]:
    """Purge every data class past its retention; record what was done."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for data_class in data_classes():
        days = retention_days(data_class)
        if days is None:
            continue
        counts[data_class.name] = data_class.purge(now - timedelta(days=days))
    access_services.audit_record(
        action=AuditAction.RETENTION_APPLIED,
        object_type="retention",
        detail={"purged": counts},
    )
    return counts


register(
    name="audit_rows",
    setting="CXM_RETAIN_AUDIT_DAYS",
    purge=lambda before: access_services.audit_purge(before=before),
    what="audit trail rows",
)
