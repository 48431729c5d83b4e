"""What the store writes outside a payment's transactions: the catalogue a payment is made against (credentials,
tenants, accounts and their references, receivables, a provider's reference data, login users) and the per-tenant
sequences that number payments. The demo data, tests and administration write the catalogue; logins write tokens;
requests take numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from paybridge.config import settings
from paybridge.ledger import Account, Receivable, Tenant
from paybridge.store import keys
from paybridge.store.errors import UsernameTaken
from paybridge.store.items import dump
from paybridge.store.table import Table


class CatalogueWrites(Table):
    """The catalogue's writes, each an item put whole, and the sequences' blocks of numbers this container holds."""

    def __init__(self, table_name: str) -> None:
        super().__init__(table_name)
        # (tenant, sequence) -> [next, last] of the block of numbers this container holds (next_number).
        self._blocks: dict[tuple[str, str], list[int]] = {}

    # ---- credentials and users ---------------------------------------------------------------------------

    def put_credential(self, scheme: str, secret: str, tenant_id: str, label: str = "") -> None:
        self.put_credential_item(scheme, secret, {"tenant_id": tenant_id, "label": label})

    def put_credential_item(self, scheme: str, secret: str, attributes: Mapping[str, Any]) -> None:
        """A credential. One that lasts (an API key, not a login's token) carries a copy of its tenant, so that a
        request's first look-up is one read, not two (issue 22); the copy is listed beside the tenant and rewritten
        whenever the tenant is (put_tenant). A token, short-lived and made at every login, carries none."""
        pk, sk = keys.as_tuple(keys.credential(scheme, secret))
        item = {"PK": pk, "SK": sk, "scheme": scheme, **attributes}
        tenant_id = attributes.get("tenant_id")
        if not tenant_id or "expires_at" in attributes:
            self._put(item)
            return
        self._update(
            keys.tenant_credentials(str(tenant_id)),
            UpdateExpression="ADD #names :name",
            ExpressionAttributeNames={"#names": "names"},
            ExpressionAttributeValues={":name": {"SS": [pk]}},
        )
        copied = self._get(keys.tenant(str(tenant_id)))
        self._put({**item, "tenant": _tenant_copy(copied)} if copied else item)

    def put_user(self, username: str, tenant_id: str, user_id: str, password: Mapping[str, str]) -> None:
        """A login user. Usernames are global (a login names no tenant): one of another tenant is never replaced."""
        pk, sk = keys.as_tuple(keys.user(username))
        item = {"PK": pk, "SK": sk, "tenant_id": tenant_id, "user_id": user_id, "password": dict(password)}
        try:
            self._put(
                item,
                ConditionExpression="attribute_not_exists(PK) OR tenant_id = :tenant",
                ExpressionAttributeValues={":tenant": {"S": tenant_id}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise UsernameTaken(username) from None

    # ---- tenants, accounts, receivables, reference data --------------------------------------------------

    def put_tenant(self, tenant: Tenant) -> None:
        """The tenant, then the copy every lasting credential of it carries (put_credential_item). The catalogue is
        an administrator's to write, one change at a time: a credential put while its tenant changes may keep the
        copy from before (put it again)."""
        self._put({"PK": keys.TENANTS, "SK": tenant.tenant_id})
        pk, sk = keys.as_tuple(keys.tenant(tenant.tenant_id))
        item = {"PK": pk, "SK": sk, "name": tenant.name, "currency": tenant.currency, "settings": dict(tenant.settings)}
        self._put(item)
        listed = self._get(keys.tenant_credentials(tenant.tenant_id))
        copy = dump({"tenant": _tenant_copy(item)})
        for name in sorted((listed or {}).get("names", ())):
            try:
                self._update(
                    {"PK": {"S": name}, "SK": {"S": "CRED"}},
                    UpdateExpression="SET #tenant = :tenant",
                    ConditionExpression="attribute_exists(PK)",
                    ExpressionAttributeNames={"#tenant": "tenant"},
                    ExpressionAttributeValues={":tenant": copy["tenant"]},
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise  # a credential deleted since is left deleted

    def put_account(self, account: Account) -> None:
        pk, sk = keys.as_tuple(keys.account(account.tenant_id, account.account_id))
        self._put(
            {
                "PK": pk,
                "SK": sk,
                "name": account.name,
                "status": account.status,
                "references": dict(account.references),
            }
        )
        for name, value in account.references.items():
            ref_pk, ref_sk = keys.as_tuple(keys.account_ref(account.tenant_id, name, value))
            # The account's status travels with each reference, so a payment's one read sees it.
            self._put({"PK": ref_pk, "SK": ref_sk, "account_id": account.account_id, "status": account.status})

    def put_receivable(self, receivable: Receivable) -> None:
        pk, sk = keys.as_tuple(keys.receivable(receivable.tenant_id, receivable.receivable_id))
        self._put(
            {
                "PK": pk,
                "SK": sk,
                "account_id": receivable.account_id,
                "kind": receivable.kind.value,
                "total": receivable.total,
                "outstanding": receivable.outstanding,
                "currency": receivable.currency,
                "status": receivable.status,
                "version": receivable.version,
            }
        )

    def put_reference(self, tenant_id: str, kind: str, data: Mapping[str, Any], lookups: Mapping[str, str]) -> None:
        """Reference data, findable by each of `lookups` (field → value): each is its own item holding the data."""
        for field_name, value in lookups.items():
            pk, sk = keys.as_tuple(keys.reference(tenant_id, kind, field_name, value))
            self._put({"PK": pk, "SK": sk, "data": dict(data)})

    # ---- sequences ---------------------------------------------------------------------------------------

    def next_number(self, tenant_id: str, sequence: str) -> int:
        """The next number of a per-tenant sequence (CRM.COM payment numbers, Emersion receipts). The counter in the
        table is atomic, and each container takes a block of `sequence_block` numbers from it at a time (a database
        sequence's cache): two requests never get the same number, a container's numbers increase, and numbers
        left unused when a container ends are skipped, as is one taken by a request that then fails."""
        block = self._blocks.get((tenant_id, sequence))
        if block is None or block[0] > block[1]:
            size = settings().sequence_block
            answer = self._update(
                keys.sequence(tenant_id, sequence),
                UpdateExpression="ADD #n :block",
                ExpressionAttributeNames={"#n": "n"},
                ExpressionAttributeValues={":block": {"N": str(size)}},
                ReturnValues="UPDATED_NEW",
            )
            last = int(answer["Attributes"]["n"]["N"])
            block = [last - size + 1, last]
            self._blocks[(tenant_id, sequence)] = block
        number = block[0]
        block[0] += 1
        return number

    def set_sequence(self, tenant_id: str, sequence: str, value: int) -> None:
        """Start a sequence after `value` (demo data; a tenant moving its numbering over)."""
        pk, sk = keys.as_tuple(keys.sequence(tenant_id, sequence))
        self._put({"PK": pk, "SK": sk, "n": value})
        self._blocks.pop((tenant_id, sequence), None)


def _tenant_copy(item: Mapping[str, Any]) -> dict[str, Any]:
    """What a credential carries of its tenant: what `Tenant` is made of."""
    return {"name": item["name"], "currency": item["currency"], "settings": dict(item.get("settings", {}))}
