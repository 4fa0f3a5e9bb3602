"""A tiny threaded HTTP server for the feed tests.

It serves a folder, records every request (path and status), answers If-None-Match (strong ETags made
from the content) and If-Modified-Since, and can redirect chosen paths anywhere (``redirects``).
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


class FeedServer:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.log: list[tuple[str, int]] = []  # (path, status) of every request, in order
        self.redirects: dict[str, str] = {}  # path -> Location answered with 302
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/"

    def url(self, rel: Path | str) -> str:
        """The URL of a file given relative to the root (or as a path below it)."""
        p = Path(rel)
        return self.base + (p.resolve().relative_to(self.root) if p.is_absolute() else p).as_posix()

    @property
    def paths(self) -> list[str]:
        with self._lock:
            return [p for p, _ in self.log]

    def clear(self) -> None:
        with self._lock:
            self.log.clear()

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def _record(self, path: str, status: int) -> None:
        with self._lock:
            self.log.append((path, status))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
                pass

            def _answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                server._record(urlsplit(self.path).path, status)
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = urlsplit(self.path).path
                if path in server.redirects:
                    self._answer(302, b"", {"Location": server.redirects[path]})
                    return
                target = (server.root / unquote(path).lstrip("/")).resolve()
                if not target.is_relative_to(server.root) or not target.is_file():
                    self._answer(404, b"not found\n", {"Content-Type": "text/plain"})
                    return
                body = target.read_bytes()
                mtime = int(target.stat().st_mtime)
                headers = {"ETag": '"' + hashlib.sha256(body).hexdigest()[:32] + '"',
                           "Last-Modified": email.utils.formatdate(mtime, usegmt=True),
                           "Content-Type": "application/json" if path.endswith(".json") else "text/plain"}
                inm = self.headers.get("If-None-Match")
                ims = self.headers.get("If-Modified-Since")
                if inm is not None:  # If-None-Match wins over If-Modified-Since (RFC 9110)
                    if headers["ETag"] in [t.strip() for t in inm.split(",")] or inm.strip() == "*":
                        self._answer(304, b"", headers)
                        return
                elif ims is not None:
                    try:
                        since = email.utils.parsedate_to_datetime(ims).timestamp()
                    except (TypeError, ValueError):
                        since = None
                    if since is not None and mtime <= since:
                        self._answer(304, b"", headers)
                        return
                self._answer(200, body, headers)

        return Handler
