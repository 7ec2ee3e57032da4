from django.contrib import admin

from dukaan.infra.look_only import LookOnly

from .models import Category, Product, ProductImage, ProductVariant, Store


@admin.register(Store)
class StoreAdmin(LookOnly, admin.ModelAdmin):
    list_display = ("name", "slug", "owner", "currency", "created_at")
    search_fields = ("name", "slug", "owner__phone")
    raw_id_fields = ("owner",)


@admin.register(Category)
class CategoryAdmin(LookOnly, admin.ModelAdmin):
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
class ProductAdmin(LookOnly, admin.ModelAdmin):
    list_display = ("name", "store", "price", "stock", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("name", "sku", "store__slug")
    list_select_related = ("store",)
    raw_id_fields = ("store", "category")
    inlines = [VariantInline, ImageInline]
