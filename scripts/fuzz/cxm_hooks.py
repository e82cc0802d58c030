"""Schemathesis hooks for CXM: the bulk endpoint's NDJSON body is a list of lines."""

from __future__ import annotations

import json
from typing import Any

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx: Any, value: Any) -> bytes:
    if isinstance(value, list):
        return "\n".join(json.dumps(item) for item in value).encode()
    if isinstance(value, bytes):
        return value
    return json.dumps(value).encode() if not isinstance(value, str) else value.encode()
