"""HTTP decoder fed byte literals: requests, responses, auth, pipelining, bodies, tunnels, trouble."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.http import HttpDecoder

REQ = (b"GET /api/tags?x=1 HTTP/1.1\r\nHost: hmi.plant\r\nUser-Agent: curl/8.0\r\n"
       b"Authorization: Basic dXNlcjE6c2VjcmV0\r\n\r\n")  # user1:secret
RESP = b"HTTP/1.1 200 OK\r\nServer: lighttpd/1.4.59\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"


def feed(d: HttpDecoder, data: bytes, is_orig: bool, frame: int = 1) -> list[Event]:
    out = d.feed(data, is_orig, float(frame), frame)
    assert all(isinstance(e, Event) for e in out)
    return out


def test_request_and_response() -> None:
    d = HttpDecoder()
    (req,) = feed(d, REQ, True)
    f = req.fields
    assert req.name == "http_request"
    assert (f["method"], f["uri"], f["version"], f["host"], f["user_agent"]) == (
        "GET", "/api/tags?x=1", "1.1", "hmi.plant", "curl/8.0")
    assert (f["auth_scheme"], f["username"], f["credentials_in_clear"]) == ("Basic", "user1", True)
    assert "secret" not in str(f)
    (resp,) = feed(d, RESP, False, 2)
    g = resp.fields
    assert (g["status_code"], g["reason"], g["server"], g["content_type"], g["content_length"]) == (
        200, "OK", "lighttpd/1.4.59", "text/plain", 5)
    assert (g["method"], g["uri"]) == ("GET", "/api/tags?x=1")
    assert g["identity"] == {"product_name": "lighttpd/1.4.59"}
    assert d.finish(3.0, 3) == []


def test_pipelined_requests_and_split_heads() -> None:
    d = HttpDecoder()
    two = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\nHost: x\r\n\r\n"
    assert feed(d, two[:10], True) == []
    evs = feed(d, two[10:], True, 2)
    assert [e.fields["uri"] for e in evs] == ["/a", "/b"] and all(e.frame == 2 for e in evs)
    r1 = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
    r2 = b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n"  # HEAD: no body follows
    evs = feed(d, r1 + r2, False, 3)
    assert [(e.fields["method"], e.fields["uri"], e.fields["content_length"]) for e in evs] == [
        ("GET", "/a", 3), ("HEAD", "/b", 999)]


def test_body_skipped_across_segments_without_buffering() -> None:
    d = HttpDecoder()
    post = b"POST /upload HTTP/1.1\r\nContent-Length: 100000\r\nContent-Type: application/octet-stream\r\n\r\n"
    (ev,) = feed(d, post + b"\0" * 1000, True)
    assert ev.fields["content_length"] == 100000 and ev.fields["content_type"] == "application/octet-stream"
    assert d._buf[1] == b""
    assert feed(d, b"\0" * 50000, True, 2) == []
    assert d.gap(40000, True, 3.0, 3) == []  # a hole inside the body keeps the stream in step
    (ev,) = feed(d, b"\0" * 9000 + b"GET /next HTTP/1.1\r\n\r\n", True, 4)
    assert ev.fields["uri"] == "/next"


def test_chunked_response() -> None:
    d = HttpDecoder()
    feed(d, b"GET /c HTTP/1.1\r\n\r\nGET /d HTTP/1.1\r\n\r\n", True)
    body = b"5;ext=1\r\nhello\r\n" + b"1000\r\n" + b"x" * 4096 + b"\r\n0\r\nTrailer: y\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    evs = []
    for i in range(0, len(resp), 7):
        evs += feed(d, resp[i:i + 7], False, 2 + i)
    evs += feed(d, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", False, 9999)
    assert [(e.fields["status_code"], e.fields["uri"], e.fields.get("chunked")) for e in evs] == [
        (200, "/c", True), (404, "/d", None)]


def test_interim_and_no_body_statuses() -> None:
    d = HttpDecoder()
    feed(d, b"POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok", True)
    evs = feed(d, b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n", False, 2)
    assert [(e.fields["status_code"], e.fields["method"]) for e in evs] == [(100, None), (304, "POST")]


def test_upgrade_stops_decoding() -> None:
    d = HttpDecoder()
    feed(d, b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", True)
    (ev,) = feed(d, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello", False, 2)
    assert ev.fields["upgrade"] == "websocket"
    assert feed(d, b"\x81\x85garbage", True, 3) == [] and feed(d, b"\x81\x05x", False, 4) == []


def test_response_until_close_and_lf_only() -> None:
    d = HttpDecoder()
    feed(d, b"GET / HTTP/1.0\n\n", True)
    (ev,) = feed(d, b"HTTP/1.0 200 OK\nServer: GoAhead-Webs\n\n<html>", False, 2)
    assert ev.fields["server"] == "GoAhead-Webs" and ev.fields["version"] == "1.0"
    assert feed(d, b"HTTP/1.1 200 OK\r\n\r\n", False, 3) == []  # still the body of the first


def test_uri_truncated_and_escaped() -> None:
    d = HttpDecoder()
    (ev,) = feed(d, b"GET /" + b"a" * 3000 + b"\x01 HTTP/1.1\r\n\r\n", True)
    assert ev.fields["uri_truncated"] and len(ev.fields["uri"]) == 2048
    (ev,) = feed(HttpDecoder(), b"GET /\x1b[31m HTTP/1.1\r\nUser-Agent: a\x00b\r\n\r\n", True)
    assert ev.fields["uri"] == "/\\x1b[31m" and ev.fields["user_agent"] == "a\\x00b"


def test_digest_user_and_bad_content_length() -> None:
    d = HttpDecoder()
    evs = feed(d, b'GET / HTTP/1.1\r\nAuthorization: Digest username="op", realm="r"\r\nContent-Length: x\r\n\r\n', True)
    assert evs[0].fields["username"] == "op" and not evs[0].fields["credentials_in_clear"]
    assert evs[1].fields["name"] == "http_bad_content_length"


def test_violation_and_weirds() -> None:
    d = HttpDecoder()
    (ev,) = feed(d, b"\x16\x03\x01\x00\x05hello\r\n\r\n", True)
    assert ev.fields["name"] == "http_protocol_violation" and d.violated
    d = HttpDecoder()
    evs = feed(d, RESP, False)
    assert [e.fields.get("name") for e in evs] == ["http_response_without_request", None]
    d = HttpDecoder()
    feed(d, REQ + b"GET /half", True)
    names = [e.fields["name"] for e in d.finish(5.0, 5)]
    assert names == ["http_unanswered_requests", "http_incomplete_head"]
    d = HttpDecoder()
    feed(d, REQ, True)
    assert [e.fields["name"] for e in d.gap(10, False, 1.0, 2)] == ["http_content_gap"]


def test_probe() -> None:
    assert HttpDecoder.probe(REQ, True) > 0.5
    assert HttpDecoder.probe(b"GET / HT", True) > 0.5
    assert HttpDecoder.probe(RESP, False) > 0.5
    assert HttpDecoder.probe(b"\x00\x01\x00\x00\x00\x06\x01\x03", True) < 0
    assert HttpDecoder.probe(b"GETX / HTTP/1.1\r\n", True) < 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=300)), max_size=8), st.integers(0, 2))
def test_never_raises(chunks: list[tuple[bool, bytes]], prefix: int) -> None:
    d = HttpDecoder()
    head = [b"", REQ, b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"][prefix]
    for i, (is_orig, data) in enumerate(chunks):
        out = d.feed(head + data if i == 0 else data, is_orig, float(i), i + 1)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
        if i == 4:
            assert isinstance(d.gap(7, is_orig, 1.0, 1), list)
    assert isinstance(d.finish(9.0, 99), list)
    HttpDecoder.probe(head + b"".join(c for _, c in chunks), True)
