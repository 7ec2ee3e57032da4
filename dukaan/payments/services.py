"""Every write to payments: money recorded as paid (by hand, from a bank statement's credits, or captured
online), opening an online payment at the provider, applying its webhooks, and refunds.

Each change is one transaction holding the rows and their outbox events.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from dukaan.catalog.models import Store
from dukaan.catalog.templatetags.money import money
from dukaan.events.outbox import emit
from dukaan.infra.money import to_paise
from dukaan.orders import events as order_events
from dukaan.orders.models import OPEN_UPI, Order
from dukaan.orders.services import RestockRefused, lock_order, record_money, release_refund, restock

from . import events, gateways
from .gateways import REFUND_EVENTS, WebhookEvent, get_gateway
from .matching import (
    MatchReport,
    Pairing,
    line_key,
    pair,
    reference_windows,
    report_line,
    why_not_paid,
)
from .models import (
    GATEWAY,
    Payment,
    ProcessedWebhook,
    RecordedPayment,
    Refund,
    StatementLineApplied,
)
from .statements import StatementLine, read_statement

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentStart:
    payment: Payment
    checkout_url: str  # where to send the buyer to pay


class PaymentUnavailable(Exception):
    """An online payment cannot be started for this order; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def start_online_payment(*, order: Order) -> PaymentStart:
    """Open the order at the payment provider and record the Payment; send the buyer to checkout_url.

    The provider is called outside any transaction (it may be slow or down); only recording the
    answer is transactional.
    """
    gateway = get_gateway()
    if gateway is None:
        raise PaymentUnavailable(
            gettext("Online payment is not available here. Pay by cash on delivery or UPI.")
        )
    number = {"number": order.number}
    if order.payment_method != Order.PaymentMethod.ONLINE:
        raise PaymentUnavailable(gettext("Order #%(number)s is not paid online.") % number)
    if order.payment_status == Order.PaymentStatus.PAID:
        raise PaymentUnavailable(gettext("Order #%(number)s is already paid.") % number)
    if order.status == Order.Status.CANCELLED:
        raise PaymentUnavailable(
            gettext("Order #%(number)s was cancelled, so there is nothing to pay.") % number
        )
    retry_later = gettext(
        "The payment provider is not answering just now, so nothing was charged. "
        "The shop has your order and will tell you how to pay."
    )
    if not gateways.breaker.allow():
        raise PaymentUnavailable(retry_later)
    try:
        provider_order = gateway.create_order(order)
    except gateways.ProviderUnavailable as error:
        gateways.breaker.record_failure(error)
        raise PaymentUnavailable(retry_later) from error
    except gateways.ProviderRefused as error:  # the shop's set-up (keys, account), not the buyer's doing
        logger.error("%s refused to open order %s: %s", gateway.name, order.pk, error.message)
        raise PaymentUnavailable(
            gettext(
                "Online payment is not working at this shop just now, so nothing was charged. "
                "The shop has your order and will tell you how to pay."
            )
        ) from error
    gateways.breaker.record_success()
    with transaction.atomic():
        payment = Payment.objects.create(
            store_id=order.store_id,
            order=order,
            provider=gateway.name,
            provider_order_id=provider_order.provider_order_id,
            amount=order.total,
            currency=order.currency,
        )
        emit(
            events.PAYMENT_CREATED,
            store_id=order.store_id,
            data=events.PaymentCreated(
                order_id=order.pk,
                number=order.number,
                provider=gateway.name,
                provider_order_id=payment.provider_order_id,
                amount=payment.amount,
                currency=payment.currency,
            ),
        )
    return PaymentStart(payment=payment, checkout_url=provider_order.checkout_url)


@transaction.atomic
def apply_payment_webhook(*, provider: str, event: WebhookEvent) -> str:
    """Apply a verified webhook once. Returns "applied", "duplicate" (seen before) or "ignored".

    The delivery is remembered in the same transaction as its effect, so a redelivery of an
    applied event changes nothing and a delivery whose effect failed can be retried.
    """
    try:
        with transaction.atomic():
            ProcessedWebhook.objects.create(provider=provider, event_id=event.event_id)
    except IntegrityError:
        return "duplicate"
    if event.type in REFUND_EVENTS:
        return _settle_refund(provider=provider, event=event)
    if event.type not in gateways.PAYMENT_EVENTS:
        return "ignored"
    found = Payment.objects.filter(provider=provider, provider_order_id=event.provider_order_id).first()
    if found is None:
        logger.warning(
            "%s webhook %s for unknown order %s", provider, event.event_id, event.provider_order_id
        )
        return "ignored"
    # The order's lock first, then the payment's: every writer of an order's money takes them in this order.
    order = lock_order(store_id=found.store_id, order_id=found.order_id)
    payment = Payment.objects.select_for_update(of=("self",)).select_related("order").get(pk=found.pk)
    if payment.status == Payment.Status.CAPTURED:
        return "ignored"
    if event.type == "payment.failed":
        payment.status = Payment.Status.FAILED
        payment.save(update_fields=["status", "updated_at"])
        emit(events.PAYMENT_FAILED, store_id=payment.store_id, data=_settled_data(payment, event))
        return "applied"
    if event.amount != payment.amount or event.currency != payment.currency:
        logger.error(
            "%s webhook %s captured %s %s for payment %s of %s %s; not marking it paid",
            provider,
            event.event_id,
            event.amount,
            event.currency,
            payment.pk,
            payment.amount,
            payment.currency,
        )
        return "ignored"
    payment.status = Payment.Status.CAPTURED
    payment.provider_payment_id = event.provider_payment_id  # what a refund names
    payment.save(update_fields=["status", "provider_payment_id", "updated_at"])
    emit(events.PAYMENT_CAPTURED, store_id=payment.store_id, data=_settled_data(payment, event))
    _pay(
        order=order,
        amount=payment.amount,
        method=RecordedPayment.Method.ONLINE,
        reference=event.provider_payment_id,
        by=GATEWAY,
    )
    return "applied"


def _settled_data(payment: Payment, event: WebhookEvent) -> events.PaymentSettled:
    return {
        "order_id": payment.order_id,
        "number": payment.order.number,
        "token": payment.order.public_token,
        "provider": payment.provider,
        "provider_order_id": payment.provider_order_id,
        "provider_payment_id": event.provider_payment_id,
        "amount": payment.amount,
        "currency": payment.currency,
    }


# --- Matching UPI payments from a bank statement ---------------------------------------------------

REPORT_GROUP = {"reference": "paid", "amount": "paid", "duplicate": "duplicates"}


def match_statement(*, store: Store, text: str, by: str) -> MatchReport:
    """Pay the store's open UPI orders from a statement's credits (matching.py says how they pair).

    The whole statement is read first, so one that cannot be read changes nothing (StatementRefused).
    Each credit that pays an order is applied in its own transaction under the order's lock, recorded
    as a StatementLineApplied and announced as `payment.recorded`; its key (the UTR, or the date,
    amount and text) is unique per store, so the same line sent again, also concurrently, pays once.
    """
    statement = read_statement(text)
    report = MatchReport(debits=statement.debits, ignored=statement.ignored)
    keys = [line_key(line) for line in statement.lines]
    applied = {
        key
        for batch in _batches(set(keys))
        for key in StatementLineApplied.objects.filter(store=store, line_key__in=batch).values_list(
            "line_key", flat=True
        )
    }
    windows = set().union(*(reference_windows(line.reference_text) for line in statement.lines))
    by_reference = {
        order.pay_reference: order
        for batch in _batches(windows)
        for order in Order.objects.filter(store=store, pay_reference__in=batch)
    }
    open_by_amount: dict[Decimal, list[Order]] = defaultdict(list)
    for order in Order.objects.filter(OPEN_UPI, store=store):
        open_by_amount[order.upi_amount].append(order)  # type: ignore[index]  # OPEN_UPI: not null
    seen: set[str] = set()
    for line, key in zip(statement.lines, keys, strict=True):
        if key in applied or key in seen:
            note = "Paid an order before." if key in applied else "The same payment as an earlier line."
            report.duplicates.append(report_line(line, note))
            continue
        seen.add(key)
        pairing = pair(line, by_reference=by_reference, open_by_amount=open_by_amount)
        if pairing.kind in ("reference", "amount"):
            pairing = _apply_statement_line(store=store, line=line, key=key, pairing=pairing, by=by)
            for order in pairing.orders:  # what later lines meet: this order as it is now
                by_reference[order.pay_reference] = order
                open_by_amount[line.amount] = [o for o in open_by_amount[line.amount] if o.pk != order.pk]
        getattr(report, REPORT_GROUP.get(pairing.kind, pairing.kind)).append(
            report_line(line, pairing.note, pairing.orders)
        )
    return report


# Values per IN (…) query: a 2 MB statement holds tens of thousands of candidate references, more than
# SQLite takes parameters in one query (32766).
IN_BATCH = 2000


def _batches(values: set[str]) -> list[list[str]]:
    ordered = sorted(values)
    return [ordered[start : start + IN_BATCH] for start in range(0, len(ordered), IN_BATCH)]


def _apply_statement_line(
    *, store: Store, line: StatementLine, key: str, pairing: Pairing, by: str
) -> Pairing:
    (found,) = pairing.orders
    try:
        with transaction.atomic():
            order = lock_order(store_id=store.pk, order_id=found.pk)
            if StatementLineApplied.objects.filter(store=store, line_key=key).exists():
                return Pairing("duplicate", (order,), "Paid an order before.")
            if not order.asks_upi or order.upi_amount != line.amount:
                return Pairing("check", (order,), why_not_paid(order, line.amount))
            _pay(
                order=order,
                amount=line.amount,
                method=RecordedPayment.Method.UPI,
                reference=line.utr,
                note="Matched from a bank statement",
                by=by,
            )
            StatementLineApplied.objects.create(
                store=store,
                line_key=key,
                order=order,
                amount=line.amount,
                utr=line.utr,
                line_date=line.date,
                text=line.reference_text[:500],
                matched_by=pairing.kind,
                by=by[:120],
            )
    except IntegrityError:  # the same line applied by a concurrent upload a moment ago
        return Pairing("duplicate", (found,), "Paid an order before.")
    return Pairing(pairing.kind, (order,), pairing.note)


# --- Payments recorded ----------------------------------------------------------------------------

MAX_REFERENCE, MAX_NOTE = 64, 200
MAX_AMOUNT = Decimal("999999999999.99")  # what the amount columns hold (14 digits, 2 after the point)


@transaction.atomic
def record_payment(
    *, store: Store, order: Order, amount: Decimal, method: str, reference: str = "", note: str = "", by: str
) -> RecordedPayment:
    """Record money the shop received for `order` (cash, UPI, a bank transfer…) and derive its status.

    `by` says who: the merchant's phone, the API token, or STATEMENT for a matched bank statement line.
    The order is locked first, so two people marking it paid at once pay it once: the second is refused.
    Every refusal is a ValidationError saying what to do, and changes nothing.
    """
    method, reference, note = str(method), reference.strip(), note.strip()
    if method not in RecordedPayment.Method.values:
        choices = ", ".join(map(str, RecordedPayment.Method.labels))
        raise ValidationError(
            {"method": gettext("Choose how it was paid: %(choices)s.") % {"choices": choices}}
        )
    if len(reference) > MAX_REFERENCE:
        raise ValidationError(
            {"reference": gettext("A reference has at most %(count)s characters.") % {"count": MAX_REFERENCE}}
        )
    if len(note) > MAX_NOTE:
        raise ValidationError(
            {"note": gettext("A note has at most %(count)s characters.") % {"count": MAX_NOTE}}
        )
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise ValidationError({"amount": gettext("Enter the amount received, more than zero.")})
    if amount > MAX_AMOUNT:
        raise ValidationError(
            {"amount": gettext("That is more than any order comes to. Check for extra zeros.")}
        )
    if to_paise(amount) != amount:
        raise ValidationError(
            {"amount": gettext("An amount has at most two digits after the point (paise).")}
        )
    order = lock_order(store_id=store.pk, order_id=order.pk)
    number = order.number
    if order.status == Order.Status.CANCELLED:
        raise ValidationError(
            gettext(
                "Order #%(number)s was cancelled: a payment on a cancelled order is not recorded. "
                "Nothing changed."
            )
            % {"number": number},
            code="order_cancelled",
        )
    due = order.amount_due
    if not due:
        raise ValidationError(
            gettext("Order #%(number)s is already paid in full (%(paid)s). Nothing changed.")
            % {"number": number, "paid": money(order.amount_paid, store)},
            code="already_paid",
        )
    # A UPI buyer is asked for the total plus a few paise that tell open orders apart (upi_amount).
    asked_by_upi = not order.amount_paid and amount == order.upi_amount
    if amount > due and not asked_by_upi:
        raise ValidationError(
            {
                "amount": gettext(
                    "Only %(due)s is still due on order #%(number)s (total %(total)s, paid %(paid)s). "
                    "Record %(due)s or less."
                )
                % {
                    "due": money(due, store),
                    "number": number,
                    "total": money(order.total, store),
                    "paid": money(order.amount_paid, store),
                }
            }
        )
    return _pay(order=order, amount=amount, method=method, reference=reference, note=note, by=by)


def _pay(
    *, order: Order, amount: Decimal, method: str, reference: str, by: str, note: str = ""
) -> RecordedPayment:
    """Write the payment's row, add it to the order's sums and emit payment.recorded. The caller holds
    the order's lock and checked the amount."""
    payment = RecordedPayment.objects.create(
        store_id=order.store_id,
        order=order,
        amount=amount,
        method=method,
        reference=reference,
        note=note,
        recorded_by=by,
    )
    record_money(order=order, paid=amount)
    emit(
        order_events.PAYMENT_RECORDED,
        store_id=order.store_id,
        data=order_events.PaymentRecorded(
            **order_events.order_ref(order),
            amount=amount,
            method=method,
            reference=reference,
            amount_paid=order.amount_paid,
            payment_status=order.payment_status,
        ),
    )
    return payment


# --- Refunds --------------------------------------------------------------------------------------


class RefundRefused(Exception):
    """The refund was not made, and nothing changed; `message` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RefundKeyReused(RefundRefused):
    """The idempotency key was already used for another refund."""


def refund_order(
    *,
    store: Store,
    order: Order,
    amount: Decimal,
    method: str,
    reference: str = "",
    note: str = "",
    restock: dict[int, int] | None = None,
    by: str,
    idempotency_key: str = "",
) -> Refund:
    """Pay back `amount` of what was paid for `order`, putting `restock` ({line id: units}) back in stock.

    The same `idempotency_key` again (the API's) returns the refund it made, as it is now, and changes
    nothing; with another order, amount or method it is refused.

    By hand (UPI, cash, bank transfer) the refund is processed at once. Through the gateway its amount
    is counted as refunded at once (so a second refund racing this one sees it), the provider is asked
    after the commit, and its webhook (or its answer) makes it processed; a failure gives it back.
    """
    refund, made_now = _record_refund(
        store=store,
        order=order,
        amount=amount,
        method=method,
        reference=reference,
        note=note,
        quantities=restock,
        by=by,
        idempotency_key=idempotency_key,
    )
    if made_now and refund.status == Refund.Status.PENDING:
        refund = _ask_gateway(refund)
    return refund


@transaction.atomic
def _record_refund(
    *,
    store: Store,
    order: Order,
    amount: Decimal,
    method: str,
    reference: str,
    note: str,
    quantities: dict[int, int] | None,
    by: str,
    idempotency_key: str,
) -> tuple[Refund, bool]:
    # The order's lock first: every writer of an order's money queues on it, so two refunds of the
    # whole amount cannot both see it unrefunded (nor two requests with one key).
    order = lock_order(store_id=store.pk, order_id=order.pk)
    if idempotency_key:
        earlier = Refund.objects.filter(store=store, idempotency_key=idempotency_key).first()
        if earlier is not None:
            if (earlier.order_id, earlier.amount, earlier.method) != (order.pk, amount, method):
                raise RefundKeyReused(
                    f"The Idempotency-Key “{idempotency_key}” was already used for another refund. "
                    "Send a new key for a new refund."
                )
            return earlier, False
    if method not in Refund.Method.values:
        choices = ", ".join(Refund.Method.values)
        raise RefundRefused(
            gettext("“%(method)s” is not a way to refund. Choose one of: %(choices)s.")
            % {"method": method, "choices": choices}
        )
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount != to_paise(amount):
        raise RefundRefused(
            gettext("Give the amount to refund in rupees, with at most two digits after the point.")
        )
    if amount <= 0:
        raise RefundRefused(gettext("The amount to refund must be more than zero."))
    if not order.amount_paid:
        raise RefundRefused(
            gettext(
                "Order #%(number)s has no payment recorded, so there is nothing to refund. "
                "Record the payment first."
            )
            % {"number": order.number}
        )
    left = order.amount_paid - order.amount_refunded
    if amount > left:
        raise RefundRefused(
            gettext("You can refund at most %(left)s: %(paid)s was paid and %(refunded)s already refunded.")
            % {
                "left": money(left, store),
                "paid": money(order.amount_paid, store),
                "refunded": money(order.amount_refunded, store),
            }
        )
    if len(reference) > 100 or len(note) > 200:
        raise RefundRefused(gettext("Keep the reference within 100 characters and the note within 200."))
    payment = None
    if method == Refund.Method.GATEWAY:
        payment = _refundable_payment(order, amount)
    try:
        restocked = restock(order=order, quantities=quantities or {})
    except RestockRefused as error:
        raise RefundRefused(error.message) from error
    order = record_money(order=order, refunded=amount)
    by_hand = payment is None
    refund = Refund.objects.create(
        store=store,
        order=order,
        payment=payment,
        amount=amount,
        method=method,
        reference=reference.strip(),
        note=note.strip(),
        status=Refund.Status.PROCESSED if by_hand else Refund.Status.PENDING,
        restocked={str(line_id): units for line_id, units in restocked.items()},
        by=by,
        idempotency_key=idempotency_key,
        processed_at=timezone.now() if by_hand else None,
    )
    emit(order_events.REFUND_RECORDED, store_id=store.pk, data=_refund_data(refund, order))
    return refund, True


def _refundable_payment(order: Order, amount: Decimal) -> Payment:
    payment = Payment.objects.filter(order=order, status=Payment.Status.CAPTURED).first()
    if payment is None or not payment.provider_payment_id:
        raise RefundRefused(
            gettext(
                "Order #%(number)s was not paid through the payment gateway. "
                "Pay the buyer back by UPI, cash or bank transfer and record that here."
            )
            % {"number": order.number}
        )
    taken = Refund.objects.filter(payment=payment).exclude(status=Refund.Status.FAILED).aggregate(
        sum=Sum("amount")
    )["sum"] or Decimal(0)
    if amount > payment.amount - taken:
        raise RefundRefused(
            gettext(
                "The gateway can refund at most %(most)s of this payment; "
                "pay the rest back by UPI, cash or bank transfer."
            )
            % {"most": money(payment.amount - taken, order.store)}
        )
    return payment


def _ask_gateway(refund: Refund) -> Refund:
    """Ask the provider for a refund already counted; outside any transaction (it may be slow)."""
    gateway = get_gateway()
    if gateway is None or refund.payment is None or gateway.name != refund.payment.provider:
        _fail_refund(refund.pk, "The payment gateway is not set up here any more.")
        raise RefundRefused(
            gettext(
                "The payment gateway is not set up, so nothing was refunded. "
                "Refund by UPI, cash or bank transfer."
            )
        )
    try:
        answer = gateway.refund(
            provider_payment_id=refund.payment.provider_payment_id,
            amount=refund.amount,
            notes={"order": str(refund.order.number), "refund": str(refund.pk)},
        )
    except (gateways.ProviderUnavailable, gateways.ProviderRefused) as error:
        reason = getattr(error, "message", "") or gettext("The payment provider is not answering just now.")
        _fail_refund(refund.pk, reason)
        raise RefundRefused(
            gettext("%(reason)s Nothing was refunded; try again later or refund by hand.")
            % {"reason": reason}
        ) from error
    return _accepted(refund.pk, answer)


@transaction.atomic
def _accepted(refund_id: int, answer: gateways.ProviderRefund) -> Refund:
    refund = _locked_refund(refund_id)
    if refund.status == Refund.Status.PENDING:
        refund.provider_refund_id = answer.refund_id[:64]
        refund.save(update_fields=["provider_refund_id"])
        if answer.status == "processed":
            _confirm(refund)
    return refund


def _locked_refund(refund_id: int) -> Refund:
    """The refund with its order's lock taken first, then its own (the order every money writer keeps)."""
    found = Refund.objects.values("store_id", "order_id").get(pk=refund_id)
    lock_order(store_id=found["store_id"], order_id=found["order_id"])
    return (
        Refund.objects.select_for_update(of=("self",))
        .select_related("order", "store", "payment")
        .get(pk=refund_id)
    )


def _confirm(refund: Refund) -> None:
    refund.status, refund.processed_at = Refund.Status.PROCESSED, timezone.now()
    refund.save(update_fields=["status", "processed_at"])
    emit(order_events.REFUND_PROCESSED, store_id=refund.store_id, data=_refund_data(refund, refund.order))


@transaction.atomic
def _fail_refund(refund_id: int, reason: str) -> None:
    refund = _locked_refund(refund_id)
    if refund.status != Refund.Status.PENDING:
        return
    refund.status, refund.failure = Refund.Status.FAILED, reason[:300]
    refund.save(update_fields=["status", "failure"])
    order = release_refund(order=refund.order, amount=refund.amount)
    emit(events.REFUND_FAILED, store_id=refund.store_id, data=_refund_data(refund, order))


def _settle_refund(*, provider: str, event: WebhookEvent) -> str:
    """A refund.processed or refund.failed webhook: the pending refund it names is settled once."""
    ours = Refund.objects.filter(payment__provider=provider)
    found = list(ours.filter(provider_refund_id=event.provider_refund_id).values_list("pk", flat=True))
    if not found:
        # The webhook can come before the provider's answer to our call was stored: the pending refund
        # of that payment and amount still waiting for its id is the one.
        found = list(
            ours.filter(
                payment__provider_payment_id=event.provider_payment_id,
                amount=event.amount,
                status=Refund.Status.PENDING,
                provider_refund_id="",
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:1]
        )
    if not found:
        logger.warning("%s webhook %s: unknown refund %s", provider, event.event_id, event.provider_refund_id)
        return "ignored"
    refund = _locked_refund(found[0])
    if refund.status != Refund.Status.PENDING:
        return "ignored"
    if not refund.provider_refund_id:
        refund.provider_refund_id = event.provider_refund_id
        refund.save(update_fields=["provider_refund_id"])
    if event.type == "refund.processed":
        _confirm(refund)
    else:
        _fail_refund(refund.pk, "The payment provider could not refund it.")
    return "applied"


def _refund_data(refund: Refund, order: Order) -> order_events.RefundRecorded:
    return order_events.RefundRecorded(
        **order_events.order_ref(order),
        refund_id=refund.pk,
        amount=refund.amount,
        method=refund.method,
        amount_refunded=order.amount_refunded,
        payment_status=order.payment_status,
        status=refund.status,
    )
