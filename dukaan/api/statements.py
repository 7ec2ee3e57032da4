"""Merchant endpoint for UPI reconciliation: send a bank or UPI app statement, the orders it pays are
marked paid, and the answer says what became of every credit line (docs/payments.md)."""

import json
from datetime import date

from django.http import HttpRequest
from ninja import Router
from pydantic import Field

from dukaan.accounts.models import ApiToken
from dukaan.accounts.roles import Access
from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import token_actor
from dukaan.payments.services import match_statement
from dukaan.payments.statements import decode_statement

from .auth import needs
from .problems import Problem
from .schemas import Money, Out

router = Router(tags=["Merchant"])


class StatementLineOut(Out):
    line_no: int = Field(description="The line in the statement as sent, counting from 1")
    date: date | None
    amount: Money
    utr: str = Field(description='The bank\'s reference of the transfer (UPI RRN); "" when the line has none')
    text: str = Field(description="The line's narration")
    note: str = Field(description="How it matched, or why it did not")
    order_numbers: list[int] = Field(description="The order it paid, or the orders it may be for")


class MatchReportOut(Out):
    paid: list[StatementLineOut] = Field(description="Credits that paid an order now")
    duplicates: list[StatementLineOut] = Field(
        description="Credits applied before (the same UTR, or the same date, amount and text), or twice here"
    )
    check: list[StatementLineOut] = Field(
        description="Credits naming an order's reference with another amount, or an order not open: not paid"
    )
    ambiguous: list[StatementLineOut] = Field(description="Amounts several open orders ask for: not paid")
    unmatched: list[StatementLineOut]
    debits: int = Field(description="Money going out: skipped")
    ignored: int = Field(description="Lines with neither a date nor an amount (headers, totals, blank)")


STATEMENT_BODY = {
    "required": True,
    "content": {
        "text/plain": {"schema": {"type": "string", "description": "The statement's lines or CSV, as text"}},
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"text": {"type": "string"}},
                "required": ["text"],
                "additionalProperties": False,
            }
        },
    },
}


def _statement_text(request: HttpRequest) -> str:
    media_type = (request.content_type or "").split(";")[0].strip().lower()
    if media_type == "text/plain":
        return decode_statement(request.body)
    if media_type != "application/json":
        raise Problem(
            "unsupported-media-type",
            "Send the statement as `text/plain`, or as JSON "
            '`{"text": …}` with `Content-Type: application/json`.',
        )
    try:
        data = json.loads(request.body)
    except ValueError as error:
        raise Problem("malformed-request", f"The body is not valid JSON: {error}.") from error
    if not isinstance(data, dict) or set(data) != {"text"} or not isinstance(data["text"], str):
        raise Problem(
            "malformed-request", 'Send a JSON object with one member, "text": the statement as text.'
        )
    return data["text"]


@router.post(
    "/payments/statement",
    response=MatchReportOut,
    summary="Match UPI payments from a bank statement",
    auth=needs(Scope.ORDERS_WRITE, Access.ORDER_MONEY),
    openapi_extra={"requestBody": STATEMENT_BODY},
)
def match_payments_statement(request: HttpRequest):
    """Pairs the statement's credits with the store's open UPI orders by reference and exact amount and
    marks those paid; the same line sent again pays once. A statement that cannot be read is a 422
    naming the line, and nothing is changed."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]  # set by ninja: what TokenAuth returned
    report = match_statement(store=token.store, text=_statement_text(request), by=token_actor(token))
    return MatchReportOut.model_validate(report)
