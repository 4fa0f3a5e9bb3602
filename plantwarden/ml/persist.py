"""Saving and loading detectors as versioned files that hold no executable content.

A model file is a numpy ``.npz`` archive (zip) written without pickling: numeric arrays only, plus one
``uint8`` array ``__meta__`` holding UTF-8 JSON::

    {"format": "plantwarden-ml-model", "format_version": 1,
     "kind": "ensemble", "params": {...}, "state": {...},
     "columns": ["L_T1", ...], "version": "<user label>", "created": "2026-...Z",
     "arrays": {"mean": [shape, sha256-of-bytes], ...}, "info": {...}}

Loading opens the archive with ``allow_pickle=False``, refuses other format names and newer format
versions, accepts only float/int/bool arrays, checks each array's shape and SHA-256 against the
metadata (sizes are checked from the array headers before any array is unpacked), rebuilds the detector from the registry in :mod:`plantwarden.ml.models` (unknown kinds are
refused) and re-applies its learned arrays. A saved and reloaded model scores bit-identically.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from plantwarden.ml.models import MODELS, Detector

FORMAT = "plantwarden-ml-model"
FORMAT_VERSION = 1
META = "__meta__"
#: Upper bounds that keep a hostile file from exhausting memory while loading.
MAX_ARRAYS = 512
MAX_ELEMENTS = 50_000_000
MAX_META_BYTES = 4_000_000


class ModelFileError(ValueError):
    """The file is not a model this version can load safely."""


def _digest(a: npt.NDArray[Any]) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def dumps(model: Detector, version: str = "", info: dict[str, Any] | None = None) -> bytes:
    """The model file's bytes (see the module docstring)."""
    if not model.fitted:
        raise ValueError("cannot save an unfitted model")
    arrays = {k: np.ascontiguousarray(v) for k, v in model.arrays().items()}
    if META in arrays:
        raise ValueError(f"array name {META!r} is reserved")
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": model.KIND,
        "params": model.params(),
        "state": model.state(),
        "columns": list(model.columns),
        "version": version,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "arrays": {k: [list(v.shape), str(v.dtype), _digest(v)] for k, v in arrays.items()},
        "info": info or {},
    }
    # json.dumps turns inf (an uncalibrated threshold) into Infinity, which json.loads reads back.
    payload = json.dumps(meta, sort_keys=True).encode()
    buf = io.BytesIO()
    members: dict[str, Any] = {**arrays, META: np.frombuffer(payload, dtype=np.uint8)}
    np.savez_compressed(buf, **members)
    return buf.getvalue()


def save(model: Detector, path: Path | str, version: str = "", info: dict[str, Any] | None = None) -> Path:
    """Write the model to ``path`` (``.npz`` is the conventional suffix) and return the path."""
    p = Path(path)
    p.write_bytes(dumps(model, version, info))
    return p


def read_meta(data: bytes | Path | str) -> dict[str, Any]:
    """The metadata of a model file without rebuilding the model."""
    with _open(data) as npz:
        return _meta(npz)


def _check_sizes(raw: bytes) -> None:
    """Read every member's .npy header (not its data) and refuse files that would unpack too large."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ARRAYS + 1:
                raise ModelFileError("too many arrays in the model file")
            total = 0
            for info in infos:
                if not info.filename.endswith(".npy"):
                    raise ModelFileError(f"unexpected member {info.filename[:80]!r} in the model file")
                with zf.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
                    elif version == (2, 0):
                        shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
                    else:
                        raise ModelFileError(f"unsupported .npy version {version}")
                if dtype.hasobject:
                    raise ModelFileError(f"array {info.filename[:80]!r} holds Python objects")
                total += int(np.prod(shape, dtype=np.int64)) if shape else 1
                if total > MAX_ELEMENTS:
                    raise ModelFileError("model arrays too large")
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"not a model file: {exc}") from None


def _open(data: bytes | Path | str) -> Any:
    raw = data if isinstance(data, bytes) else Path(data).read_bytes()
    _check_sizes(raw)
    try:
        return np.load(io.BytesIO(raw), allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"not a model file: {exc}") from None


def _meta(npz: Any) -> dict[str, Any]:
    if META not in npz.files:
        raise ModelFileError("no metadata in the model file")
    try:
        raw = npz[META]
    except ValueError as exc:
        raise ModelFileError(f"metadata cannot be read safely: {exc}") from None
    if raw.dtype != np.uint8 or raw.ndim != 1 or raw.size > MAX_META_BYTES:
        raise ModelFileError("malformed metadata")
    try:
        meta = json.loads(raw.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"metadata is not JSON: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError("not a plantwarden model file")
    fv = meta.get("format_version")
    if not isinstance(fv, int) or fv < 1 or fv > FORMAT_VERSION:
        raise ModelFileError(f"unsupported model format version {fv!r} (this build reads ≤ {FORMAT_VERSION})")
    return meta


def loads(data: bytes | Path | str) -> Detector:
    """Rebuild a detector from a model file's bytes (or path)."""
    with _open(data) as npz:
        meta = _meta(npz)
        kind = meta.get("kind")
        if kind not in MODELS:
            raise ModelFileError(f"unknown model kind {kind!r}")
        declared = meta.get("arrays")
        if not isinstance(declared, dict) or len(declared) > MAX_ARRAYS:
            raise ModelFileError("malformed array list")
        names = set(npz.files) - {META}
        if names != set(declared):
            raise ModelFileError("arrays in the file do not match the metadata")
        arrays: dict[str, npt.NDArray[Any]] = {}
        total = 0
        for name in sorted(names):
            spec = declared[name]
            if not (isinstance(spec, list) and len(spec) == 3):
                raise ModelFileError(f"malformed entry for array {name!r}")
            shape, _dtype, digest = spec
            try:
                a = npz[name]
            except ValueError as exc:  # object arrays (pickles) and malformed headers
                raise ModelFileError(f"array {name!r} cannot be read safely: {exc}") from None
            if a.dtype.kind not in "fiub":
                raise ModelFileError(f"array {name!r} has a non-numeric dtype {a.dtype}")
            total += a.size
            if total > MAX_ELEMENTS:
                raise ModelFileError("model arrays too large")
            if list(a.shape) != shape or _digest(a) != digest:
                raise ModelFileError(f"array {name!r} does not match its checksum")
            arrays[name] = a
    columns = meta.get("columns")
    params = meta.get("params")
    state = meta.get("state")
    if not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)):
        raise ModelFileError("malformed column list")
    if not isinstance(params, dict) or not isinstance(state, dict):
        raise ModelFileError("malformed parameters")
    try:
        model = MODELS[kind](**params)
        model.columns = tuple(columns)
        model.restore(arrays)
        model.restore_state(state)
    except (TypeError, KeyError, ValueError) as exc:
        raise ModelFileError(f"inconsistent model file: {exc}") from None
    if model.mean_.shape != (len(columns),) or model.scale_.shape != (len(columns),):
        raise ModelFileError("column count does not match the model arrays")
    return model


def load(path: Path | str) -> Detector:
    """Read a model saved with :func:`save`."""
    return loads(Path(path))
