"""Wire formats. Each codec turns bytes into plain Python values and back; providers validate with pydantic."""


class MalformedDocument(ValueError):
    """A body that cannot be read as the format it claims to be; the message says why, never echoes it."""
