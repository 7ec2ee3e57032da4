"""Every write to payments: opening an online payment at the provider, applying its webhooks, and paying
orders from a bank statement's credits.

Each change is one transaction holding the rows and their outbox events.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction

from dukaan.catalog.models import Store
from dukaan.events.outbox import emit
from dukaan.orders.events import PAYMENT_RECORDED, PaymentRecorded
from dukaan.orders.models import Order
from dukaan.orders.services import lock_order, record_money

from . import events, gateways
from .gateways import WebhookEvent, get_gateway
from .matching import (
    OPEN_UPI,
    MatchReport,
    Pairing,
    is_open,
    line_key,
    pair,
    reference_windows,
    report_line,
    why_not_paid,
)
from .models import Payment, ProcessedWebhook, StatementLineApplied
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
        raise PaymentUnavailable("Online payment is not available here. Pay by cash on delivery or UPI.")
    if order.payment_method != Order.PaymentMethod.ONLINE:
        raise PaymentUnavailable(f"Order #{order.number} is not paid online.")
    if order.payment_status == Order.PaymentStatus.PAID:
        raise PaymentUnavailable(f"Order #{order.number} is already paid.")
    if order.status == Order.Status.CANCELLED:
        raise PaymentUnavailable(f"Order #{order.number} was cancelled, so there is nothing to pay.")
    retry_later = (
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
            "Online payment is not working at this shop just now, so nothing was charged. "
            "The shop has your order and will tell you how to pay."
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
    if event.type not in gateways.PAYMENT_EVENTS:  # refund events: the refunds' service applies them
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
    payment.save(update_fields=["status", "updated_at"])
    record_money(order=order, paid=payment.amount)
    emit(events.PAYMENT_CAPTURED, store_id=payment.store_id, data=_settled_data(payment, event))
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
            if not is_open(order) or order.upi_amount != line.amount:
                return Pairing("check", (order,), why_not_paid(order, line.amount))
            order = record_money(order=order, paid=line.amount)
            # Paid: nothing more is asked by UPI, and the amount is free for another order.
            order.upi_amount = None
            order.save(update_fields=["upi_amount", "updated_at"])
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
            emit(
                PAYMENT_RECORDED,
                store_id=store.pk,
                data=PaymentRecorded(
                    order_id=order.pk,
                    number=order.number,
                    token=order.public_token,
                    amount=line.amount,
                    method=Order.PaymentMethod.UPI,
                    reference=line.utr,
                    amount_paid=order.amount_paid,
                    payment_status=order.payment_status,
                ),
            )
    except IntegrityError:  # the same line applied by a concurrent upload a moment ago
        return Pairing("duplicate", (found,), "Paid an order before.")
    return Pairing(pairing.kind, (order,), pairing.note)
