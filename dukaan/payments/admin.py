"""Payments in the admin, to look at only: every change goes through the services and their events."""

from django.contrib import admin

from dukaan.infra.look_only import LookOnly

from .models import Payment, ProcessedWebhook, RecordedPayment, Refund, StatementLineApplied


@admin.register(Payment)
class PaymentAdmin(LookOnly, admin.ModelAdmin):
    list_display = ("provider_order_id", "provider", "order", "amount", "currency", "status", "created_at")
    list_filter = ("provider", "status")
    search_fields = ("provider_order_id",)
    list_select_related = ("order__store",)
    raw_id_fields = ("store", "order")


@admin.register(ProcessedWebhook)
class ProcessedWebhookAdmin(LookOnly, admin.ModelAdmin):
    list_display = ("provider", "event_id", "received_at")
    list_filter = ("provider",)
    search_fields = ("event_id",)


@admin.register(StatementLineApplied)
class StatementLineAppliedAdmin(LookOnly, admin.ModelAdmin):
    list_display = ("order", "amount", "utr", "line_date", "matched_by", "by", "applied_at")
    list_filter = ("matched_by",)
    search_fields = ("utr", "line_key")


@admin.register(RecordedPayment)
class RecordedPaymentAdmin(LookOnly, admin.ModelAdmin):
    list_display = ("order", "amount", "method", "reference", "recorded_by", "recorded_at")
    list_filter = ("method",)
    search_fields = ("reference",)
    list_select_related = ("order__store",)
    raw_id_fields = ("store", "order")


@admin.register(Refund)
class RefundAdmin(LookOnly, admin.ModelAdmin):
    list_display = ("order", "amount", "method", "status", "provider_refund_id", "by", "at")
    list_filter = ("method", "status")
    search_fields = ("provider_refund_id", "reference")
    list_select_related = ("order__store",)
    raw_id_fields = ("store", "order", "payment")
