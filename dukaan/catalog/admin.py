from django.contrib import admin

from .models import Category, Product, ProductImage, ProductVariant, Store


class ViewOnlyAdmin(admin.ModelAdmin):
    """Staff can look; changes go through the services, which write the outbox rows."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Store)
class StoreAdmin(ViewOnlyAdmin):
    list_display = ("name", "slug", "owner", "currency", "created_at")
    search_fields = ("name", "slug", "owner__phone")
    raw_id_fields = ("owner",)


@admin.register(Category)
class CategoryAdmin(ViewOnlyAdmin):
    list_display = ("name", "store", "position")
    search_fields = ("name", "store__slug")
    raw_id_fields = ("store",)


class VariantInline(admin.TabularInline):
    model = ProductVariant
    fields = ("options", "price", "sku", "stock", "position")
    readonly_fields = fields
    extra = 0


class ImageInline(admin.TabularInline):
    model = ProductImage
    fields = ("original", "small", "large", "width", "height", "position")
    readonly_fields = fields
    extra = 0


@admin.register(Product)
class ProductAdmin(ViewOnlyAdmin):
    list_display = ("name", "store", "price", "stock", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("name", "sku", "store__slug")
    list_select_related = ("store",)
    raw_id_fields = ("store", "category")
    inlines = [VariantInline, ImageInline]
