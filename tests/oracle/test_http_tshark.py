"""HTTP against Wireshark: every request and response head tshark dissects, we decode, frame for frame.

Compared per frame: request method, URI, version, Host, User-Agent, the Basic-auth user name,
response status code, Server, Content-Type and Content-Length. tests/realstack/test_http_python.py
runs the same comparison on a capture of Python's http.server and urllib (with Basic auth).
Intended differences: docs/protocols/http.md, encoded in KNOWN_DIFFERENCES.
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with_protocols, compare, records, tshark_fields

FIELDS = {
    "http.request.method": "method", "http.request.uri": "uri", "http.request.version": "version",
    "http.host": "host", "http.user_agent": "user_agent", "http.authorization": "authorization",
    "http.response.code": "status_code", "http.response.version": "version", "http.server": "server",
    "http.content_type": "content_type", "http.content_length_header": "content_length",
}

Key = tuple[int, str, Any]


@contextlib.contextmanager
def head_frames() -> Iterator[None]:
    """Make Wireshark report each message at the frame that completes its head, as we do, not at
    the end of its body (the preference http.desegment_body, through a private configuration dir)."""
    old = os.environ.get("WIRESHARK_CONFIG_DIR")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "preferences").write_text("http.desegment_body: FALSE\n")
        os.environ["WIRESHARK_CONFIG_DIR"] = tmp
        try:
            yield
        finally:
            if old is None:
                del os.environ["WIRESHARK_CONFIG_DIR"]
            else:
                os.environ["WIRESHARK_CONFIG_DIR"] = old


def tshark_keys(path: Path, decode_as: tuple[str, ...] = ()) -> Counter[Key]:
    out: Counter[Key] = Counter()
    with head_frames():
        rows = tshark_fields(path, list(FIELDS), decode_as=decode_as, display_filter="http")
    for frame, cols in rows:
        for name, values in zip(FIELDS.values(), cols, strict=True):
            for v in values:
                if name == "authorization":  # "Basic <b64>": keep only the user name
                    scheme, _, cred = v.partition(" ")
                    if scheme.lower() != "basic":
                        continue
                    name, v = "username", base64.b64decode(cred).decode().partition(":")[0]
                elif name == "version":
                    v = v.removeprefix("HTTP/")
                out[(frame, name, int(v) if name in ("status_code", "content_length") else v)] += 1
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for r in records(path, "http"):
        ev, fr = r["event"], r["frame"]
        if ev == "http_request":
            names = ("method", "uri", "version", "host", "user_agent", "username", "content_type", "content_length")
        elif ev == "http_response":
            names = ("status_code", "version", "server", "content_type", "content_length")
        else:
            continue
        out.update((fr, k, r[k]) for k in names if r.get(k) is not None)
    return out


#: capture -> (keys only tshark has, keys only we have); see docs/protocols/http.md
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {
}

CAPTURES = captures_with_protocols("http")


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_http_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    compare(record_property, tshark_keys(path), our_keys(path), KNOWN_DIFFERENCES.get(Path(capture).name))
