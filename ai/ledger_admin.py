"""The AI ledger in the admin: read-only rows, with totals per day and
provider above the list (for whatever the filters select)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from ai import selectors
from ai.models import AIRun


@admin.register(AIRun)
class AIRunAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "capability",
        "provider",
        "model",
        "outcome",
        "tokens_in",
        "tokens_out",
        "cost",
        "latency_ms",
        "document",
        "user",
    ]
    list_filter = ["provider", "outcome", "capability", "created_at"]
    search_fields = ["model", "error"]
    date_hierarchy = "created_at"
    list_select_related = ["document", "user"]
    list_per_page = 100
    readonly_fields = [field.name for field in AIRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the ledger is the record of what was sent and spent

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            response.context_data["usage_totals"] = selectors.usage_totals(changelist.queryset)
        return response
