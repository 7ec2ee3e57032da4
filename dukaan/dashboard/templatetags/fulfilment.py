"""{% order_fulfilment order as ship %} for the order's Shipping card, and {% cod_blocked_list store %}
for the Delivery page (dashboard/fulfilment.py builds both)."""

from django import template

from dukaan.dashboard import fulfilment

register = template.Library()


@register.simple_tag
def order_fulfilment(order):
    return fulfilment.order_fulfilment(order)


@register.inclusion_tag("dashboard/delivery/cod_blocked.html", takes_context=True)
def cod_blocked_list(context, store):
    return {**fulfilment.blocked_phones(store.pk), "csrf_token": context.get("csrf_token")}
