"""Settlement at 1k, 10k and 100k payments in the moto server: DynamoDB calls, write units and wall time, showing
linear growth and no Scan (issue 3). Settlement itself is issue 4, being built: until then the table says so.

To fill it: load N payments into the ledger (bench.stack.reset_ledger gives a fresh one), attach a
bench.counting.Meter to paybridge.store.client.dynamodb(), run the settlement handler once per N, and return one
SettlementRow each, with the Tally's calls and all_write_units, and its wall time and Scans (which must stay 0) in
the note.
"""

from __future__ import annotations

from dataclasses import dataclass

SIZES = (1_000, 10_000, 100_000)


@dataclass(frozen=True)
class SettlementRow:
    """One line of the table: calls go in the trips column, write units in WU's, the rest (wall time, Scans,
    growth per payment) in the note."""

    label: str  # "settlement, 10k payments"
    calls: int | None = None
    write_units: int | None = None
    note: str = ""


def settlement_rows(endpoint: str) -> list[SettlementRow]:
    """Placeholder until issue 4 lands: no figures are made up."""
    del endpoint
    return [SettlementRow("settlement: not built yet (issue 4)")]
