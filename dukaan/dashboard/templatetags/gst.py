"""{% product_gst product %}: the GST block on the product edit page (dashboard/taxes.py builds it)."""

from django import template

from dukaan.dashboard.taxes import product_gst as gst_context

register = template.Library()


@register.inclusion_tag("dashboard/taxes/product_gst.html", takes_context=True)
def product_gst(context, product):
    return {**gst_context(product), "csrf_token": context.get("csrf_token")}
