"""Orders in the admin, to look at only: every change goes through the services and their events."""

from django.contrib import admin

from dukaan.infra.look_only import LookOnly

from .models import Order, OrderLine, Payment, ProcessedWebhook


class LineInline(LookOnly, admin.TabularInline):
    model = OrderLine
    fields = ("name", "variant_label", "sku", "unit_price", "quantity", "line_total", "stock_taken_from")
    readonly_fields = fields
    extra = 0


class PaymentInline(LookOnly, admin.TabularInline):
    model = Payment
    fields = ("provider", "provider_order_id", "amount", "currency", "status", "created_at")
    readonly_fields = fields
    extra = 0


@admin.register(Order)
class OrderAdmin(LookOnly, admin.ModelAdmin):
    list_display = (
        "number",
        "store",
        "buyer_name",
        "status",
        "payment_method",
        "payment_status",
        "total",
        "created_at",
    )
    list_filter = ("status", "payment_method", "payment_status")
    search_fields = ("public_token", "buyer_phone", "buyer_name", "store__slug")
    list_select_related = ("store",)
    raw_id_fields = ("store",)
    date_hierarchy = "created_at"
    inlines = [LineInline, PaymentInline]


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
