"""The one exception family that CXM services raise.

The API turns these into 4xx answers with a machine-readable ``code`` and the
human ``message``; console views show the message as a form error.
"""

from __future__ import annotations


class CXMError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(CXMError):
    code = "not_found"
    status = 404


class Conflict(CXMError):
    code = "conflict"
    status = 409


class ValidationFailed(CXMError):
    code = "invalid"
    status = 422


class AuthenticationFailed(CXMError):
    code = "unauthenticated"
    status = 401


class PermissionDenied(CXMError):
    code = "forbidden"
    status = 403
