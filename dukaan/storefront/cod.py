"""The buyer confirms their cash-on-delivery order from its status page (the link in their message)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dukaan.infra.i18n import speak_to_buyer
from dukaan.infra.not_found import NotHere
from dukaan.orders.selectors import order_for_buyer
from dukaan.orders.services import IllegalTransition, confirm_order


@require_POST
def confirm(request, slug: str, token: str):
    """POST (CSRF-checked) from the order page; the unguessable token in the link is the proof."""
    found = order_for_buyer(token=token)
    if found is None or found.store.slug != slug:
        raise NotHere(_("There is no order at this link. Check the link in your message from the store."))
    speak_to_buyer(request.COOKIES, found.store.language)
    try:
        confirm_order(order=found)
    except IllegalTransition as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Thank you! Order #%(number)s is confirmed; %(name)s will get it ready.")
            % {"number": found.number, "name": found.store.name},
        )
    return redirect("storefront:order", slug, token)
