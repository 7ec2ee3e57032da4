from django.contrib import admin

from .models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "type", "aggregatetype", "aggregateid")
    list_filter = ("aggregatetype", "type")
    readonly_fields = ("id", "aggregatetype", "aggregateid", "type", "payload", "created_at")
