"""Bounded decoding: every Content-Encoding we offer, and the ways it goes wrong."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

from pipeline.errors import FetchError
from pipeline.fetch.compression import ACCEPT_ENCODING, BoundedDecoder, gunzip

TEXT = b"<p>The council met on Tuesday.</p>" * 50


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        (None, TEXT),
        ("identity", TEXT),
        ("gzip", gzip.compress(TEXT)),
        ("x-gzip", gzip.compress(TEXT)),
        ("deflate", zlib.compress(TEXT)),
        ("deflate", raw_deflate(TEXT)),  # what some servers send as "deflate"
        ("br", brotli.compress(TEXT)),
    ],
    ids=["none", "identity", "gzip", "x-gzip", "deflate-zlib", "deflate-raw", "br"],
)
def test_decodes_in_small_pieces(encoding, encoded):
    decoder = BoundedDecoder(encoding, limit=len(TEXT))

    out = b"".join(decoder.feed(encoded[i : i + 7]) for i in range(0, len(encoded), 7))
    decoder.finish()

    assert out == TEXT


def test_brotli_is_offered_because_it_can_be_capped():
    assert ACCEPT_ENCODING == "gzip, deflate, br"


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)],
)
def test_one_byte_over_the_limit_is_too_large(encoding, encode):
    decoder = BoundedDecoder(encoding, limit=len(TEXT) - 1)

    with pytest.raises(FetchError) as caught:
        decoder.feed(encode(TEXT))
    assert caught.value.outcome == "too_large"


def test_brotli_bomb_output_stays_at_the_cap():
    packer = brotli.Compressor(quality=1)
    bomb = b"".join(packer.process(bytes(1 << 20)) for _ in range(64)) + packer.finish()
    decoder = BoundedDecoder("br", limit=100_000)

    with pytest.raises(FetchError) as caught:
        decoder.feed(bomb)  # 64 MiB of zeros in ~12 KB
    assert caught.value.outcome == "too_large"
    assert decoder.produced < 100_000 + 128 * 1024  # one decoding step past the cap, not 64 MiB


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("zstd", b""),
        ("gzip", b"\x1f\x8bnot really gzip"),
        ("br", b"\xff\xff not brotli"),
    ],
)
def test_unsupported_or_corrupt_encoding_is_a_decode_error(encoding, data):
    with pytest.raises(FetchError) as caught:
        BoundedDecoder(encoding, limit=1000).feed(data)
    assert caught.value.outcome == "decode_error"


def test_truncated_gzip_is_a_decode_error():
    with pytest.raises(FetchError) as caught:
        gunzip(gzip.compress(TEXT)[:-20], limit=10 * len(TEXT))
    assert caught.value.outcome == "decode_error"


def test_truncated_brotli_is_a_decode_error():
    decoder = BoundedDecoder("br", limit=10 * len(TEXT))
    decoder.feed(brotli.compress(TEXT)[:-5])

    with pytest.raises(FetchError) as caught:
        decoder.finish()
    assert caught.value.outcome == "decode_error"
