"""A local Razorpay for tests: the four API routes dukaan uses, answering as Razorpay's API reference
documents, plus what a buyer does at Checkout and the webhooks Razorpay then sends.

The JSON bodies are Razorpay's documented samples, kept in tests/providers/razorpay/ (docs/payments.md
cites the pages); the server fills in ids, amounts and states. It listens on 127.0.0.1 on a free port
and checks HTTP basic auth with the key id and secret, as the real API does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parent / "razorpay"
ID_CHARACTERS = string.ascii_letters + string.digits


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def new_id(prefix: str) -> str:
    return f"{prefix}_" + "".join(secrets.choice(ID_CHARACTERS) for _ in range(14))


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def error(description: str, *, code: str = "BAD_REQUEST_ERROR", field: str | None = None) -> dict:
    body = fixture("error")
    body["error"].update(code=code, description=description, field=field)
    return body


class RazorpayServer:
    """POST /v1/orders, GET /v1/orders/{id}, GET /v1/payments/{id}, POST /v1/payments/{id}/refund."""

    def __init__(self, *, key_id: str, key_secret: str, webhook_secret: str) -> None:
        self.key_id, self.key_secret, self.webhook_secret = key_id, key_secret, webhook_secret
        self.orders: dict[str, dict] = {}
        self.payments: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, JSON body) of each authorised call
        self.failing_with: int | None = None  # answer every call with this 5xx, as during an outage
        self.refund_status = "processed"  # what a new refund says; "pending" until its webhook
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"

    def __enter__(self) -> RazorpayServer:
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._http.shutdown()
        self._http.server_close()

    # --- What the buyer does at Checkout ---------------------------------------------------------

    def pay(self, order_id: str, *, method: str = "upi") -> dict[str, str]:
        """The buyer pays the order in full; returns what Checkout posts to the callback URL."""
        with self._lock:
            order = self.orders[order_id]
            payment = self._new_payment(order, method=method)
            order.update(status="paid", amount_paid=order["amount"], amount_due=0)
        signature = hmac_hex(self.key_secret, f"{order_id}|{payment['id']}".encode())
        return {
            "razorpay_payment_id": payment["id"],
            "razorpay_order_id": order_id,
            "razorpay_signature": signature,
        }

    def fail(self, order_id: str) -> str:
        """A payment attempt on the order fails (a wrong UPI PIN); returns the payment id."""
        with self._lock:
            order = self.orders[order_id]
            payment = self._new_payment(order, method="upi")
            payment.update(fixture("failed_payment"))
            order["status"] = "attempted"
        return payment["id"]

    def _new_payment(self, order: dict, *, method: str) -> dict:
        payment = fixture("payment")
        payment.update(
            id=new_id("pay"),
            amount=order["amount"],
            currency=order["currency"],
            order_id=order["id"],
            method=method,
            created_at=int(time.time()),
        )
        order["attempts"] += 1
        self.payments[payment["id"]] = payment
        return payment

    # --- What Razorpay sends ----------------------------------------------------------------------

    def webhook(
        self, event: str, *, payment_id: str = "", refund_id: str = "", event_id: str | None = ""
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of a webhook for the payment's (or the refund's) current state.

        Razorpay names each delivery in X-Razorpay-Event-Id (a new id unless `event_id` is given;
        None leaves the header out) and signs the raw body with the webhook secret.
        """
        if event.startswith("refund."):
            body = fixture("webhook_refund")
            refund = dict(self.refunds[refund_id], status=event.removeprefix("refund."))
            body["payload"]["refund"]["entity"] = refund
            body["payload"]["payment"]["entity"] = self.payments[refund["payment_id"]]
        elif event == "order.paid":
            body = fixture("webhook_order_paid")
            payment = self.payments[payment_id]
            body["payload"]["payment"]["entity"] = payment
            body["payload"]["order"]["entity"] = self.orders[payment["order_id"]]
        else:
            body = fixture("webhook_payment")
            body["payload"]["payment"]["entity"] = self.payments[payment_id]
        body.update(event=event, created_at=int(time.time()))
        raw = json.dumps(body).encode()
        headers = {"X-Razorpay-Signature": hmac_hex(self.webhook_secret, raw)}
        if event_id is not None:
            headers["X-Razorpay-Event-Id"] = event_id or new_id("evt")
        return raw, headers

    # --- The API -----------------------------------------------------------------------------------

    def answer(self, method: str, path: str, body: dict) -> tuple[int, dict]:
        if self.failing_with:
            return self.failing_with, error(
                "The server encountered an error. The incident has been reported to admins.",
                code="SERVER_ERROR",
            )
        parts = path.strip("/").split("/")
        with self._lock:
            if method == "POST" and parts == ["v1", "orders"]:
                return self._create_order(body)
            if method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "orders"]:
                return self._fetch(self.orders, parts[2])
            if method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "payments"]:
                return self._fetch(self.payments, parts[2])
            if (
                method == "POST"
                and len(parts) == 4
                and parts[:2] == ["v1", "payments"]
                and parts[3] == "refund"
            ):
                return self._refund(parts[2], body)
        return 400, error("The requested URL was not found on the server.")

    def _fetch(self, entities: dict[str, dict], entity_id: str) -> tuple[int, dict]:
        if entity_id not in entities:
            return 400, error("The id provided does not exist")
        return 200, entities[entity_id]

    def _create_order(self, body: dict) -> tuple[int, dict]:
        amount, currency = body.get("amount"), body.get("currency")
        if type(amount) is not int or amount < 100:
            return 400, error(f"The amount must be at least {currency or 'INR'} 1.00", field="amount")
        if not isinstance(currency, str) or len(currency) != 3:
            return 400, error("The currency field is required.", field="currency")
        receipt = body.get("receipt")
        if receipt is not None and len(str(receipt)) > 40:
            return 400, error("The receipt may not be greater than 40 characters.", field="receipt")
        notes = body.get("notes") or {}
        if len(notes) > 15 or any(len(str(value)) > 256 for value in notes.values()):
            return 400, error("Number of fields in notes should be less than or equal to 15", field="notes")
        order = fixture("order")
        order.update(
            id=new_id("order"),
            amount=amount,
            amount_due=amount,
            currency=currency,
            receipt=receipt,
            notes=notes,
            created_at=int(time.time()),
        )
        self.orders[order["id"]] = order
        return 200, order

    def _refund(self, payment_id: str, body: dict) -> tuple[int, dict]:
        payment = self.payments.get(payment_id)
        if payment is None:
            return 400, error("The id provided does not exist")
        if not payment["captured"]:
            return 400, error("The payment has not been captured")
        left = payment["amount"] - payment["amount_refunded"]
        amount = body.get("amount", left)
        if type(amount) is not int or amount < 100:
            return 400, error(f"The amount must be at least {payment['currency']} 1.00", field="amount")
        if amount > left:
            return 400, error("The refund amount provided is greater than amount captured", field="amount")
        refund = fixture("refund")
        refund.update(
            id=new_id("rfnd"),
            amount=amount,
            currency=payment["currency"],
            payment_id=payment_id,
            notes=body.get("notes") or {},
            receipt=body.get("receipt"),
            created_at=int(time.time()),
            status=self.refund_status,
        )
        self.refunds[refund["id"]] = refund
        payment["amount_refunded"] += amount
        full = payment["amount_refunded"] == payment["amount"]
        payment.update(refund_status="full" if full else "partial", status="refunded" if full else "captured")
        return 200, refund

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self
        expected = "Basic " + base64.b64encode(f"{self.key_id}:{self.key_secret}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if not hmac.compare_digest(self.headers.get("Authorization", ""), expected):
                    self._reply(401, error("Authentication failed"))
                    return
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    self._reply(400, error("The request body is not valid JSON."))
                    return
                path = self.path.split("?", 1)[0]
                server.requests.append((method, path, body))
                self._reply(*server.answer(method, path, body))

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, *args) -> None:  # quiet: pytest shows failures, not access logs
                pass

        return Handler
