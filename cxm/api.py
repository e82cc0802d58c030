"""The CXM REST API: one NinjaAPI at /api/v1/, each app contributing its router."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from cxm.access.decorators import public_view
from cxm.cases.api import router as cases_router
from cxm.channels.api import router as channels_router
from cxm.customers.api import merges_router
from cxm.customers.api import router as customers_router
from cxm.errors import CXMError
from cxm.feedback.api import router as feedback_router
from cxm.insights.api import router as insights_router
from cxm.interactions.api import router as interactions_router
from cxm.journeys.api import router as journeys_router
from cxm.promises.api import router as promises_router

api = NinjaAPI(
    title="CXM API",
    version="1",
    description=(
        "Send interactions from any channel and read the unified customer profile. "
        "Authenticate with `Authorization: Bearer <token>` (see `cxm token create`)."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    # The schema and its documentation page describe the API, they hold no data.
    docs_decorator=public_view,
)
api.add_router("/interactions", interactions_router)
api.add_router("/customers", customers_router)
api.add_router("", merges_router)
api.add_router("", feedback_router)
api.add_router("", insights_router)
api.add_router("", cases_router)
api.add_router("", channels_router)
api.add_router("", promises_router)
api.add_router("", journeys_router)


@api.exception_handler(CXMError)
def cxm_error(request: HttpRequest, exc: CXMError) -> HttpResponse:
    return api.create_response(
        request, {"code": exc.code, "message": exc.message}, status=exc.status
    )


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api.create_response(
        request,
        {
            "code": "too_large",
            "message": "The request body is larger than this server accepts; send smaller "
            "batches (or use `cxm import` for large files)",
        },
        status=413,
    )


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {
            "code": "unauthenticated",
            "message": "Send a valid API token as 'Authorization: Bearer <token>'",
        },
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="cxm"'
    return response


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    wait = f" Wait {int(exc.wait) + 1} seconds, then send again." if exc.wait else ""
    return api.create_response(
        request,
        {
            "code": "rate_limited",
            "message": f"Too many requests with this token.{wait} Send larger batches to "
            "/api/v1/interactions/bulk rather than many single requests.",
        },
        status=429,
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and exc.message.startswith("Cannot parse request body"):
        # Ninja's word for a body that is not JSON: an invalid request like any other.
        return api.create_response(
            request,
            {
                "code": "invalid",
                "message": "The request body is not valid JSON (send UTF-8 JSON with "
                "Content-Type: application/json)",
                "errors": [{"field": "(body)", "message": "is not valid JSON"}],
            },
            status=422,
        )
    return api.create_response(
        request, {"code": f"http_{exc.status_code}", "message": exc.message}, status=exc.status_code
    )


@api.exception_handler(NinjaValidationError)
def invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    problems = []
    for error in exc.errors:
        location = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "path"))
        problems.append({"field": location, "message": error.get("msg", "is invalid")})
    return api.create_response(
        request,
        {
            "code": "invalid",
            "message": "; ".join(f"{p['field']}: {p['message']}" for p in problems),
            "errors": problems,
        },
        status=422,
    )
