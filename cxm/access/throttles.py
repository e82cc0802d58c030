"""Request rate limits: the API's ingestion per token, the sign-in page per address.

Counted in Django's cache (the database cache by default, so every web process
of a deployment shares the counts). Over the limit the answer is 429 with a
Retry-After header.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import AuthRateThrottle, SimpleRateThrottle

from cxm.access.decorators import request_ip


class _SettingRate:
    """Reads its rate from a setting on every request, so that it can change at run time."""

    setting = ""

    def __init__(self) -> None:
        super().__init__(getattr(settings, self.setting))  # type: ignore[call-arg]

    def allow_request(self: Any, request: HttpRequest) -> bool:
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return bool(super().allow_request(request))  # type: ignore[misc]


class IngestThrottle(_SettingRate, AuthRateThrottle):
    """Per API token: a runaway integration cannot starve the others."""

    scope = "ingest"
    setting = "CXM_RATE_INGEST"


class LoginThrottle(_SettingRate, SimpleRateThrottle):
    """Per client address, on every sign-in attempt, right or wrong."""

    scope = "login"
    setting = "CXM_RATE_LOGIN"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": request_ip(request) or "?"}
