"""Process models in the store (docs/ml.md, "Process models in the store").

A model file written by ``plantwarden ml train`` is kept as it is (its bytes, checked by loading them
before they are stored) with its name, kind, points and training facts. At most one model is active: the
one ``analyze``, ``watch`` and the dashboard's uploads give to ``process.anomaly`` when no model file is
named. Every change is audited (``process_model.add``, ``.activate``, ``.deactivate``, ``.remove``).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from sqlalchemy import select, update

from plantwarden.core.errors import InvalidInput, NotFound
from plantwarden.store.models import ProcessModelRow

#: the largest model file the store keeps
MAX_BYTES = 64 << 20


def _summary(row: ProcessModelRow) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "kind": row.kind, "points": list(row.points), "active": row.active,
            "bytes": len(row.data), "sha256": row.sha256, "created_at": row.created_at,
            "created_by": row.created_by,
            "info": {k: v for k, v in (row.info or {}).items() if k in ("rows", "runs", "fit_rows", "source",
                                                                          "threshold", "step", "rules")}}


def add_model(store: Any, data: bytes, name: str, activate: bool = True) -> dict[str, Any]:
    """Keep a model file (its bytes); the same bytes are kept once. Returns its summary."""
    from plantwarden.ml.process import load_bytes

    if len(data) > MAX_BYTES:
        raise InvalidInput(f"a process model is at most {MAX_BYTES >> 20} MiB")
    name = " ".join(name.split())[:200]
    if not name:
        raise InvalidInput("a process model needs a name")
    try:
        model = load_bytes(data, name)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    digest = hashlib.sha256(data).hexdigest()
    with store.transaction() as s:
        row = s.scalars(select(ProcessModelRow).where(ProcessModelRow.sha256 == digest)).first()
        if row is None:
            info = {**model.info, "step": model.step, "threshold": float(model.detector.threshold),
                    "rules": len(model.rules.rules) if model.rules is not None else 0}
            row = ProcessModelRow(name=name, kind=str(model.info.get("kind") or model.detector.KIND),
                                  points=list(model.points), info=info, data=data, sha256=digest, active=False,
                                  created_at=time.time(), created_by=store.actor[:200])
            s.add(row)
            s.flush()
            store.record(s, "process_model.add", f"process model {row.id}", None,
                         {"name": name, "kind": row.kind, "points": len(row.points), "sha256": digest})
        if activate and not row.active:
            _activate(store, s, row)
        s.flush()
        return _summary(row)


def _activate(store: Any, s: Any, row: ProcessModelRow) -> None:
    before = s.scalars(select(ProcessModelRow.id).where(ProcessModelRow.active.is_(True))).all()
    s.execute(update(ProcessModelRow).where(ProcessModelRow.active.is_(True)).values(active=False))
    row.active = True
    store.record(s, "process_model.activate", f"process model {row.id}", {"active": list(before)},
                 {"active": [row.id]})


def list_models(store: Any) -> list[dict[str, Any]]:
    with store.read() as s:
        return [_summary(r) for r in s.scalars(select(ProcessModelRow).order_by(ProcessModelRow.id))]


def activate(store: Any, model_id: int) -> None:
    with store.transaction() as s:
        row = s.get(ProcessModelRow, model_id)
        if row is None:
            raise NotFound(f"no process model {model_id}")
        if not row.active:
            _activate(store, s, row)


def deactivate(store: Any) -> None:
    """No active model: process.anomaly stays silent unless a model file is named."""
    with store.transaction() as s:
        ids = list(s.scalars(select(ProcessModelRow.id).where(ProcessModelRow.active.is_(True))))
        if ids:
            s.execute(update(ProcessModelRow).values(active=False))
            store.record(s, "process_model.deactivate", "process models", {"active": ids}, {"active": []})


def remove(store: Any, model_id: int) -> None:
    with store.transaction() as s:
        row = s.get(ProcessModelRow, model_id)
        if row is None:
            raise NotFound(f"no process model {model_id}")
        store.record(s, "process_model.remove", f"process model {row.id}",
                     {"name": row.name, "active": row.active, "sha256": row.sha256}, None)
        s.delete(row)


def model_bytes(store: Any, model_id: int) -> bytes:
    with store.read() as s:
        row = s.get(ProcessModelRow, model_id)
        if row is None:
            raise NotFound(f"no process model {model_id}")
        return bytes(row.data)


def active_model(store: Any) -> Any:
    """The active model, loaded (``plantwarden.ml.process.ProcessModel``), or None."""
    from plantwarden.ml.process import load_bytes

    with store.read() as s:
        row = s.scalars(select(ProcessModelRow).where(ProcessModelRow.active.is_(True))).first()
        if row is None:
            return None
        data, name = bytes(row.data), row.name
    return load_bytes(data, name)
