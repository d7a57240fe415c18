"""API keys in the admin: create (the secret is shown once), revoke.
Superusers see every key; others only their own."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from api.models import ApiKey
from api.services import api_key_create, api_key_revoke


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "scopes", "expires_at", "last_used_at", "revoked_at", "created_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["user", "prefix", "revoked_at", "last_used_at", "created_at", "rotated_from"]
    fields = ["name", "scopes", "expires_at", *readonly_fields]
    actions = ["revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiKey]:
        keys = super().get_queryset(request).select_related("user")
        return keys if request.user.is_superuser else keys.filter(user=request.user)

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["name", "scopes", "expires_at"])
            return
        # A key is always its creator's: nobody mints keys that act as someone else.
        issued = api_key_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data.get("expires_at"),
        )
        obj.pk = issued.key.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            f"Copy the new key now; it is not shown again: {issued.secret}",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            api_key_revoke(user=request.user, key=key)
        self.message_user(request, f"{queryset.count()} key(s) revoked.", messages.SUCCESS)
