"""Content negotiation: which of a provider's media types a request is in, and which its answer should be in."""

from __future__ import annotations

from collections.abc import Sequence


def media_type(header: str | None) -> str:
    """The bare media type of a Content-Type header, lower case ("" when absent)."""
    return (header or "").split(";", 1)[0].strip().lower()


def _ranges(accept: str) -> list[tuple[float, int, str]]:
    ranges = []
    for position, part in enumerate(accept.split(",")):
        kind, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if kind:
            ranges.append((quality, position, kind.lower()))
    return ranges


def choose(accept: str | None, offered: Sequence[str], default: str) -> str:
    """The offered type the Accept header ranks highest; `default` (the request's own format) when the header is
    absent, a wildcard, or names nothing offered. Ties keep the default, then the header's order."""
    if not accept:
        return default
    best: tuple[float, int, int, str] | None = None
    for quality, position, kind in _ranges(accept):
        if quality <= 0:
            continue
        if kind in ("*/*", "*"):
            candidates = [default]
            specificity = 0
        elif kind.endswith("/*"):
            prefix = kind[:-1]
            candidates = [default] if default.startswith(prefix) else [o for o in offered if o.startswith(prefix)]
            specificity = 1
        else:
            candidates = [o for o in offered if o == kind]
            specificity = 2
        for candidate in candidates[:1]:
            rank = (quality, specificity, -position, candidate)
            if best is None or rank[:3] > best[:3]:
                best = rank
    return best[3] if best else default
