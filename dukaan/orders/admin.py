"""Orders in the admin, to look at only: every change goes through the services and their events."""

from django.contrib import admin

from dukaan.infra.look_only import LookOnly

from .models import Order, OrderLine


class LineInline(LookOnly, admin.TabularInline):
    model = OrderLine
    fields = ("name", "variant_label", "sku", "unit_price", "quantity", "line_total", "stock_taken_from")
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
    inlines = [LineInline]
