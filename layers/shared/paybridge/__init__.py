"""paybridge: one payment ledger, five providers' payment APIs."""
