"""STIX 2.1 test bundles."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

T = "2024-01-01T00:00:00.000Z"


def sid(kind: str, n: int) -> str:
    """A valid STIX id (RFC 4122 UUID) that tests can name by number."""
    digest = hashlib.md5(f"plantwarden-test/{n}".encode()).digest()
    return f"{kind}--{uuid.UUID(bytes=digest, version=4)}"


def indicator(pattern: str, n: int, **extra: Any) -> dict[str, Any]:
    obj = {"type": "indicator", "spec_version": "2.1", "id": sid("indicator", n), "created": T,
           "modified": T, "pattern": pattern, "pattern_type": "stix", "valid_from": T}
    obj.update(extra)
    return obj


def bundle(*objects: dict[str, Any]) -> str:
    return json.dumps({"type": "bundle", "id": sid("bundle", 999), "objects": list(objects)})


SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
