"""Operations every provider shares: each runs the ledger's decision between the store's reads and writes."""
