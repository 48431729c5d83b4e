"""Single-table keys. Every key but a credential's, a user's and a login guard's starts with the tenant: the first two
are what names the tenant, and a login guard counts a username's failed logins before any tenant is known.

| item        | PK                                   | SK       |
|-------------|--------------------------------------|----------|
| credential  | CRED#<scheme>#<sha256 of secret>     | CRED     |
| tenant      | T#<tenant>                           | TENANT   |
| account     | T#<tenant>#ACCT#<account>            | ACCOUNT  |
| account ref | T#<tenant>#REF#<name>#<value>        | REF      |
| receivable  | T#<tenant>#RCV#<receivable>          | RCV      |
| payment     | T#<tenant>#PAY#<payment>             | PAYMENT  |
| idempotency | T#<tenant>#IDEM#<operation>#<sha256> | IDEM     |
| tenant dir. | TENANTS                              | <tenant> |
| payment alias | T#<tenant>#PAYREF#<name>#<value>   | PAYREF   |
| sequence    | T#<tenant>#SEQ#<name>                | SEQ      |
| reference   | T#<tenant>#REFDATA#<kind>#<field>#<value> | REFDATA |
| user        | USER#<username>                      | USER     |
| login guard | LOGIN#<sha256 of username>           | LOGIN    |
| settlement  | T#<tenant>#BATCH#<provider>#<date>   | BATCH, PART#<first payment> |
| CRM.COM financial transaction | T#<tenant>#CRMTXN#<id> | CANCELLATION |

GSI1 (the payments settlement looks for; keys only, sparse): a RECEIVED or SUCCEEDED payment at
GSI1PK = T#<tenant>#LIVE, GSI1SK = <created at>#<payment>, the same entry from its reservation until it is settled (its
own request never moves it); a PROCESSING or PENDING one at GSI1PK = T#<tenant>#STATE#<state>, GSI1SK = <when it
entered the state>#<payment>; any other payment is not in it.
GSI2 (payments by account; keys only): GSI2PK = T#<tenant>#ACCT#<account>, GSI2SK = PAY#<created at>#<payment>.
"""

from __future__ import annotations

import hashlib

Key = dict[str, dict[str, str]]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _key(pk: str, sk: str) -> Key:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def credential(scheme: str, secret: str) -> Key:
    return _key(f"CRED#{scheme}#{digest(secret)}", "CRED")


def tenant(tenant_id: str) -> Key:
    return _key(f"T#{tenant_id}", "TENANT")


def account(tenant_id: str, account_id: str) -> Key:
    return _key(f"T#{tenant_id}#ACCT#{account_id}", "ACCOUNT")


def account_ref(tenant_id: str, name: str, value: str) -> Key:
    return _key(f"T#{tenant_id}#REF#{name}#{value}", "REF")


def receivable(tenant_id: str, receivable_id: str) -> Key:
    return _key(f"T#{tenant_id}#RCV#{receivable_id}", "RCV")


def payment(tenant_id: str, payment_id: str) -> Key:
    return _key(f"T#{tenant_id}#PAY#{payment_id}", "PAYMENT")


def idempotency(tenant_id: str, operation: str, key: str) -> Key:
    # Hashed: a client's key is up to 255 characters of anything, and must not be readable in the table.
    return _key(f"T#{tenant_id}#IDEM#{operation}#{digest(key)}", "IDEM")


TENANTS = "TENANTS"


def payment_alias(tenant_id: str, name: str, value: str) -> Key:
    return _key(f"T#{tenant_id}#PAYREF#{name}#{value}", "PAYREF")


def sequence(tenant_id: str, name: str) -> Key:
    return _key(f"T#{tenant_id}#SEQ#{name}", "SEQ")


def reference(tenant_id: str, kind: str, field: str, value: str) -> Key:
    return _key(f"T#{tenant_id}#REFDATA#{kind}#{field}#{value}", "REFDATA")


def crm_cancellation(tenant_id: str, transaction_id: str) -> Key:
    # A CRM.COM payment cancellation: a financial transaction of its own, beside the payment it cancels.
    return _key(f"T#{tenant_id}#CRMTXN#{transaction_id}", "CANCELLATION")


def user(username: str) -> Key:
    # A user, like a credential, names its tenant: a login has no tenant to start from.
    return _key(f"USER#{username}", "USER")


def login_guard(username: str) -> Key:
    # Hashed: the usernames of failed logins are anyone's guesses (a password typed in the wrong box, a card number).
    return _key(f"LOGIN#{digest(username)}", "LOGIN")


def settlement_batch(tenant_id: str, provider: str, business_date: str) -> Key:
    return _key(f"T#{tenant_id}#BATCH#{provider}#{business_date}", "BATCH")


def payments_by_state(tenant_id: str, state: str) -> str:
    return f"T#{tenant_id}#STATE#{state}"


def live_payments(tenant_id: str) -> str:
    return f"T#{tenant_id}#LIVE"


def payments_by_account(tenant_id: str, account_id: str) -> str:
    return f"T#{tenant_id}#ACCT#{account_id}"


def as_tuple(key: Key) -> tuple[str, str]:
    return key["PK"]["S"], key["SK"]["S"]
