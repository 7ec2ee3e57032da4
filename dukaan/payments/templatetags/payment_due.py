"""{% amount_due order as due %}: what the buyer has still to pay, for the pages that show it."""

from django import template

from dukaan.payments.selectors import amount_due as due

register = template.Library()


@register.simple_tag
def amount_due(order):
    return due(order)
