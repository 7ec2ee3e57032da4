"""The invoices' events, for integrators (an accounting export): no consumer group of ours reads them.

They go to the aggregate type `store` (topic dukaan.store), so no new topic is needed.
"""

from datetime import datetime
from decimal import Decimal
from typing import TypedDict

from dukaan.catalog.events import STORE
from dukaan.events.contract import declare


class InvoiceData(TypedDict):
    id: int
    order_id: int
    order_number: int
    number: str
    kind: str
    issued_at: datetime
    total: Decimal
    cancelled_at: datetime | None


INVOICE_ISSUED = declare("invoice.issued", aggregatetype=STORE, payload=InvoiceData, external=True)
INVOICE_CANCELLED = declare("invoice.cancelled", aggregatetype=STORE, payload=InvoiceData, external=True)


class CreditNoteData(TypedDict):
    id: int
    invoice_id: int
    invoice_number: str
    order_id: int
    refund_id: int
    number: str
    issued_at: datetime
    amount: Decimal


CREDIT_NOTE_ISSUED = declare("credit_note.issued", aggregatetype=STORE, payload=CreditNoteData, external=True)
