"""The dashboard's unfinished checkouts: buyers who typed their phone at checkout and did not order
within the hour, each with a one-tap WhatsApp message that links back to their cart."""

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dukaan.accounts.roles import Access
from dukaan.catalog.models import Store
from dukaan.infra.not_found import NotHere
from dukaan.orders.cart import Line, kept_lines, lines_value
from dukaan.orders.models import CheckoutDraft
from dukaan.orders.selectors import unfinished_checkouts
from dukaan.orders.services import dismiss_draft

from .views import store_required

PER_PAGE = 50
# Named in the message; the link shows the rest.
ITEMS_IN_MESSAGE = 3


@dataclass(frozen=True)
class DraftRow:
    draft: CheckoutDraft
    lines: list[Line]
    value: Decimal  # at the prices the buyer saw
    whatsapp_url: str


def _message(draft: CheckoutDraft, store: Store, lines: list[Line]) -> str:
    items = ", ".join(f"{line.quantity} × {line.name}" for line in lines[:ITEMS_IN_MESSAGE])
    if len(lines) > ITEMS_IN_MESSAGE:
        items = _("%(items)s and more") % {"items": items}
    hello = _("Hello %(name)s") % {"name": draft.name.split()[0]} if draft.name else _("Hello")
    return _(
        "%(hello)s, this is %(store)s. You left %(items)s in your cart. "
        "It is still there, ready to order: %(link)s\n"
        "Any question about size, delivery or payment? Reply here and we will help."
    ) % {"hello": hello, "store": store.name, "items": items, "link": draft.cart_url}


def _row(draft: CheckoutDraft, store: Store) -> DraftRow:
    lines = kept_lines(draft.lines)
    text = quote(_message(draft, store, lines), safe="")
    return DraftRow(
        draft, lines, lines_value(lines), f"https://wa.me/{draft.phone.removeprefix('+')}?text={text}"
    )


@store_required(Access.ORDER_MONEY)
def drafts(request):
    page = Paginator(unfinished_checkouts(store=request.store), PER_PAGE).get_page(request.GET.get("page"))
    rows = [_row(draft, request.store) for draft in page.object_list]
    return render(request, "dashboard/drafts/list.html", {"store": request.store, "page": page, "rows": rows})


@require_POST
@store_required(Access.ORDER_MONEY)
def draft_dismiss(request, pk: int):
    try:
        dismiss_draft(store=request.store, draft_id=pk)
    except CheckoutDraft.DoesNotExist:
        raise NotHere(_("There is no such unfinished checkout in your store.")) from None
    messages.success(request, _("Dismissed. It is no longer listed; the buyer's cart link still works."))
    return redirect("dashboard:drafts")
