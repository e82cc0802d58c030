from functools import partial

from django.contrib import admin
from django.urls import URLPattern, include, path

from cxm.access import views as access_views
from cxm.access.decorators import public_view
from cxm.api import api

api_patterns, api_app, api_namespace = api.urls
for pattern in api_patterns:
    # Ninja's root redirects to the docs page: as public as the docs.
    if isinstance(pattern, URLPattern) and pattern.name == "api-root":
        pattern.callback = public_view(partial(pattern.callback))

urlpatterns = [
    path("api/v1/", (api_patterns, api_app, api_namespace)),
    path("login/", access_views.login, name="login"),
    path("logout/", access_views.logout, name="logout"),
    path("admin/", admin.site.urls),
    # The answer links in survey invitations: public, the token is the key.
    path("s/", include("cxm.feedback.urls")),
    path("", include("cxm.console.urls")),
]
