"""JSON text exactly as :func:`json.dumps` writes it, with the encoder made once.

:func:`json.dumps` with any non-default argument (``ensure_ascii=False``,
``separators=…``) builds a new encoder on every call; for the records stage,
which encodes seven small documents per record for hundreds of thousands of
records, that set-up is about half the cost. The encoders here are made once
(CPython's C encoder, without the circular-reference check: a record is a
tree) and give byte-for-byte the text :func:`json.dumps` gives with the same
arguments — sidecar checksums and saved payloads do not change.

Examples
--------
>>> import json
>>> doc = {"title": "Forêt de Soignes", "lat": 50.93, "tags": ["a", None]}
>>> dumps(doc) == json.dumps(doc, ensure_ascii=False)
True
>>> dumps_compact(doc) == json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
True
>>> dumps_ascii(doc) == json.dumps(doc)
True
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as _encoder
from typing import Any

__all__ = ["dumps", "dumps_ascii", "dumps_compact"]


def _make(ensure_ascii: bool, item_sep: str, key_sep: str) -> Callable[[Any], str]:
    """An encoder with :func:`json.dumps`'s defaults except these three settings."""
    reference = json.JSONEncoder(
        ensure_ascii=ensure_ascii, separators=(item_sep, key_sep), check_circular=False
    )
    c_make = getattr(_encoder, "c_make_encoder", None)
    if c_make is None:  # an interpreter without the C accelerator
        return reference.encode
    strings = _encoder.encode_basestring_ascii if ensure_ascii else _encoder.encode_basestring
    # markers=None: no circular check; indent None, sort_keys/skipkeys False, allow_nan True
    make = c_make(None, reference.default, strings, None, key_sep, item_sep, False, False, True)

    def encode(value: Any) -> str:
        if isinstance(value, str):
            return strings(value)
        return "".join(make(value, 0))

    return encode


#: ``json.dumps(value, ensure_ascii=False)``.
dumps = _make(False, ", ", ": ")
#: ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``.
dumps_compact = _make(False, ",", ":")
#: ``json.dumps(value)``.
dumps_ascii = _make(True, ", ", ": ")
