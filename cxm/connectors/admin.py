from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cxm.connectors.models import ApiToken, ImportRun, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "created_at"]
    search_fields = ["name"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    # Tokens are created with `cxm token create`, which shows the secret once.
    list_display = ["prefix", "source", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", "source"]
    readonly_fields = ["source", "scope", "prefix", "token_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["path", "accepted", "duplicates", "rejected", "started_at", "finished_at"]
    readonly_fields = [f.name for f in ImportRun._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
