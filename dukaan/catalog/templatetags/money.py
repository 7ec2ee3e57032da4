"""`{{ amount|money:store }}`: a Decimal shown with its store's currency, in the Indian grouping
(₹1,00,000.00) in every language."""

from decimal import Decimal

from django import template

from dukaan.catalog.rules import CURRENCIES
from dukaan.infra.money import grouped

register = template.Library()


@register.filter
def money(amount: Decimal | None, store) -> str:
    if amount is None:
        return ""
    symbol = CURRENCIES.get(store.currency, store.currency + " ")
    whole = amount == amount.to_integral_value()
    return f"{symbol}{grouped(amount, 0 if whole else 2)}"
