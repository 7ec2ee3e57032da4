"""`{{ amount|money:store }}`: a Decimal shown with its store's currency, grouped for reading."""

from decimal import Decimal

from django import template

from dukaan.catalog.rules import CURRENCIES

register = template.Library()


@register.filter
def money(amount: Decimal | None, store) -> str:
    if amount is None:
        return ""
    symbol = CURRENCIES.get(store.currency, store.currency + " ")
    whole = amount == amount.to_integral_value()
    return f"{symbol}{amount:,.0f}" if whole else f"{symbol}{amount:,.2f}"
