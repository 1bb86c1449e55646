"""Decompression that never produces more than a cap, so a small archive bomb stays small.

httpx's own decoders inflate each network chunk in one call: one 64 KiB chunk of zeros can
become 64 MiB before the caller sees a byte. Here every call is told how much output it may
produce (zlib's `max_length`, brotli's `output_buffer_limit`), so memory stays bounded by the
cap whatever the ratio.
"""

from __future__ import annotations

import zlib

from pipeline.errors import FetchError

try:  # brotli >= 1.2 bounds its output per call; older versions cannot be capped, so no "br"
    import brotli

    _HAS_BROTLI = "output_buffer_limit" in (brotli.Decompressor.process.__doc__ or "")
except ImportError:  # pragma: no cover - brotli is pinned in requirements.lock
    _HAS_BROTLI = False

GZIP_MAGIC = b"\x1f\x8b"
_BROTLI_STEP = 64 * 1024
# What BoundedDecoder can undo; zstd is not offered.
ACCEPT_ENCODING = "gzip, deflate, br" if _HAS_BROTLI else "gzip, deflate"

_WBITS = {
    "gzip": 16 + zlib.MAX_WBITS,
    "x-gzip": 16 + zlib.MAX_WBITS,
    # "deflate" should be zlib-wrapped, but some servers send it raw: 32+ auto-detects the
    # zlib or gzip header, and the raw case is retried below.
    "deflate": 32 + zlib.MAX_WBITS,
}


class BoundedDecoder:
    """Undo one Content-Encoding incrementally; raise FetchError("too_large") past `limit`."""

    def __init__(self, encoding: str | None, limit: int, *, what: str = "body") -> None:
        name = (encoding or "").strip().lower() or "identity"
        supported = name in _WBITS or name == "identity" or (name == "br" and _HAS_BROTLI)
        if not supported:
            raise FetchError(f"{what}: unsupported Content-Encoding {encoding!r}", "decode_error")
        self._encoding = name
        self._inflater = zlib.decompressobj(_WBITS[name]) if name in _WBITS else None
        self._brotli = brotli.Decompressor() if name == "br" else None
        self._limit = limit
        self._what = what
        self._started = False
        self.produced = 0

    def feed(self, data: bytes) -> bytes:
        room = self._limit - self.produced
        if self._brotli is not None:
            out = self._unbrotli(data, room)
        elif self._inflater is None:
            out = data[: room + 1]
        else:
            out = self._inflate(data, room)
        self._started = True
        self.produced += len(out)
        if self.produced > self._limit:
            raise FetchError(
                f"{self._what} is larger than the {self._limit} byte limit", "too_large"
            )
        return out

    def _inflate(self, data: bytes, room: int) -> bytes:
        assert self._inflater is not None
        try:
            # room + 1: one byte over the cap is enough to know it is too large, and
            # max_length=0 would mean "unlimited".
            return self._inflater.decompress(data, room + 1)
        except zlib.error as exc:
            if self._encoding == "deflate" and not self._started:
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                self._encoding = "raw deflate"
                return self._inflate(data, room)
            raise FetchError(
                f"{self._what}: corrupt {self._encoding} data: {exc}", "decode_error"
            ) from exc

    def _unbrotli(self, data: bytes, room: int) -> bytes:
        assert self._brotli is not None
        # brotli's limit is where its buffer stops growing, not an exact size: asked for a
        # large output it overshoots by up to half. Small steps keep the overshoot to one step.
        # A step that filled its buffer may have left output behind, which empty calls drain.
        step = min(_BROTLI_STEP, room + 1)
        try:
            piece = self._brotli.process(data, output_buffer_limit=step)
            pieces, produced = [piece], len(piece)
            while len(piece) >= step and produced <= room:
                piece = self._brotli.process(b"", output_buffer_limit=step)
                pieces.append(piece)
                produced += len(piece)
        except brotli.error as exc:
            raise FetchError(f"{self._what}: corrupt br data: {exc}", "decode_error") from exc
        return b"".join(pieces)

    def finish(self) -> None:
        """Raise FetchError("decode_error") if the compressed stream was cut short."""
        if not self._started:
            return
        if (
            self._inflater is not None
            and not self._inflater.eof
            or (self._brotli is not None and not self._brotli.is_finished())
        ):
            raise FetchError(f"{self._what}: truncated {self._encoding} data", "decode_error")


def gunzip(data: bytes, limit: int, *, what: str = "gzip file") -> bytes:
    """Decompress a whole gzip file of at most `limit` bytes uncompressed."""
    decoder = BoundedDecoder("gzip", limit, what=what)
    out = decoder.feed(data)
    decoder.finish()
    return out
