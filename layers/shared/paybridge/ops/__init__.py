"""Operators' tools (issue 21): find, follow and fix any payment, from the command line (`python -m paybridge.ops`)
and from the console (`/ops/`), over the same operations (service.py) — docs/architecture.md, "Operating"."""
