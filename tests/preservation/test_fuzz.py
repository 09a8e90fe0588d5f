"""Fuzzing the structural validators (hypothesis): no exception escapes, memory stays bounded.

The raw validator functions are called (not :func:`check_structure`, which would
turn an escaping exception into an ``STR-01`` finding and hide the bug). Each
example is a valid generated file mutated by byte flips, overwritten 32-bit
values (offsets and counts become huge or wrong), truncation, insertion and
duplication — or random bytes behind the format's signature. Peak memory is
measured with ``tracemalloc``: it must stay within a small multiple of the
file's size however large the counts the file declares.
"""

from __future__ import annotations

import struct
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specpub.preservation._buffer import Buffer
from specpub.preservation._jp2 import validate_jp2
from specpub.preservation._jpeg import validate_jpeg
from specpub.preservation._png import validate_png
from specpub.preservation._tiff import validate_tiff
from specpub.preservation.structure import Context

from . import builders as b
from . import jp2build as j

SEEDS = {
    "tiff": [
        b.tiff((16, 12, 3)),
        b.build_tiff(),
        b.build_tiff(bo=">"),
        b.tiff((16, 16), "uint8", tile=(16, 16), icc=None),
    ],
    "bigtiff": [b.tiff((8, 8, 3), bigtiff=True)],
    "jpeg": [b.jpeg(size=(24, 16)), b.jpeg(size=(16, 16), progressive=True)],
    "png": [b.png(size=(8, 6)), b.png(mode="P", size=(8, 8)), b.png(mode="I;16", size=(5, 5))],
    "jp2": [j.jp2(16)],
}
VALIDATORS = {
    "tiff": validate_tiff,
    "bigtiff": validate_tiff,
    "jpeg": validate_jpeg,
    "png": validate_png,
    "jp2": validate_jp2,
}
HEADS = {
    "tiff": b"II*\x00",
    "bigtiff": b"II+\x00\x08\x00\x00\x00",
    "jpeg": b"\xff\xd8\xff",
    "png": b"\x89PNG\r\n\x1a\n",
    "jp2": b"\x00\x00\x00\x0cjP  \r\n\x87\n",
}

_mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 1 << 20), st.integers(1, 255)),
    st.tuples(
        st.just("u32"),
        st.integers(0, 1 << 20),
        st.sampled_from([0, 1, 7, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 24]),
    ),
    st.tuples(st.just("cut"), st.integers(0, 1 << 20), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 1 << 20), st.integers(0, 255)),
    st.tuples(st.just("dup"), st.integers(0, 1 << 20), st.integers(1, 64)),
)


def _mutate(data: bytes, mutations) -> bytes:
    out = bytearray(data)
    for kind, pos, value in mutations:
        if not out:
            break
        pos %= len(out)
        if kind == "flip":
            out[pos] ^= value
        elif kind == "u32":
            out[pos : pos + 4] = struct.pack(">I" if pos % 2 else "<I", value)
        elif kind == "cut":
            del out[pos:]
        elif kind == "insert":
            out[pos:pos] = bytes([value]) * (value % 7 + 1)
        elif kind == "dup":
            out[pos:pos] = out[pos : pos + value]
    return bytes(out)


def _run(fmt: str, data: bytes, decode: bool = False) -> Context:
    ctx = Context(fmt, name=f"fuzz.{fmt}", decode=decode)
    tracemalloc.start()
    try:
        VALIDATORS[fmt](Buffer(data), ctx)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # bounded memory: what the file holds (a few copies at most) plus a fixed allowance
    assert peak < 8 * len(data) + (24 << 20), f"{peak} bytes for a {len(data)}-byte file"
    return ctx


FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("fmt", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_mutated_files_never_raise(fmt, data):
    seed = data.draw(st.sampled_from(SEEDS[fmt]))
    mutations = data.draw(st.lists(_mutation, min_size=1, max_size=6))
    _run(fmt, _mutate(seed, mutations))


@pytest.mark.parametrize("fmt", sorted(HEADS))
@FUZZ
@given(tail=st.binary(max_size=2048))
def test_random_bytes_behind_the_signature_never_raise(fmt, tail):
    _run(fmt, HEADS[fmt] + tail)


@pytest.mark.parametrize("fmt", ["tiff", "jpeg", "png"])
@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_mutated_files_decode_without_raising(fmt, data):
    seed = data.draw(st.sampled_from(SEEDS[fmt]))
    mutations = data.draw(st.lists(_mutation, min_size=1, max_size=3))
    ctx = Context(fmt, decode=True)
    VALIDATORS[fmt](Buffer(_mutate(seed, mutations)), ctx)
