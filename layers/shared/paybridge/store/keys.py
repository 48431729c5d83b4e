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
| reversal    | T#<tenant>#PAY#<payment>             | REV#<sha256 of the gateway event's id> |
| sandbox charge | SANDBOX#<sandbox reference>       | CHARGE   |
| sandbox refund | SANDBOX#REFUND#<refund id>        | REFUND   |

The two sandbox items are the sandbox gateway's own records (store/sandbox.py), not the ledger's: what a stand-in for
a card gateway charged and refunded, kept where every container sees them. They name no tenant (the other exception
to the first line), as a gateway's records are keyed by its idempotency keys (the payment id, from which the
reference `sbx_...` is derived; the refund id), and no ledger read addresses them.

GSI1 (the payments settlement and operators look for; keys only, sparse): a RECEIVED or SUCCEEDED payment at
GSI1PK = T#<tenant>#LIVE#<shard>, GSI1SK = <created at>#<payment>, the same entry from its reservation until it is
settled (its own request never moves it); a PROCESSING, PENDING or FAILED one at
GSI1PK = T#<tenant>#STATE#<state>#<shard>, GSI1SK = <when it entered the state>#<payment> (FAILED only for operators:
paybridge.ops lists them); any other payment is not in it. A payment whose money came back before it was settled
(REFUNDED, DISPUTED, REVERSED) keeps its live entry until settlement puts it in a batch. A reversal not yet settled
is at GSI1PK = T#<tenant>#REVERSALS, GSI1SK = <when it was applied>#<payment>#<event digest>.
Shards (issue 22, "A tenant's ceiling" in docs/benchmarks.md): one GSI1 partition takes 1,000 write units a second,
so a tenant's payments are spread over LIVE_SHARDS partitions of each kind, the payment's shard a stable hash of its
id (`shard`), and every reader reads every shard, merged by sort key, as one partition. Entries written before
sharding are at the same keys without the shard (T#<tenant>#LIVE, T#<tenant>#STATE#<state>): read as one shard more.
LIVE_SHARDS may be raised (an entry stays in the shard it was written to, which the readers still read) and never
lowered while entries are in the shards it would drop. Reversals are not sharded: money comes back for a small
fraction of payments.
GSI2 (payments by account; keys only): GSI2PK = T#<tenant>#ACCT#<account>, GSI2SK = PAY#<created at>#<payment>.
"""

from __future__ import annotations

import hashlib
import zlib

Key = dict[str, dict[str, str]]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _key(pk: str, sk: str) -> Key:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def credential(scheme: str, secret: str) -> Key:
    return _key(f"CRED#{scheme}#{digest(secret)}", "CRED")


def tenant(tenant_id: str) -> Key:
    return _key(f"T#{tenant_id}", "TENANT")


def tenant_credentials(tenant_id: str) -> Key:
    # Beside the tenant: the keys of the credentials that carry a copy of it (catalogue.py), rewritten with it.
    return _key(f"T#{tenant_id}", "CREDENTIALS")


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
    return record(tenant_id, record_name(operation, key))


def record_name(operation: str, key: str) -> str:
    """What names an idempotency record within its tenant: the operation and the key's digest. A payment keeps the
    names of the records its request took (an operator reads the answers the client got: paybridge.ops)."""
    return f"{operation}#{digest(key)}"


def record(tenant_id: str, name: str) -> Key:
    return _key(f"T#{tenant_id}#IDEM#{name}", "IDEM")


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


def sandbox_charge(reference: str) -> Key:
    # The sandbox gateway's record of a charge, by the reference it answered (derived from the payment id).
    return _key(f"SANDBOX#{reference}", "CHARGE")


def sandbox_refund(refund_id: str) -> Key:
    # The sandbox gateway's record of a refund, by the refund's idempotency key.
    return _key(f"SANDBOX#REFUND#{refund_id}", "REFUND")


def user(username: str) -> Key:
    # A user, like a credential, names its tenant: a login has no tenant to start from.
    return _key(f"USER#{username}", "USER")


def login_guard(username: str) -> Key:
    # Hashed: the usernames of failed logins are anyone's guesses (a password typed in the wrong box, a card number).
    return _key(f"LOGIN#{digest(username)}", "LOGIN")


def reversal(tenant_id: str, payment_id: str, event_id: str) -> Key:
    # Beside its payment, one per gateway event: the event's id is the gateway's (hashed: bounded and opaque).
    return _key(f"T#{tenant_id}#PAY#{payment_id}", f"REV#{digest(event_id)}")


def unsettled_reversals(tenant_id: str) -> str:
    return f"T#{tenant_id}#REVERSALS"


def settlement_batch(tenant_id: str, provider: str, business_date: str) -> Key:
    return _key(f"T#{tenant_id}#BATCH#{provider}#{business_date}", "BATCH")


def shard(payment_id: str, shards: int) -> int:
    """The payment's shard of its tenant's GSI1 partitions: CRC-32 of its id (the same in every process and release,
    unlike hash()), modulo `shards`."""
    return zlib.crc32(payment_id.encode("utf-8")) % shards


def payments_by_state(tenant_id: str, state: str, shard: int | None) -> str:
    # shard None: the partition written before sharding (issue 22), still read.
    return f"T#{tenant_id}#STATE#{state}" + ("" if shard is None else f"#{shard}")


def live_payments(tenant_id: str, shard: int | None) -> str:
    # shard None: the partition written before sharding (issue 22), still read.
    return f"T#{tenant_id}#LIVE" + ("" if shard is None else f"#{shard}")


def payments_by_account(tenant_id: str, account_id: str) -> str:
    return f"T#{tenant_id}#ACCT#{account_id}"


def as_tuple(key: Key) -> tuple[str, str]:
    return key["PK"]["S"], key["SK"]["S"]
