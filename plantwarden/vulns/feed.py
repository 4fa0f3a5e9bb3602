"""CSAF 2.0 ingest: a provider's feed, a ROLIE feed, a directory distribution or a local folder, synced
into a folder of advisories, incrementally.

``sync(source, dest)`` accepts

* the URL of a ``provider-metadata.json`` (CSAF 2.0 section 7.1.20): its ROLIE feeds are read (or, when
  it lists none, its ``directory_url`` distributions), and the OpenPGP keys it publishes are fetched,
  imported into a private, temporary GnuPG home and trusted only when their fingerprints are the
  published ones;
* the URL (or path) of a ROLIE feed (``feed.entry[]``);
* a directory URL ending in ``/``: its ``changes.csv`` is read (``index.txt`` when there is none);
* a local folder: every ``.json`` file below it is imported, checked against the ``.sha512`` /
  ``.sha256`` / ``.asc`` files beside it when there are any.

Every document is downloaded, checked against its published hash (SHA-512 preferred), its detached
OpenPGP signature verified with ``gpg`` against the trusted keys, parsed, and stored as
``dest/<tracking id>.json`` (lower case, unsafe characters replaced), written to a temporary file and
renamed. ``dest/.sync-state.json`` remembers per document URL the feed's ``updated`` time, the content's
SHA-256, ETag and Last-Modified, so that the next sync downloads only new and changed entries and asks
with If-None-Match / If-Modified-Since. Documents that left the feed are reported, never deleted.

A remote feed may only point at http(s) URLs (a redirect elsewhere is refused); downloads are capped at
:data:`MAX_DOWNLOAD` bytes. Problems with the source itself raise :class:`InvalidInput`; problems with
one document reject that document with a reason. Standard library and ``gpg`` only.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.client import HTTPException, HTTPMessage
from pathlib import Path
from typing import IO, Any, Final
from urllib.parse import quote, unquote, urljoin, urlsplit

from plantwarden.core.errors import InvalidInput

__all__ = ["MAX_DOWNLOAD", "STATE_FILE", "FetchError", "Fetched", "SyncResult", "sync", "urllib_fetcher"]

#: the largest file downloaded (bytes)
MAX_DOWNLOAD: Final = 50 * 1024 * 1024
#: the state file kept in the destination folder
STATE_FILE: Final = ".sync-state.json"
STATE_VERSION: Final = 1
USER_AGENT: Final = "plantwarden-csaf-sync/1"
GPG_TIMEOUT: Final = 60.0

_WEB = ("http", "https")
_HEX = re.compile(r"[0-9a-fA-F]+")
_FPR = re.compile(r"(?:[0-9A-F]{40}|[0-9A-F]{64})")
_UNSAFE = re.compile(r"[^a-z0-9+\-]+")
_HASHES = {64: "sha256", 128: "sha512"}


@dataclass(frozen=True, slots=True)
class Fetched:
    """One answer of a fetcher: ``status`` is 200, or 304 when the conditional request found no change."""

    status: int
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None


class FetchError(Exception):
    """A URL that could not be fetched; ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


#: ``fetch(url, headers) -> Fetched``; raises :class:`FetchError`
Fetcher = Callable[[str, Mapping[str, str]], Fetched]


@dataclass
class SyncResult:
    """What one sync did. Documents are named by their URL (``file:`` URLs for local files)."""

    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    removed_upstream: list[str] = field(default_factory=list)  # known before, no longer listed
    fetched_urls: list[str] = field(default_factory=list)  # every URL requested, in order
    warnings: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)  # new and updated documents: url -> stored file


# -- fetching ---------------------------------------------------------------------------------------------


class _WebOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http(s) only, and never from https down to http."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: HTTPMessage, newurl: str) -> urllib.request.Request | None:
        old, new = urlsplit(req.full_url).scheme.lower(), urlsplit(newurl).scheme.lower()
        if new not in _WEB:
            raise FetchError(f"refused a redirect to a {new or 'relative'}: URL ({newurl[:200]})")
        if old == "https" and new == "http":
            raise FetchError(f"refused a redirect from https down to http ({newurl[:200]})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _cap() -> str:
    return f"{MAX_DOWNLOAD // (1024 * 1024)} MiB" if MAX_DOWNLOAD >= 1024 * 1024 else f"{MAX_DOWNLOAD} bytes"


def _read_capped(stream: IO[bytes], url: str) -> bytes:
    data = stream.read(MAX_DOWNLOAD + 1)
    if len(data) > MAX_DOWNLOAD:
        raise FetchError(f"{url} is larger than {_cap()}")
    return data


def _read_local(url: str) -> Fetched:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchError(f"{url}: only local file: URLs are read")
    path = Path(urllib.request.url2pathname(parts.path))
    try:
        if path.stat().st_size > MAX_DOWNLOAD:
            raise FetchError(f"{path} is larger than {_cap()}")
        with path.open("rb") as f:
            return Fetched(200, _read_capped(f, url))
    except FileNotFoundError:
        raise FetchError(f"{path} does not exist", status=404) from None
    except OSError as e:
        raise FetchError(f"cannot read {path}: {e.strerror or e}") from None


def urllib_fetcher(timeout: float = 30) -> Fetcher:
    """The default fetcher: ``urllib`` with certificate checks, http(s)-only redirects, the size cap and
    conditional requests; ``file:`` URLs are read from the disk."""
    opener = urllib.request.build_opener(_WebOnlyRedirects())

    def fetch(url: str, headers: Mapping[str, str]) -> Fetched:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            return _read_local(url)
        if scheme not in _WEB:
            raise FetchError(f"unsupported URL scheme {scheme!r}")
        req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers})
        try:
            with opener.open(req, timeout=timeout) as resp:
                size = resp.headers.get("Content-Length")
                if size and size.strip().isdigit() and int(size) > MAX_DOWNLOAD:
                    raise FetchError(f"{url} is larger than {_cap()}")
                body = _read_capped(resp, url)
                return Fetched(200, body, resp.headers.get("ETag"), resp.headers.get("Last-Modified"))
        except urllib.error.HTTPError as e:
            e.close()
            if e.code == 304:
                return Fetched(304, b"", e.headers.get("ETag"), e.headers.get("Last-Modified"))
            if 300 <= e.code < 400:  # urllib refused to follow it (e.g. to a file: URL)
                raise FetchError(f"refused a redirect: {_clip(e.reason)}", status=e.code) from None
            raise FetchError(f"HTTP {e.code} {_clip(e.reason)}", status=e.code) from None
        except urllib.error.URLError as e:
            raise FetchError(f"cannot connect: {e.reason}") from None
        except (HTTPException, OSError, ValueError) as e:
            raise FetchError(f"{type(e).__name__}: {e}") from None

    return fetch


# -- OpenPGP --------------------------------------------------------------------------------------------


def _find_gpg() -> str | None:
    return shutil.which("gpg") or ("/usr/bin/gpg" if os.access("/usr/bin/gpg", os.X_OK) else None)


class _Gpg:
    """``gpg`` in a private, temporary home: imports public keys, verifies detached signatures."""

    def __init__(self, exe: str) -> None:
        self.exe = exe
        self.home = tempfile.mkdtemp(prefix="pw-gnupg-")
        os.chmod(self.home, 0o700)
        self.allowed: set[str] = set()  # fingerprints (upper-case hex) whose signatures are accepted

    def close(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)

    def _run(self, args: list[str], stdin: bytes = b"") -> tuple[int, list[list[str]]]:
        env = {**os.environ, "GNUPGHOME": self.home, "LC_ALL": "C"}
        cmd = [self.exe, "--batch", "--no-tty", "--no-options", "--homedir", self.home, "--no-autostart",
               "--no-auto-key-retrieve", "--trust-model", "always", "--status-fd", "1", *args]
        try:
            p = subprocess.run(cmd, input=stdin, capture_output=True, env=env, timeout=GPG_TIMEOUT,
                               check=False)
        except (OSError, subprocess.SubprocessError) as e:
            raise FetchError(f"gpg failed: {e}") from None
        status = [ln.split()[1:] for ln in p.stdout.decode("utf-8", "replace").splitlines()
                  if ln.startswith("[GNUPG:] ") and len(ln.split()) > 1]
        return p.returncode, status

    def import_keys(self, data: bytes) -> list[str]:
        """The primary fingerprints of the keys imported from ``data``."""
        _, status = self._run(["--import"], data)
        return sorted({s[2].upper() for s in status if s[0] == "IMPORT_OK" and len(s) > 2})

    def verify(self, doc: bytes, sig: bytes) -> str | None:
        """None when ``sig`` is a good signature of ``doc`` by an allowed key, else the problem."""
        if not self.allowed:
            return "no trusted OpenPGP key to check the signature with"
        with tempfile.TemporaryDirectory(dir=self.home) as work:
            doc_path, sig_path = os.path.join(work, "doc"), os.path.join(work, "doc.asc")
            with open(doc_path, "wb") as f:
                f.write(doc)
            with open(sig_path, "wb") as f:
                f.write(sig)
            rc, status = self._run(["--verify", sig_path, doc_path])
        kinds = {s[0] for s in status}
        if "BADSIG" in kinds:
            return "bad OpenPGP signature (the document or its signature was altered)"
        for bad, what in (("EXPKEYSIG", "an expired key"), ("REVKEYSIG", "a revoked key"),
                          ("EXPSIG", "an expired signature")):
            if bad in kinds:
                return f"OpenPGP signature by {what}"
        good = [s for s in status if s[0] == "VALIDSIG" and len(s) > 1]
        if rc == 0 and "GOODSIG" in kinds and good:
            if any({s[1].upper(), s[-1].upper()} & self.allowed for s in good):
                return None
            return f"signed by {good[0][-1]}, which is not a trusted key of this provider"
        errs = [s for s in status if s[0] == "ERRSIG" and len(s) > 1]
        if errs:
            return f"signed by an unknown key {errs[0][-1] if len(errs[0]) > 7 else errs[0][1]}"
        if "NODATA" in kinds or not good:
            return "not a valid OpenPGP signature"
        return f"OpenPGP signature not verified (gpg exit status {rc})"


# -- the sync ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    url: str
    updated: str | None
    hash_urls: list[str]  # explicit links (or local files beside the document)
    sig_url: str | None  # explicit link (or local file beside the document)
    guess: bool  # try <url>.sha512, <url>.sha256, <url>.asc when there are no explicit links
    signature_optional: bool = False  # a local file with no .asc beside it


def _is_url(text: str) -> bool:
    return re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", text) is not None and len(text.split(":", 1)[0]) > 1


def _safe_name(tracking_id: str) -> str:
    name = _UNSAFE.sub("_", tracking_id.strip().lower()).strip("_")[:200]
    return name + ".json" if name else ""


def _load_json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValueError(f"{what} is not UTF-8 text") from None
    except RecursionError:
        raise ValueError(f"{what} is nested too deeply") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{what} is not JSON ({e.msg} at line {e.lineno})") from None


def _join(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``; None when it is not a usable URL."""
    try:
        url = urljoin(base, href.strip())
        urlsplit(url).port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        return None
    return url


def _clip(text: object, n: int = 200) -> str:
    s = "".join(c if c.isprintable() else "?" for c in str(text))
    return s if len(s) <= n else s[:n] + "..."


class _Sync:
    def __init__(self, source: str, dest: Path, keyring: Path | None, require_signature: bool,
                 fetcher: Fetcher, log: Callable[[str], None] | None) -> None:
        self.source = source
        self.dest = dest
        self.keyring = keyring
        self.require_signature = require_signature
        self.fetcher = fetcher
        self.log = log
        self.result = SyncResult()
        self.local = False  # whether file: URLs may be read (the source is local)
        self.source_key = source
        self.keys: list[tuple[str, str]] = []  # (published fingerprint, key URL)
        self.gpg: _Gpg | None = None
        self.gpg_problem: str | None = None
        self.gpg_ready = False
        self.seen: set[str] = set()
        self.failed_feeds: set[str] = set()
        self.written: dict[str, str] = {}  # file name -> the document URL stored there by this sync
        self.state = self._load_state()

    # state ---------------------------------------------------------------------------------------------

    def _load_state(self) -> dict[str, Any]:
        empty: dict[str, Any] = {"version": STATE_VERSION, "documents": {}, "feeds": {}}
        path = self.dest / STATE_FILE
        if not path.exists():
            return empty
        try:
            state = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError, RecursionError) as e:
            self._warn(f"{path} is unreadable ({_clip(e)}); syncing everything again")
            return empty
        if (not isinstance(state, dict) or state.get("version") != STATE_VERSION
                or not isinstance(state.get("documents"), dict) or not isinstance(state.get("feeds"), dict)):
            self._warn(f"{path} is not a state file of this version; syncing everything again")
            return empty
        state["documents"] = {k: v for k, v in state["documents"].items() if isinstance(v, dict)}
        state["feeds"] = {k: v for k, v in state["feeds"].items() if isinstance(v, dict)}
        return state

    def save_state(self) -> None:
        self._write_atomic(self.dest / STATE_FILE,
                           json.dumps(self.state, indent=1, sort_keys=True).encode("utf-8") + b"\n")

    def _write_atomic(self, path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    # small helpers -------------------------------------------------------------------------------------

    def _say(self, msg: str) -> None:
        if self.log is not None:
            self.log(msg)

    def _warn(self, msg: str) -> None:
        self.result.warnings.append(msg)
        self._say(f"warning: {msg}")

    def _reject(self, url: str, reason: str) -> bool:
        self.result.rejected.append((url, reason))
        self._say(f"rejected {url}: {reason}")
        return False

    def _get(self, url: str, headers: Mapping[str, str] | None = None) -> Fetched:
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError:
            raise FetchError(f"not a usable URL: {_clip(url)}") from None
        if scheme not in _WEB and not (scheme == "file" and self.local):
            raise FetchError(f"refusing a {scheme or 'relative'}: URL" +
                             (" from a remote source" if scheme == "file" else ""))
        self.result.fetched_urls.append(url)
        resp = self.fetcher(url, dict(headers or {}))
        if resp.status not in (200, 304):
            raise FetchError(f"HTTP {resp.status}", status=resp.status)
        if len(resp.body) > MAX_DOWNLOAD:
            raise FetchError(f"larger than {_cap()}")
        return resp

    @staticmethod
    def _conditional(info: Mapping[str, Any]) -> dict[str, str]:
        headers = {}
        if isinstance(info.get("etag"), str):
            headers["If-None-Match"] = info["etag"]
        if isinstance(info.get("last_modified"), str):
            headers["If-Modified-Since"] = info["last_modified"]
        return headers

    def _stored(self, prev: Mapping[str, Any] | None) -> bool:
        name = prev.get("file") if prev else None
        return isinstance(name, str) and (self.dest / name).is_file()

    # the source -----------------------------------------------------------------------------------------

    def run(self) -> None:
        src = self.source.strip()
        if _is_url(src):
            try:
                parts = urlsplit(src)
                parts.port  # noqa: B018  (raises ValueError on a bad port)
            except ValueError:
                raise InvalidInput(f"{_clip(src)!r} is not a usable URL") from None
            scheme = parts.scheme.lower()
            if scheme == "file":
                self.local = True
                path = Path(urllib.request.url2pathname(parts.path))
            elif scheme in _WEB:
                self._remote(src)
                return
            else:
                raise InvalidInput(f"unsupported source {_clip(src)!r}: give an http(s) URL, a file: URL "
                                   "or a folder")
        else:
            self.local = True
            path = Path(src).expanduser()
        if path.is_dir():
            self._folder(path.resolve())
        elif path.is_file():
            self._remote(path.resolve().as_uri())
        else:
            raise InvalidInput(f"{path} does not exist (give an https:// URL, a file: URL or a local path)")

    def _remote(self, url: str) -> None:
        self.source_key = url
        if url.endswith("/"):
            if not self._directory(url):
                raise InvalidInput(self.result.warnings[-1])
            return
        info = self.state["feeds"].get(url)
        headers = self._conditional(info) if info and self._feed_complete(url, url) else {}
        try:
            resp = self._get(url, headers)
        except FetchError as e:
            raise InvalidInput(f"cannot fetch {url}: {e}") from None
        if resp.status == 304:  # a feed we read before, unchanged
            self._listing_unchanged(url)
            return
        try:
            data = _load_json(resp.body, url)
        except ValueError as e:
            raise InvalidInput(str(e)) from None
        if isinstance(data, dict) and "feed" in data:
            try:
                entries = self._rolie_entries(url, data)
            except ValueError as e:
                raise InvalidInput(f"{url}: {e}") from None
            self._take(url, url, entries, resp)
        elif isinstance(data, dict) and ("distributions" in data or "canonical_url" in data):
            self._provider(url, data)
        else:
            raise InvalidInput(f"{url} is neither a CSAF provider-metadata.json nor a ROLIE feed")

    def _provider(self, url: str, meta: dict[str, Any]) -> None:
        keys = meta.get("public_openpgp_keys")
        for k in keys if isinstance(keys, list) else []:
            key_url = _join(url, k["url"]) if isinstance(k, dict) and isinstance(k.get("url"), str) else None
            if key_url is None:
                self._warn(f"{url}: a public_openpgp_keys entry has no usable url; ignored")
                continue
            fpr = k.get("fingerprint")
            fpr = fpr.replace(" ", "").upper() if isinstance(fpr, str) else ""
            if not _FPR.fullmatch(fpr):
                self._warn(f"{url}: the key {_clip(key_url)} has no valid fingerprint published; not trusted")
                continue
            self.keys.append((fpr, key_url))
        feeds: list[str] = []
        dirs: list[str] = []
        dists = meta.get("distributions")
        for d in dists if isinstance(dists, list) else []:
            if not isinstance(d, dict):
                continue
            rolie = d.get("rolie")
            if isinstance(rolie, dict) and isinstance(rolie.get("feeds"), list):
                for f in rolie["feeds"]:
                    feed_url = _join(url, f["url"]) if isinstance(f, dict) and isinstance(f.get("url"), str) \
                        and f["url"].strip() else None
                    if feed_url:
                        feeds.append(feed_url)
            dir_url = d.get("directory_url")
            dir_url = _join(url, dir_url.strip().rstrip("/") + "/") if isinstance(dir_url, str) \
                and dir_url.strip() else None
            if dir_url:
                dirs.append(dir_url)
        if not feeds and not dirs:
            raise InvalidInput(f"{url} lists no distribution (neither a ROLIE feed nor a directory_url)")
        ok = 0
        for feed_url in dict.fromkeys(feeds):  # ROLIE when there is one: directories then hold the same
            ok += self._feed(feed_url)
        if not feeds:
            for dir_url in dict.fromkeys(dirs):
                ok += self._directory(dir_url)
        if not ok:
            raise InvalidInput(f"no distribution of {url} could be read: {'; '.join(self.result.warnings)}")

    def _feed_complete(self, feed: str, info_url: str) -> bool:
        """Whether the last read of ``info_url`` took every document of ``feed`` and they are all stored."""
        info = self.state["feeds"].get(info_url) or {}
        return bool(info.get("complete")) and all(
            self._stored(d) and (d.get("verified") or not self.require_signature)
            for d in self.state["documents"].values() if d.get("feed") == feed)

    def _listing_unchanged(self, feed: str) -> None:
        for url, d in self.state["documents"].items():
            if d.get("feed") == feed and url not in self.seen:
                self.seen.add(url)
                self.result.unchanged.append(url)

    def _feed(self, url: str) -> bool:
        info = self.state["feeds"].get(url)
        headers = self._conditional(info) if info and self._feed_complete(url, url) else {}
        try:
            resp = self._get(url, headers)
            if resp.status == 304:
                self._listing_unchanged(url)
                return True
            data = _load_json(resp.body, "the feed")
            entries = self._rolie_entries(url, data)
        except (FetchError, ValueError) as e:
            self.failed_feeds.add(url)
            self._warn(f"ROLIE feed {url}: {_clip(e, 300)}")
            return False
        self._take(url, url, entries, resp)
        return True

    def _rolie_entries(self, url: str, data: Any) -> list[_Entry]:
        feed = data.get("feed") if isinstance(data, dict) else None
        raw = feed.get("entry", []) if isinstance(feed, dict) else None
        if not isinstance(raw, list):
            raise ValueError("not a ROLIE feed (no feed.entry list)")
        entries = []
        for e in raw:
            if not isinstance(e, dict):
                continue
            raw_links = e.get("link")
            links = [(ln.get("rel"), _join(url, ln["href"])) for ln in
                     (raw_links if isinstance(raw_links, list) else [raw_links])
                     if isinstance(ln, dict) and isinstance(ln.get("href"), str)]
            docs = [h for rel, h in links if rel == "self" and h]
            content = e.get("content")
            if not docs and isinstance(content, dict) and isinstance(content.get("src"), str):
                docs = [h for h in [_join(url, content["src"])] if h]
            if not docs:
                self._warn(f"{url}: entry {_clip(e.get('id'))} has no usable link to its document; skipped")
                continue
            hashes = [h for rel, h in links if rel == "hash" and h]
            hashes.sort(key=lambda h: not h.lower().endswith(".sha512"))
            sigs = [h for rel, h in links if rel == "signature" and h]
            updated = e.get("updated")
            entries.append(_Entry(docs[0], None if updated is None else _clip(updated, 100),
                                  hashes, sigs[0] if sigs else None, guess=not hashes and not sigs))
        return entries

    def _directory(self, dir_url: str) -> bool:
        """A directory distribution: ``changes.csv`` (``index.txt`` when there is none)."""
        problems = []
        for name in ("changes.csv", "index.txt"):
            listing = dir_url + name
            info = self.state["feeds"].get(listing)
            headers = self._conditional(info) if info and self._feed_complete(dir_url, listing) else {}
            try:
                resp = self._get(listing, headers)
            except FetchError as e:
                problems.append(f"{name}: {e}")
                continue
            if resp.status == 304:
                self._listing_unchanged(dir_url)
                return True
            try:
                text = resp.body.decode("utf-8-sig")
            except UnicodeDecodeError:
                problems.append(f"{name} is not UTF-8 text")
                continue
            rows = list(csv.reader(io.StringIO(text))) if name == "changes.csv" else \
                [[ln] for ln in text.splitlines()]
            entries = []
            for row in rows:
                path = row[0].strip() if row else ""
                if not path or path.startswith("#"):
                    continue
                if ("://" in path or path.startswith(("/", "\\")) or "\\" in path or ".." in path.split("/")
                        or not path.lower().endswith(".json")):
                    self._warn(f"{listing}: ignored the entry {_clip(path)!r}")
                    continue
                doc = _join(dir_url, quote(unquote(path), safe="/"))
                if doc is None or not doc.startswith(dir_url):
                    self._warn(f"{listing}: ignored the entry {_clip(path)!r}")
                    continue
                updated = row[1].strip() if len(row) > 1 and row[1].strip() else None
                entries.append(_Entry(doc, updated, [], None, guess=True))
            self._take(dir_url, listing, entries, resp)
            return True
        self.failed_feeds.add(dir_url)
        self._warn(f"directory {dir_url}: {'; '.join(problems)}")
        return False

    def _folder(self, root: Path) -> None:
        self.source_key = root.as_uri()
        dest = self.dest.resolve()
        entries = []
        for path in sorted(root.rglob("*.json")):
            rel = path.relative_to(root)
            if (any(p.startswith(".") for p in rel.parts) or path.name == "provider-metadata.json"
                    or dest == path.parent or dest in path.parents or not path.is_file()):
                continue
            st = path.stat()
            beside = {s: path.with_name(path.name + s) for s in (".sha512", ".sha256", ".asc")}
            hashes = [p.as_uri() for s, p in beside.items() if s != ".asc" and p.is_file()]
            sig = beside[".asc"].as_uri() if beside[".asc"].is_file() else None
            entries.append(_Entry(path.as_uri(), f"{st.st_mtime_ns}:{st.st_size}", hashes, sig, guess=False,
                                  signature_optional=sig is None))
        self._take(self.source_key, self.source_key, entries, None)

    # documents -----------------------------------------------------------------------------------------

    def _take(self, feed: str, info_url: str, entries: list[_Entry], resp: Fetched | None) -> None:
        complete = True
        for entry in entries:
            if entry.url in self.seen:
                continue
            self.seen.add(entry.url)
            complete = self._document(entry, feed) and complete
        if resp is not None:
            self.state["feeds"][info_url] = {"etag": resp.etag, "last_modified": resp.last_modified,
                                             "complete": complete}

    def _document(self, entry: _Entry, feed: str) -> bool:
        url = entry.url
        docs = self.state["documents"]
        prev = docs.get(url)
        stored = self._stored(prev)
        trusted = stored and prev is not None and (
            prev.get("verified") or not self.require_signature or entry.signature_optional)
        if trusted and prev is not None and entry.updated is not None \
                and prev.get("updated") == entry.updated:
            prev.update(feed=feed, source=self.source_key)
            self.result.unchanged.append(url)
            return True
        try:
            resp = self._get(url, self._conditional(prev) if trusted and prev else {})
        except FetchError as e:
            return self._reject(url, f"cannot fetch: {_clip(e, 300)}")
        if trusted and prev is not None and (
                resp.status == 304 or prev.get("sha256") == hashlib.sha256(resp.body).hexdigest()):
            prev.update(feed=feed, source=self.source_key, updated=entry.updated)
            if resp.status == 200:
                prev.update(etag=resp.etag, last_modified=resp.last_modified)
            self.result.unchanged.append(url)
            return True
        if resp.status == 304:
            return self._reject(url, "the server answered 304 Not Modified to an unconditional request")
        body = resp.body
        problem = self._check_hash(entry, body)
        if problem:
            return self._reject(url, problem)
        problem = self._check_signature(entry, body)
        if problem and self.require_signature and not entry.signature_optional:
            return self._reject(url, problem)
        try:
            doc = _load_json(body, "the document")
        except ValueError as e:
            return self._reject(url, str(e))
        document = doc.get("document") if isinstance(doc, dict) else None
        tracking = document.get("tracking") if isinstance(document, dict) else None
        tid = tracking.get("id") if isinstance(tracking, dict) else None
        if self.local and isinstance(doc, dict) and "document" not in doc \
                and ("feed" in doc or "distributions" in doc):
            return True  # a feed file lying in a local folder: not a document
        if not isinstance(tid, str) or not tid.strip():
            return self._reject(url, "not a CSAF document (no document.tracking.id)")
        name = _safe_name(tid)
        if not name:
            return self._reject(url, f"unusable document.tracking.id {_clip(tid)!r}")
        assert isinstance(document, dict)
        if problem and not entry.signature_optional:
            self._warn(f"{url}: accepted without a verified signature ({problem})")
        if document.get("csaf_version") != "2.0":
            self._warn(f"{url}: csaf_version is {_clip(document.get('csaf_version'))!r}, not '2.0'")
        if self.written.get(name, url) != url:
            self._warn(f"{url} and {self.written[name]} have the same tracking id {_clip(tid)!r}; "
                       f"{name} holds the one from {url}")
        self.written[name] = url
        try:
            self._write_atomic(self.dest / name, body)
        except OSError as e:
            return self._reject(url, f"cannot store {name}: {e.strerror or e}")
        docs[url] = {"updated": entry.updated, "sha256": hashlib.sha256(body).hexdigest(), "etag": resp.etag,
                     "last_modified": resp.last_modified, "file": name, "tracking_id": tid, "feed": feed,
                     "source": self.source_key, "verified": problem is None}
        (self.result.updated if prev is not None else self.result.new).append(url)
        self.result.files[url] = self.dest / name
        self._say(f"{'updated' if prev is not None else 'new'} {tid} from {url}")
        return True

    def _check_hash(self, entry: _Entry, body: bytes) -> str | None:
        guessed = [entry.url + ".sha512", entry.url + ".sha256"] if entry.guess else []
        candidates = entry.hash_urls or guessed
        errors = []
        for hash_url in candidates:
            try:
                text = self._get(hash_url).body[:4096].decode("ascii", "replace")
            except FetchError as e:
                errors.append(f"{hash_url}: {_clip(e)}")
                continue
            words = text.split()
            want = words[0].lower() if words else ""
            algo = _HASHES.get(len(want))
            if algo is None or not _HEX.fullmatch(want):
                return f"unreadable hash file {hash_url}"
            got = hashlib.new(algo, body).hexdigest()
            if got != want:
                name = algo.upper().replace("SHA", "SHA-")
                return f"{name} mismatch: {hash_url} says {want}, the document has {got}"
            return None
        if entry.hash_urls:
            return f"its hash file cannot be fetched ({'; '.join(errors)})"
        if not self.local:
            self._warn(f"{entry.url}: no hash file published")
        return None

    def _check_signature(self, entry: _Entry, body: bytes) -> str | None:
        sig_url = entry.sig_url or (entry.url + ".asc" if entry.guess else None)
        if sig_url is None:
            return "no OpenPGP signature"
        try:
            sig = self._get(sig_url).body
        except FetchError as e:
            return f"no OpenPGP signature ({sig_url}: {_clip(e)})"
        gpg = self._verifier()
        if gpg is None or not gpg.allowed:
            return self.gpg_problem or "cannot verify OpenPGP signatures"
        try:
            return gpg.verify(body, sig)
        except (FetchError, OSError) as e:
            return f"signature not verified: {_clip(e)}"

    def _verifier(self) -> _Gpg | None:
        """The gpg home with the trusted keys, set up on first use (so an unchanged feed costs no key)."""
        if self.gpg_ready:
            return self.gpg
        self.gpg_ready = True
        exe = _find_gpg()
        if exe is None:
            self.gpg_problem = "gpg is not installed, so the OpenPGP signature cannot be checked"
            return None
        gpg = self.gpg = _Gpg(exe)
        try:
            if self.keyring is not None:
                try:
                    data = Path(self.keyring).read_bytes()
                except OSError as e:
                    raise InvalidInput(f"cannot read the keyring {self.keyring}: {e.strerror or e}") from None
                imported = gpg.import_keys(data)
                if not imported:
                    raise InvalidInput(f"{self.keyring} holds no OpenPGP public key (export one with "
                                       "gpg --export)")
                gpg.allowed.update(imported)
            for fpr, key_url in self.keys:
                try:
                    imported = gpg.import_keys(self._get(key_url).body)
                except FetchError as e:
                    self._warn(f"cannot fetch the provider's key {key_url}: {_clip(e)}")
                    continue
                if fpr in imported:
                    gpg.allowed.add(fpr)
                else:
                    self._warn(f"the key at {key_url} has the fingerprint {', '.join(imported) or 'none'}, "
                               f"not the published {fpr}; it is not trusted")
        except FetchError as e:
            self.gpg_problem = str(e)
            return None
        if not gpg.allowed:
            why = ("none of the provider's published keys checks out" if self.keys
                   else "the source publishes none")
            self.gpg_problem = f"no trusted OpenPGP key ({why}{'' if self.keyring else '; pass a keyring'})"
        return gpg

    def finish(self) -> None:
        for url, d in self.state["documents"].items():
            if d.get("source") == self.source_key and url not in self.seen \
                    and d.get("feed") not in self.failed_feeds:
                self.result.removed_upstream.append(url)
        if self.result.removed_upstream:
            self._say(f"{len(self.result.removed_upstream)} document(s) no longer listed upstream (kept)")

    def close(self) -> None:
        if self.gpg is not None:
            self.gpg.close()


def sync(source: str, dest: Path, *, keyring: Path | None = None, require_signature: bool = True,
         timeout: float = 30, fetch: Fetcher | None = None,
         log: Callable[[str], None] | None = None) -> SyncResult:
    """Sync the CSAF documents of ``source`` into the folder ``dest`` (see the module's docstring).

    ``keyring`` is a file of exported OpenPGP public keys trusted besides the provider's published ones
    (needed for a bare ROLIE feed or folder with signatures). With ``require_signature=False`` a document
    whose signature is missing or bad is still taken, with a warning. ``fetch(url, headers) -> Fetched``
    replaces the HTTP client (``timeout`` applies to the default one). Raises :class:`InvalidInput` when
    the source cannot be used at all.
    """
    dest = Path(dest)
    if keyring is not None and not Path(keyring).is_file():
        raise InvalidInput(f"the keyring {keyring} is not a file (export the trusted keys with gpg --export)")
    if dest.exists() and not dest.is_dir():
        raise InvalidInput(f"{dest} is not a folder")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InvalidInput(f"cannot create {dest}: {e.strerror or e}") from None
    run = _Sync(source, dest, keyring, require_signature, fetch or urllib_fetcher(timeout), log)
    try:
        run.run()
        run.finish()
    finally:
        run.close()
        run.save_state()
    return run.result
