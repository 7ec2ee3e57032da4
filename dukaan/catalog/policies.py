"""A store's policy pages (returns, shipping, privacy, terms): their kinds and the starting texts.

A store that has not written its own text for a kind shows the starting text, with its name filled in.
The starting texts promise only what dukaan does: cash on delivery and UPI, delivery to the PIN codes
the checkout accepts, tracking on the order page, refunds the shopkeeper records.
"""

from django.utils.translation import gettext_lazy as _

MAX_LENGTH = 10_000

TITLES = {
    "returns": _("Returns and refunds"),
    "shipping": _("Shipping and delivery"),
    "privacy": _("Privacy"),
    "terms": _("Terms of sale"),
}
KINDS = tuple(TITLES)

STARTING_TEXTS = {
    "returns": _("""\
You can return an item to {store} within 7 days of delivery if it is unused, unwashed and still has \
its tags and packing. Message us on WhatsApp with your order number and a photo of the item, and we \
will tell you how to send it back.

Once we receive the item and check it, we refund what you paid for it: by UPI, or to the way you \
paid online. Delivery and cash on delivery fees are not refunded unless the item reached you damaged \
or was not what you ordered.

If a parcel reaches you damaged or wrong, message us within 2 days of delivery with photos and we \
will replace it or refund it in full.

Cash on delivery: please accept the parcels you order. A parcel refused at the door comes back to us \
at our cost, and we may stop offering cash on delivery to that phone number."""),
    "shipping": _("""\
{store} delivers to the PIN codes the checkout accepts. Enter your PIN code in the cart to see \
whether we deliver there and the delivery fee before you order.

We usually pack and ship an order within 2 working days of accepting it. Most parcels then arrive \
within 3 to 7 days, depending on where you are. When your order ships, your order page shows the \
courier and the tracking number.

You can pay by UPI or with cash on delivery where the checkout offers it. A cash on delivery order \
may carry a small fee, shown at checkout, and we may ask you to confirm it before we ship.

If a parcel is delayed or the tracking does not move for several days, message us on WhatsApp with \
your order number."""),
    "privacy": _("""\
To deliver your order, {store} keeps your name, phone number, delivery address and PIN code, and the \
history of your orders with us: what you bought, what you paid and how it was delivered. We keep \
invoices as the tax law asks us to.

We use your phone number to send you messages about your orders by SMS or WhatsApp. If you type your \
phone number at checkout and do not finish the order, we may message you once about your cart.

We share your name, phone and address only with the courier who delivers your parcel. We do not sell \
your details. UPI payments happen in your own UPI app: we never see your UPI PIN.

To ask what we keep about you, or to correct it, message us on WhatsApp."""),
    "terms": _("""\
These terms apply to orders placed with {store}.

Prices include GST where the store shows them so, and the checkout shows \
the tax, the delivery fee and any cash on delivery fee before you place the order. The total you see \
at checkout is the total you pay.

An order is confirmed when we accept it. We may cancel an order we cannot fulfil, for example when an \
item is out of stock; anything you paid for it is then refunded.

Product photos show the item as closely as we can; colours can look a little different on screens.

Returns and refunds follow our returns policy, and delivery our shipping policy. For any question \
about an order, message us on WhatsApp with your order number."""),
}


def policy_text(kind: str, saved: str, store_name: str) -> str:
    """What the store's page for `kind` says: the shopkeeper's own text, or else the starting text."""
    return saved or starting_text(kind, store_name)


def starting_text(kind: str, store_name: str) -> str:
    """The starting text in the language active now (the page's), with the store's name."""
    return str(STARTING_TEXTS[kind]).format(store=store_name)
