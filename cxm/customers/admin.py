from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from cxm.access.decorators import request_ip
from cxm.customers import services
from cxm.customers.models import Account, Customer, Identity, MergeEvent, MergeProposal
from cxm.customers.selectors import MAX_ID


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0
    readonly_fields = ["kind", "value_raw", "value_normalized", "source", "first_seen", "last_seen"]
    can_delete = False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["id", "display_name", "kind", "account", "merged_into", "created_at"]
    list_filter = ["kind"]
    search_fields = ["display_name", "identities__value_normalized"]
    raw_id_fields = ["account", "merged_into", "team"]
    inlines = [IdentityInline]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        # Reading a profile in the admin is a read like any other: audited.
        known = object_id.isdigit() and 0 < int(object_id) <= MAX_ID
        customer = Customer.objects.filter(pk=object_id).first() if known else None
        if customer is not None and request.method == "GET":
            services.customer_read_record(
                customer=customer, actor=request.user, ip=request_ip(request), via="admin"
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(MergeProposal)
class MergeProposalAdmin(admin.ModelAdmin):
    list_display = ["id", "customer_low", "customer_high", "status", "created_at", "decided_by"]
    list_filter = ["status"]
    raw_id_fields = ["customer_low", "customer_high", "interaction"]


@admin.register(MergeEvent)
class MergeEventAdmin(admin.ModelAdmin):
    # The audit trail is read-only: merges and un-merges go through the services.
    list_display = ["id", "action", "survivor", "merged", "actor_label", "created_at"]
    list_filter = ["action"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
