"""Orders in the admin, to look at only: every change goes through the services and their events."""

from django.contrib import admin

from .models import Order, OrderLine, Payment, ProcessedWebhook


class ReadOnly:
    """Staff can look; changing an order here would skip its stock changes and outbox events."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LineInline(ReadOnly, admin.TabularInline):
    model = OrderLine
    fields = ("name", "variant_label", "sku", "unit_price", "quantity", "line_total", "stock_taken_from")
    readonly_fields = fields
    extra = 0


class PaymentInline(ReadOnly, admin.TabularInline):
    model = Payment
    fields = ("provider", "provider_order_id", "amount", "currency", "status", "created_at")
    readonly_fields = fields
    extra = 0


@admin.register(Order)
class OrderAdmin(ReadOnly, admin.ModelAdmin):
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
class PaymentAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("provider_order_id", "provider", "order", "amount", "currency", "status", "created_at")
    list_filter = ("provider", "status")
    search_fields = ("provider_order_id",)
    list_select_related = ("order__store",)
    raw_id_fields = ("store", "order")


@admin.register(ProcessedWebhook)
class ProcessedWebhookAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("provider", "event_id", "received_at")
    list_filter = ("provider",)
    search_fields = ("event_id",)
