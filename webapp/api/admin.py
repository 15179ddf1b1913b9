from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "appid",
        "secret_id",
        "rate_limit_per_minute",
        "is_active",
        "last_used_at",
    ]
    list_filter = ["is_active"]
    search_fields = ["name", "appid", "secret_id"]
    readonly_fields = ["appid", "secret_id", "created_at", "last_used_at"]
    fields = [
        "name",
        "appid",
        "secret_id",
        "rate_limit_per_minute",
        "is_active",
        "created_at",
        "last_used_at",
    ]
    actions = ["regenerate_secret_key"]

    def save_model(self, request: HttpRequest, obj: ApiClient, form: object, change: bool) -> None:
        secret_key = None if change else obj.set_new_secret_key()
        super().save_model(request, obj, form, change)
        if secret_key:
            self._show_once(request, obj, secret_key)

    @admin.action(description=_("Generate a new secret key (the old one stops working)"))
    def regenerate_secret_key(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            secret_key = client.set_new_secret_key()
            client.save(update_fields=["secret_key_encrypted"])
            self._show_once(request, client, secret_key)

    def _show_once(self, request: HttpRequest, client: ApiClient, secret_key: str) -> None:
        messages.warning(
            request,
            f"{client.name}: appid {client.appid}, secret_id {client.secret_id}, "
            f"secret_key {secret_key} (copy it now: it is not shown again).",
        )
