"""Every route CXM serves, with the permission it declares.

Walks the URL configuration: console views carry ``cxm_permission`` (set by
``console_view`` / ``public_view``), API operations carry it on their auth
callbacks (``connectors.auth.requires``), admin views on the admin site's
wrapper. The route tests fail for any route whose permission is ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from ninja.operation import PathView

ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# A path converter (<int:customer_id>) or a regex group ((?P<app_label>...)).
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


@dataclass(frozen=True)
class Route:
    path: str  # the Django route, e.g. "customers/<int:customer_id>/"
    name: str | None  # namespaced, e.g. "console:customer-detail"
    methods: tuple[str, ...]
    permission: str | None
    kind: str  # console | api | admin | other

    @property
    def params(self) -> list[str]:
        return [a or b for a, b in _PARAM.findall(self.path)]


def _path_view(callback: Any) -> PathView | None:
    for cell in getattr(callback, "__closure__", None) or ():
        contents = cell.cell_contents
        if isinstance(contents, PathView):
            return contents
    return None


def _routes(patterns: list[Any], prefix: str = "", namespace: str | None = None) -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            child = namespace
            if pattern.namespace:
                child = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern), child)
            continue
        assert isinstance(pattern, URLPattern)
        path = prefix + str(pattern.pattern)
        name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
        kind = (
            "api"
            if path.startswith("api/")
            else "admin"
            if path.startswith("admin/")
            else "console"
        )
        path_view = _path_view(pattern.callback)
        if path_view is not None:
            for operation in path_view.operations:
                permissions = {
                    getattr(callback, "permission", None) for callback in operation.auth_callbacks
                }
                declared = permissions.pop() if len(permissions) == 1 else None
                yield Route(path, name, tuple(operation.methods), declared, "api")
            continue
        callback = pattern.callback
        yield Route(
            path,
            name,
            tuple(getattr(callback, "cxm_methods", ALL_METHODS)),
            getattr(callback, "cxm_permission", None),
            kind,
        )


def all_routes() -> list[Route]:
    return list(_routes(get_resolver().url_patterns))
