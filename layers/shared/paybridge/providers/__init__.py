"""One package per provider: its models, its mapping to ledger commands, its error catalogue."""
