from django.contrib import admin

from dukaan.infra.look_only import LookOnly

from .models import StoreSynonyms


@admin.register(StoreSynonyms)
class StoreSynonymsAdmin(LookOnly, admin.ModelAdmin):
    """Changed in the dashboard only, whose service emits the event that purges the store's pages."""

    list_display = ("store", "updated_at")
    search_fields = ("store__slug",)
    raw_id_fields = ("store",)
