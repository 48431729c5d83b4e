"""Emersion's documents (seed 002) as the seed names them: `ser:PaymentRequest/ser:Payment` with its attributes and
its Invoices, the limits we set where the seed gives none, and the result codes the answer's
`ns1:PaymentResponse/ns1:Payment` takes. Declarations only: request.py reads a request into them, answer.py writes the
answer, wsdl.py describes both.

seed 002 does not name the namespace its `ser:` and `ns1:` prefixes stand for: ours is NAMESPACE, chosen once
(docs/decisions.md). Elements are qualified and attributes unqualified, as the seed's sample writes them.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from paybridge.ledger import MAX_ALLOCATIONS

NAMESPACE = "urn:paybridge:emersion:services"
# The prefix answers declare NAMESPACE with: seed 002's response reads `ns1:PaymentResponse` (PHP SoapServer's).
RESPONSE_NAMESPACES = {"ns1": NAMESPACE}
# The most Invoice elements one payment takes (the ledger's: one transaction holds them all).
MAX_INVOICES = MAX_ALLOCATIONS
# The token, the request's one free text (seed 002 gives no limit; the other attributes are numbers and a date, bounded
# by their formats): at most 255 bytes, counted as Emersion's PHP counts (strlen: bytes of the UTF-8 text, so 'é'
# counts 2, '😀' 4), the value as sent (after PHP's trim). Longer, it is no token of ours: 167 "Invalid payment
# token", before any read (it names the payment method's key in the table).
MAX_TOKEN = 255

# seed 002's result_code_id values, each with its response_message. 70 Precompleted and 80 Prefailed are the seed's
# too, but no payment of ours is ever in them (answer.py reads the code from the ledger's state); 60 Uncleared is a
# disputed payment's (issue 20).
INITIATED = (10, "TRANSACTION INITIATED")
PROCESSING = (30, "TRANSACTION PROCESSING")
PENDING = (40, "TRANSACTION PENDING")
UNCLEARED = (60, "TRANSACTION UNCLEARED")
APPROVED = (100, "TRANSACTION APPROVED")
FAILED = (110, "TRANSACTION FAILED")
DECLINED = (110, "TRANSACTION DECLINED")
VOID = (120, "TRANSACTION VOID")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Invoice(_Model):
    """`ser:Invoices/ser:Invoice`: an invoice of the account and what the payment puts on it."""

    id: int
    amount_to_be_allocated: Decimal


class PaymentRequest(_Model):
    """`ser:PaymentRequest/ser:Payment`, validated: amounts in the tenant's currency, the vanity date in ISO 8601."""

    account_id: int
    token: str
    amount: Decimal
    payment_vanity_date: str | None = None
    invoices: tuple[Invoice, ...] | None = None
