"""JSON encoding for writers whose output carries values as exported.

``orjson`` is fast but refuses integers beyond 64 bits (``2**64`` as a
coordinate) and nesting deeper than 254 levels (a legacy ``raw`` value), both
of which a valid export may hold.  :func:`encode` falls back to msgspec, which
writes any integer and nests as deep as the input decoder accepted; what
neither can write raises :class:`NotJson`, and the writer drops the object with
a reason or names the item in a one-line error.  NaN and infinities become
``null`` in both.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

__all__ = ["encode", "NotJson"]


class NotJson(ValueError):
    """The value cannot be written as JSON."""


def encode(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        pass
    try:
        return msgspec.json.encode(value)
    except RecursionError:
        raise NotJson("nested too deeply for JSON") from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise NotJson(f"not representable in JSON ({exc})") from None
