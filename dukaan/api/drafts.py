"""Merchant endpoint for unfinished checkouts: buyers who typed their phone at checkout and have not
ordered for an hour (docs/storefront.md#unfinished-checkouts), as the dashboard lists them."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Router
from pydantic import Field

from dukaan.accounts.models import ApiToken
from dukaan.accounts.roles import Access
from dukaan.accounts.scopes import Scope
from dukaan.orders.cart import kept_lines, lines_value
from dukaan.orders.selectors import unfinished_checkouts

from .auth import needs
from .pagination import DEFAULT_LIMIT, keyset_page
from .params import Cursor, Limit
from .schemas import Money, Out

router = Router(tags=["Merchant"])


class DraftLineOut(Out):
    product_id: int
    variant_id: int | None
    quantity: int
    name: str = Field(description="As the buyer saw it")
    seen_price: Money | None = Field(description="The unit price the buyer saw")


class UnfinishedCheckoutOut(Out):
    """A checkout a buyer gave their phone for and left: message them the cart link."""

    id: int
    phone: str = Field(description="E.164", examples=["+919812345678"])
    name: str = Field(description="Empty when not typed yet")
    pin_code: str = Field(description="Empty when not given yet")
    lines: list[DraftLineOut]
    value: Money = Field(description="The lines at the prices the buyer saw")
    cart_url: str = Field(description="Opens the same cart again, priced now")
    updated_at: datetime = Field(description="When the buyer last changed it")

    @staticmethod
    def resolve_lines(draft):
        return kept_lines(draft.lines)

    @staticmethod
    def resolve_value(draft):
        return lines_value(kept_lines(draft.lines))


class UnfinishedCheckoutPage(Out):
    items: list[UnfinishedCheckoutOut]
    next_cursor: str | None


@router.get(
    "/checkouts/unfinished",
    response=UnfinishedCheckoutPage,
    summary="List unfinished checkouts, newest first",
    auth=needs(Scope.ORDERS_READ, Access.ORDER_MONEY),
)
def list_unfinished_checkouts(
    request: HttpRequest,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,  # type: ignore[valid-type]  # ninja's Query[…] marks a parameter
):
    """Checkouts of the last 7 days left for an hour or more without an order from that phone, and
    not dismissed on the dashboard."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]  # set by the router's TokenAuth
    rows, next_cursor = keyset_page(
        unfinished_checkouts(store=token.store),
        kind="drafts",
        ordering=("-updated_at", "-id"),
        types=(datetime, int),
        cursor=cursor,
        limit=limit,
    )
    return UnfinishedCheckoutPage.model_validate({"items": rows, "next_cursor": next_cursor})
