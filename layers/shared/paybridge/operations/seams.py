"""Named points between a payment's steps where tests inject a crash ("the Lambda died here").

Production never sets a hook: `reach` is a dictionary lookup.
"""

from __future__ import annotations

from collections.abc import Callable

AFTER_RESERVE = "after_reserve"
AFTER_GATEWAY = "after_gateway"
BEFORE_COMPLETE = "before_complete"

hooks: dict[str, Callable[[], None]] = {}


def reach(name: str) -> None:
    hook = hooks.get(name)
    if hook is not None:
        hook()
