"""Bounded decoding: every Content-Encoding we offer, and the ways it goes wrong."""

from __future__ import annotations

import gzip
import zlib

import pytest

from pipeline.errors import FetchError
from pipeline.fetch.compression import BoundedDecoder, gunzip

TEXT = b"<p>The council met on Tuesday.</p>" * 50


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(("encoding", "encoded"), [
    (None, TEXT),
    ("identity", TEXT),
    ("gzip", gzip.compress(TEXT)),
    ("x-gzip", gzip.compress(TEXT)),
    ("deflate", zlib.compress(TEXT)),
    ("deflate", raw_deflate(TEXT)),  # what some servers send as "deflate"
], ids=["none", "identity", "gzip", "x-gzip", "deflate-zlib", "deflate-raw"])
def test_decodes_in_small_pieces(encoding, encoded):
    decoder = BoundedDecoder(encoding, limit=len(TEXT))

    out = b"".join(decoder.feed(encoded[i:i + 7]) for i in range(0, len(encoded), 7))
    decoder.finish()

    assert out == TEXT


def test_one_byte_over_the_limit_is_too_large():
    decoder = BoundedDecoder("gzip", limit=len(TEXT) - 1)

    with pytest.raises(FetchError) as caught:
        decoder.feed(gzip.compress(TEXT))
    assert caught.value.outcome == "too_large"


@pytest.mark.parametrize(("encoding", "data"), [
    ("br", b""),
    ("gzip", b"\x1f\x8bnot really gzip"),
])
def test_unsupported_or_corrupt_encoding_is_a_decode_error(encoding, data):
    with pytest.raises(FetchError) as caught:
        BoundedDecoder(encoding, limit=1000).feed(data)
    assert caught.value.outcome == "decode_error"


def test_truncated_gzip_is_a_decode_error():
    with pytest.raises(FetchError) as caught:
        gunzip(gzip.compress(TEXT)[:-20], limit=10 * len(TEXT))
    assert caught.value.outcome == "decode_error"
