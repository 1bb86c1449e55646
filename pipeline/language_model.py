"""The language detector's model (py3langid), read from an uncompressed copy when there is one.

py3langid ships its model as an LZMA-compressed npz (4.5 MB, 68 MB once decompressed), and
decompressing it costs about half a second of CPU in every process that detects a language:
each `newsflow enrich`, each enricher and each ingest task, as much as the rest of the start of
`newsflow enrich` outside spaCy. So the first load also writes the model's arrays, as they are
in py3langid's npz, uncompressed, to a directory of their own under the user's cache directory
(`$XDG_CACHE_HOME/newsflow`, `~/.cache/newsflow` by default); later processes map those files
(about 30 ms instead of 550). The result is the same model: the same arrays, given to
py3langid's own `LanguageIdentifier`, as its `from_model_file` would (a unit test compares the
two on texts of several languages).

The copy's name holds py3langid's version and the model file's size and modification time, so
an upgrade makes a new one. It is written to a temporary directory then renamed into place, so
processes starting together never read half a copy. A cache that cannot be written or read is
left alone, and the model is loaded as py3langid loads it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from array import array
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

# The members of py3langid's model npz, in the order its loader returns them.
_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")
_TYPECODES = {2: "H", 4: "I", 8: "L"}  # unsigned array typecodes by item size, as py3langid's


def default_cache_dir() -> Path | None:
    """`$XDG_CACHE_HOME/newsflow`, or `~/.cache/newsflow`; None without a home directory."""
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "newsflow"
    try:
        return Path.home() / ".cache" / "newsflow"
    except RuntimeError:
        return None


def load_identifier(cache_dir: Path | None) -> Any:
    """py3langid's LanguageIdentifier with its bundled model, normalized probabilities on."""
    from py3langid import __version__
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    model_file = MODEL_DIR / MODEL_FILE
    if cache_dir is not None:
        stat = model_file.stat()
        copy = cache_dir / f"py3langid-{__version__}-{stat.st_size}-{stat.st_mtime_ns}"
        try:
            if not copy.is_dir():
                _write_copy(model_file, copy)
            return _from_copy(copy, LanguageIdentifier)
        except (OSError, ValueError, KeyError, TypeError) as exc:  # another py3langid layout
            log.debug("language model copy under %s not used: %s", cache_dir, exc)
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _write_copy(model_file: Path, copy: Path) -> None:
    import lzma

    import numpy as np

    copy.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{copy.name}.", dir=copy.parent))
    try:
        # Unpacked to a file first, as py3langid does: the npz is a zip, read by seeking.
        unpacked = building / "model.npz"
        with lzma.open(model_file) as packed, unpacked.open("wb") as out:
            shutil.copyfileobj(packed, out, length=1 << 20)
        with np.load(unpacked, allow_pickle=False) as data:
            missing = set(_ARRAYS).difference(data.files)
            if missing:
                raise ValueError(f"{model_file} has no {sorted(missing)}")
            for name in _ARRAYS:
                np.save(building / f"{name}.npy", data[name], allow_pickle=False)
        unpacked.unlink()
        try:
            building.rename(copy)
        except OSError:
            if not copy.is_dir():  # not another process's copy that got there first
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _from_copy(copy: Path, identifier_class: Any) -> Any:
    import numpy as np

    def load(name: str, mapped: bool = False) -> Any:
        return np.load(copy / f"{name}.npy", mmap_mode="r" if mapped else None)

    def as_array(values: Any) -> array:
        # What py3langid's loader makes of its integer arrays: the stdlib array the DFA walk
        # indexes one byte at a time (faster than indexing numpy).
        out = array(_TYPECODES[values.dtype.itemsize])
        out.frombytes(np.ascontiguousarray(values).data.cast("B"))
        return out

    def mapped_items(values: Any) -> memoryview:
        # The same integers as `as_array`, indexed as fast (one Python int per item), read
        # from the mapped file: no 39 MB copy at start-up (about 30 ms of CPU), and only the
        # pages a walk touches are read.
        formats: dict[int, Literal["H", "I", "L"]] = {2: "H", 4: "I", 8: "L"}  # as _TYPECODES
        item = formats[values.dtype.itemsize]
        return memoryview(values).cast("B").cast(item)

    identifier = identifier_class(
        np.asarray(load("ptc", mapped=True)),  # 28 MB, of which a text touches a few rows
        load("pc"),
        load("classes").tolist(),
        mapped_items(load("nextmove", mapped=True)),  # 39 MB, the automaton's transitions
        state_items(load("out_feat"), "i"),  # each state's feature, -1 for none
        norm_probs=True,
        tk_row=as_array(load("nextmove_row")),
    )
    rows = load("nextmove_row")
    if len(getattr(identifier, "_rowbase", ())) == len(rows):
        # Each state's row offset (row << 8, as py3langid's list holds it) in one array too.
        identifier._rowbase = state_items(rows.astype(np.int64) << 8, "q")
    return identifier


def state_items(values: Any, item: Literal["i", "q"]) -> memoryview:
    """The integers of a per-state array, indexed as py3langid's lists of them are (one
    Python int per item), but packed: the DFA walk looks up two of them for every byte of a
    text, at states all over the automaton, and a list of int objects scattered over the heap
    costs cache misses an array does not (about a fifth of the detector's time once spaCy has
    run between two detections, as in the enricher)."""
    import numpy as np

    packed: Any = np.ascontiguousarray(values, dtype=np.dtype(item))
    return memoryview(packed).cast("B").cast(item)
