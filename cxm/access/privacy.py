"""Exporting and erasing one customer's personal data, across every app.

Each app says in its ``privacy.py`` how to export and how to erase what it
holds about a customer (``register``), or that a model holds nothing personal
about customers (``declare_not_personal``, with the reason). A test fails for
any model that does neither, and for any model that points at a customer
without a handler, so a new table cannot forget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import models, transaction

from cxm.access import services as access_services
from cxm.access.enums import AuditAction
from cxm.access.permissions import Permission
from cxm.access.selectors import Actor, actor_require

Exporter = Callable[[Sequence[int]], list[dict[str, Any]]]
Eraser = Callable[[Sequence[int]], int]

EXPORT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Handler:
    model: type[models.Model]
    export: Exporter
    erase: Eraser
    # What the erasure does to this model's rows, in a phrase ("deleted", "texts blanked").
    erasure: str
    order: int = 100  # erasers run in ascending order: dependants before what they point at


_handlers: dict[str, Handler] = {}
_not_personal: dict[str, str] = {}


def register(
    model: type[models.Model],
    *,
    export: Exporter,
    erase: Eraser,
    erasure: str,
    order: int = 100,
) -> None:
    _handlers[model._meta.label] = Handler(model, export, erase, erasure, order)


def declare_not_personal(model: type[models.Model], *, reason: str) -> None:
    _not_personal[model._meta.label] = reason


def handlers() -> dict[str, Handler]:
    return dict(_handlers)


def not_personal() -> dict[str, str]:
    return dict(_not_personal)


def rows(queryset: models.QuerySet[Any]) -> list[dict[str, Any]]:
    """Every column of every row, as JSON-ready values."""
    from django.core.serializers.json import DjangoJSONEncoder

    encoder = DjangoJSONEncoder()
    out = []
    for row in queryset.order_by("pk").values():
        out.append(
            {
                key: value
                if value is None or isinstance(value, str | int | float | bool | dict | list)
                else encoder.default(value)
                for key, value in row.items()
            }
        )
    return out


@dataclass
class ErasureReport:
    customer_id: int
    customer_ids: list[int]
    counts: dict[str, int] = field(default_factory=dict)


def _person(customer_id: int) -> list[int]:
    """The customer, the customer it was merged into (if any), and everyone merged into it."""
    from cxm.customers import selectors as customer_selectors

    return customer_selectors.customer_group_ids(customer_id=customer_id)


def customer_export(*, actor: Actor, customer_id: int, ip: str | None = None) -> dict[str, Any]:
    """Everything CXM holds about one person, machine-readable, with a summary."""
    actor_require(actor, Permission.PRIVACY_EXPORT)
    ids = _person(customer_id)
    data = {label: handler.export(ids) for label, handler in sorted(_handlers.items())}
    summary = {label: len(items) for label, items in data.items()}
    access_services.audit_record(
        action=AuditAction.CUSTOMER_EXPORTED,
        actor=actor,
        ip=ip,
        object_type="customer",
        object_id=ids[0],
        detail={"customer_ids": ids, "rows": summary},
    )
    return {
        "format": "cxm-customer-export",
        "version": EXPORT_FORMAT_VERSION,
        "generated_at": datetime.now(UTC).isoformat(),
        "customer_id": ids[0],
        "customer_ids": ids,
        "summary": summary,
        "data": data,
    }


@transaction.atomic
def customer_erase(
    *, actor: Actor, customer_id: int, reason: str = "", ip: str | None = None
) -> ErasureReport:
    """Delete or anonymise one person's data in every table, keeping aggregate counts.

    The interactions stay as dated, channel-level facts without their texts, so
    that volumes and response times keep adding up; identities, names and texts
    go. The audit trail records the erasure and its counts, never what was erased.
    """
    actor_require(actor, Permission.PRIVACY_ERASE)
    ids = _person(customer_id)
    report = ErasureReport(customer_id=ids[0], customer_ids=ids)
    for label, handler in sorted(_handlers.items(), key=lambda item: (item[1].order, item[0])):
        report.counts[label] = handler.erase(ids)
    access_services.audit_record(
        action=AuditAction.CUSTOMER_ERASED,
        actor=actor,
        ip=ip,
        object_type="customer",
        object_id=ids[0],
        detail={"customer_ids": ids, "rows": report.counts, "reason": reason[:500]},
    )
    return report
