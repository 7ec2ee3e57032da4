"""{% order_shipment order as parcel %}: the buyer's order page shows the courier and tracking link."""

from django import template

from dukaan.fulfilment.selectors import order_shipment as shipment_of

register = template.Library()


@register.simple_tag
def order_shipment(order):
    return shipment_of(store_id=order.store_id, order_id=order.pk)
