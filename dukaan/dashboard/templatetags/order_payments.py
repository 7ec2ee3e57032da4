"""{% payments_card order as card %}: the Payments card of an order's page (dashboard/payments.py)."""

from django import template

from dukaan.dashboard.payments import payments_card as card

register = template.Library()


@register.simple_tag
def payments_card(order):
    return card(order)
