"""CSAF provider feeds over HTTP (tests/vulns/feedserver.py): a provider signed with a throwaway key made
with Debian's gpg, hashes and signatures checked, and incremental syncs that take only what changed."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plantwarden.core.errors import InvalidInput
from plantwarden.vulns import feed
from plantwarden.vulns.feed import STATE_FILE, Fetched, FetchError, sync

from ..conftest import SHARED, need_tool
from .feedserver import FeedServer

SCHEMA = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
CISA = SHARED / "advisories" / "csaf" / "cisagov"


# -- documents and keys ---------------------------------------------------------------------------------


def synthetic(i: int) -> dict:
    tid, day = f"TEST-2024-{i:03d}", "2024-01-01T00:00:00Z"
    return {"document": {
        "category": "csaf_security_advisory", "csaf_version": "2.0", "title": f"Synthetic advisory {i}",
        "publisher": {"category": "vendor", "name": "Example", "namespace": "https://example.org"},
        "tracking": {"id": tid, "status": "final", "version": "1",
                     "initial_release_date": day, "current_release_date": day,
                     "revision_history": [{"date": day, "number": "1", "summary": "Initial"}]}}}


def advisories(n: int) -> list[tuple[str, bytes]]:
    """``n`` (file name, content) pairs: real CISA advisories from ../shared when present, else synthetic."""
    real = sorted(CISA.rglob("*.json"))[:n] if CISA.is_dir() else []
    if len(real) == n:
        return [(p.name, p.read_bytes()) for p in real]
    return [(f"test-2024-{i:03d}.json", json.dumps(synthetic(i), indent=2).encode()) for i in range(n)]


def tracking_id(data: bytes) -> str:
    return json.loads(data)["document"]["tracking"]["id"]


def revised(data: bytes) -> bytes:
    doc = json.loads(data)
    tracking = doc["document"]["tracking"]
    tracking["version"] = str(int(tracking.get("version", "1").split(".")[0]) + 1)
    tracking.setdefault("revision_history", []).append(
        {"date": "2025-01-01T00:00:00Z", "number": tracking["version"], "summary": "Revised for the test"})
    return json.dumps(doc, indent=2).encode()


class Keys:
    """Two throwaway signing keys in a temporary GnuPG home: ``main`` (the provider's) and ``other``."""

    def __init__(self, home: Path) -> None:
        self.gpg = need_tool("gpg")
        self.home = home
        home.chmod(0o700)
        self.fpr = {who: self._generate(f"{name} <{who}@example.org>")
                    for who, name in (("main", "Test CSAF"), ("other", "Other Signer"))}
        self.public = {who: self._run("--armor", "--export", fpr).stdout for who, fpr in self.fpr.items()}

    def _run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([self.gpg, "--batch", "--homedir", str(self.home), *args], capture_output=True,
                              check=True, timeout=60)

    def _generate(self, uid: str) -> str:
        self._run("--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never")
        rows = self._run("--with-colons", "--list-keys", uid).stdout.decode().splitlines()
        return next(r.split(":")[9] for r in rows if r.startswith("fpr:"))

    def sign(self, path: Path, who: str = "main") -> None:
        self._run("--yes", "--pinentry-mode", "loopback", "--passphrase", "", "--local-user", self.fpr[who],
                  "--armor", "--detach-sign", "--output", str(path) + ".asc", str(path))

    def close(self) -> None:
        gpgconf = shutil.which("gpgconf")
        if gpgconf:
            subprocess.run([gpgconf, "--homedir", str(self.home), "--kill", "all"], capture_output=True,
                           check=False, timeout=30)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    k = Keys(tmp_path_factory.mktemp("gnupg"))
    yield k
    k.close()


def write_hashes(path: Path) -> None:
    data = path.read_bytes()
    for algo in ("sha256", "sha512"):
        Path(f"{path}.{algo}").write_text(f"{hashlib.new(algo, data).hexdigest()}  {path.name}\n")


class Provider:
    """A CSAF trusted provider under ``root/.well-known/csaf``: provider-metadata.json, the public key,
    a ROLIE feed (TLP:WHITE), changes.csv and index.txt, each document with .sha256, .sha512 and .asc."""

    def __init__(self, root: Path, server: FeedServer, keys: Keys) -> None:
        self.server, self.keys = server, keys
        self.csaf = root / ".well-known" / "csaf"
        self.white = self.csaf / "white"
        self.white.mkdir(parents=True)
        self.metadata = self.csaf / "provider-metadata.json"
        self.feed = self.white / "csaf-feed-tlp-white.json"
        self.key_file = self.csaf / "openpgp" / f"{keys.fpr['main']}.asc"
        self.key_file.parent.mkdir()
        self.key_file.write_bytes(keys.public["main"])
        self.entries: dict[str, dict] = {}  # relative path -> {updated, explicit}
        self.clock = 0

    def url(self, path: Path | str) -> str:
        return self.server.url(path)

    def doc(self, rel: str) -> Path:
        return self.white / rel

    def put(self, rel: str, data: bytes, *, signer: str = "main", explicit: bool = False) -> str:
        """Publish (or replace) a document, hashed and signed, with a newer ``updated``; its URL."""
        path = self.doc(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        write_hashes(path)
        self.keys.sign(path, signer)
        self.clock += 1
        self.entries[rel] = {"updated": f"2024-06-01T00:00:{self.clock:02d}Z", "explicit": explicit}
        self.publish()
        return self.url(path)

    def drop(self, rel: str) -> None:
        del self.entries[rel]
        self.publish()

    def publish(self, *, fingerprint: str | None = None, directory: bool = False) -> None:
        entries = []
        for rel, e in self.entries.items():
            url = self.url(self.doc(rel))
            links = [{"rel": "self", "href": url}]
            if e["explicit"]:
                links += [{"rel": "hash", "href": url + ".sha256"}, {"rel": "hash", "href": url + ".sha512"},
                          {"rel": "signature", "href": url + ".asc"}]
            entries.append({"id": rel, "title": rel, "link": links,
                            "published": e["updated"], "updated": e["updated"],
                            "content": {"type": "application/json", "src": url},
                            "format": {"schema": SCHEMA, "version": "2.0"}})
        self.feed.write_text(json.dumps({"feed": {
            "id": "example-csaf-feed-tlp-white", "title": "Example CSAF feed (TLP:WHITE)",
            "link": [{"rel": "self", "href": self.url(self.feed)}], "category": [],
            "updated": f"2024-06-01T00:00:{self.clock:02d}Z", "entry": entries}}, indent=1))
        rows = sorted(self.entries.items(), key=lambda kv: kv[1]["updated"], reverse=True)
        (self.white / "changes.csv").write_text("".join(f'"{rel}","{e["updated"]}"\n' for rel, e in rows))
        (self.white / "index.txt").write_text("".join(f"{rel}\n" for rel in sorted(self.entries)))
        dist = {"directory_url": self.url(self.white) + "/"} if directory else {"rolie": {"feeds": [
            {"summary": "TLP:WHITE advisories", "tlp_label": "WHITE", "url": self.url(self.feed)}]}}
        self.metadata.write_text(json.dumps({
            "canonical_url": self.url(self.metadata), "distributions": [dist],
            "last_updated": "2024-06-01T00:00:00Z",
            "list_on_CSAF_aggregators": True, "metadata_version": "2.0", "mirror_on_CSAF_aggregators": True,
            "public_openpgp_keys": [{"fingerprint": fingerprint or self.keys.fpr["main"],
                                     "url": self.url(self.key_file)}],
            "publisher": {"category": "vendor", "name": "Example", "namespace": "https://example.org"},
            "role": "csaf_trusted_provider"}, indent=1))


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    with FeedServer(root) as server:
        yield server


@pytest.fixture
def provider(served, keys):
    """A provider with three documents (the first with explicit hash and signature links)."""
    p = Provider(served.root, served, keys)
    for i, (name, data) in enumerate(advisories(3)):
        p.put(f"2024/{name}", data, explicit=i == 0)
    return p


def path_of(server: FeedServer, url: str) -> str:
    assert url.startswith(server.base)
    return url[len(server.base) - 1:]


def doc_requests(server: FeedServer) -> list[str]:
    """The requested paths of documents and their hash and signature files (not feeds, keys, listings)."""
    return [p for p in server.paths if "/white/2024/" in p]


# -- provider feeds ---------------------------------------------------------------------------------------


def test_provider_feed_second_sync_takes_only_what_changed(provider, tmp_path):
    server, dest = provider.server, tmp_path / "advisories"
    urls = [provider.url(provider.doc(rel)) for rel in provider.entries]
    meta = provider.url(provider.metadata)

    first = sync(meta, dest)
    assert sorted(first.new) == sorted(urls)
    assert not first.rejected and not first.warnings and not first.updated
    for rel in provider.entries:
        data = provider.doc(rel).read_bytes()
        stored = dest / f"{tracking_id(data).lower()}.json"
        assert stored.read_bytes() == data and first.files[provider.url(provider.doc(rel))] == stored
    # SHA-512 is preferred: the .sha256 files are never asked for
    assert not [p for p in server.paths if p.endswith(".sha256")]
    assert all(path_of(server, u) + s in server.paths for u in urls for s in (".sha512", ".asc"))

    server.clear()
    second = sync(meta, dest)
    assert sorted(second.unchanged) == sorted(urls) and not second.new and not second.updated
    assert doc_requests(server) == [] and not [u for u in second.fetched_urls if "/2024/" in u]
    assert ("/.well-known/csaf/white/csaf-feed-tlp-white.json", 304) in server.log  # a conditional request
    assert not [p for p in server.paths if "/openpgp/" in p]  # no document to check, no key fetched

    changed_rel, kept = list(provider.entries)[1], list(provider.entries)[::2]
    changed_data = revised(provider.doc(changed_rel).read_bytes())
    changed = provider.put(changed_rel, changed_data)
    name, data = advisories(4)[3]
    added = provider.put(f"2024/{name}", data)
    server.clear()
    third = sync(meta, dest)
    assert third.updated == [changed] and third.new == [added] and not third.rejected
    assert sorted(third.unchanged) == sorted(provider.url(provider.doc(rel)) for rel in kept)
    fetched_docs = {p for p in doc_requests(server) if p.endswith(".json")}
    assert fetched_docs == {path_of(server, changed), path_of(server, added)}
    assert (dest / f"{tracking_id(data).lower()}.json").read_bytes() == data
    assert json.loads(third.files[changed].read_bytes())["document"]["tracking"]["revision_history"][-1][
        "summary"] == "Revised for the test"

    provider.drop(kept[0])
    server.clear()
    fourth = sync(meta, dest)
    gone = provider.url(provider.doc(kept[0]))
    assert fourth.removed_upstream == [gone] and doc_requests(server) == []
    assert (dest / f"{tracking_id(provider.doc(kept[0]).read_bytes()).lower()}.json").exists()  # kept
    state = json.loads((dest / STATE_FILE).read_text())
    assert state["documents"][changed]["sha256"] == hashlib.sha256(changed_data).hexdigest()


def test_directory_distribution_with_changes_csv(provider, tmp_path):
    server, dest = provider.server, tmp_path / "advisories"
    provider.publish(directory=True)
    meta = provider.url(provider.metadata)
    first = sync(meta, dest)
    assert len(first.new) == 3 and not first.rejected and not first.warnings
    assert "/.well-known/csaf/white/changes.csv" in server.paths
    assert "/.well-known/csaf/white/csaf-feed-tlp-white.json" not in server.paths

    server.clear()
    assert len(sync(meta, dest).unchanged) == 3 and doc_requests(server) == []

    rel = list(provider.entries)[0]
    url = provider.put(rel, revised(provider.doc(rel).read_bytes()))
    provider.publish(directory=True)
    server.clear()
    third = sync(meta, dest)
    assert third.updated == [url] and len(third.unchanged) == 2
    assert {p for p in doc_requests(server) if p.endswith(".json")} == {path_of(server, url)}

    # a newer time for the same content: one conditional request, answered 304, nothing else fetched
    rel = list(provider.entries)[1]
    same = provider.put(rel, provider.doc(rel).read_bytes())
    provider.publish(directory=True)
    server.clear()
    fourth = sync(meta, dest)
    assert len(fourth.unchanged) == 3 and not fourth.updated and not fourth.new
    assert doc_requests(server) == [path_of(server, same)] and (path_of(server, same), 304) in server.log

    # index.txt when there is no changes.csv; a directory URL works as the source too
    (provider.white / "changes.csv").unlink()
    keyring = tmp_path / "trusted.asc"
    keyring.write_bytes(provider.keys.public["main"])
    fresh = sync(provider.url(provider.white) + "/", tmp_path / "other", keyring=keyring)
    assert len(fresh.new) == 3 and not fresh.rejected
    assert "/.well-known/csaf/white/index.txt" in server.paths


def test_rolie_feed_as_source_with_a_keyring(provider, keys, tmp_path):
    keyring = tmp_path / "trusted.asc"
    keyring.write_bytes(keys.public["main"])
    feed_url = provider.url(provider.feed)
    assert len(sync(feed_url, tmp_path / "a", keyring=keyring).new) == 3
    bare = sync(feed_url, tmp_path / "b")  # no key to check against
    assert not bare.new and len(bare.rejected) == 3
    assert all("no trusted OpenPGP key" in reason for _, reason in bare.rejected)
    lax = sync(feed_url, tmp_path / "c", require_signature=False)
    assert len(lax.new) == 3 and len([w for w in lax.warnings if "without a verified signature" in w]) == 3


# -- what is refused --------------------------------------------------------------------------------------


def test_tampered_document_is_rejected(provider, tmp_path):
    rels = list(provider.entries)
    victim = provider.doc(rels[1])
    victim.write_bytes(victim.read_bytes().replace(b"}", b" }", 1))
    result = sync(provider.url(provider.metadata), tmp_path / "a")
    url = provider.url(victim)
    assert len(result.new) == 2 and url not in result.new
    [(bad, reason)] = result.rejected
    assert bad == url and reason.startswith("SHA-512 mismatch")
    assert not (tmp_path / "a" / f"{tracking_id(victim.read_bytes()).lower()}.json").exists()

    Path(f"{victim}.sha512").unlink()  # falls back to SHA-256, which does not match either
    [(_, reason)] = sync(provider.url(provider.metadata), tmp_path / "a").rejected
    assert reason.startswith("SHA-256 mismatch")


def test_signature_by_another_key_is_rejected(provider, tmp_path):
    rel = list(provider.entries)[2]
    provider.put(rel, provider.doc(rel).read_bytes(), signer="other")
    result = sync(provider.url(provider.metadata), tmp_path / "a")
    [(bad, reason)] = result.rejected
    assert bad == provider.url(provider.doc(rel)) and "unknown key" in reason and len(result.new) == 2


def test_altered_signature_file_is_rejected(provider, tmp_path):
    rel = list(provider.entries)[0]
    provider.doc(rel).with_name(provider.doc(rel).name + ".asc").write_text("not a signature\n")
    [(_, reason)] = sync(provider.url(provider.metadata), tmp_path / "a").rejected
    assert "signature" in reason


def test_missing_signature_rejected_unless_optional(provider, tmp_path):
    rel = list(provider.entries)[1]
    Path(f"{provider.doc(rel)}.asc").unlink()
    url, meta = provider.url(provider.doc(rel)), provider.url(provider.metadata)
    strict = sync(meta, tmp_path / "a")
    assert [u for u, _ in strict.rejected] == [url] and "no OpenPGP signature" in strict.rejected[0][1]
    lax = sync(meta, tmp_path / "b", require_signature=False)
    assert len(lax.new) == 3 and not lax.rejected
    assert [w for w in lax.warnings if url in w and "without a verified signature" in w]
    # once signed, the next strict sync takes it even though its `updated` did not change
    provider.keys.sign(provider.doc(rel))
    assert sync(meta, tmp_path / "b").updated == [url]


def test_wrong_published_fingerprint_rejects_every_document(provider, keys, tmp_path):
    provider.publish(fingerprint=keys.fpr["other"])
    result = sync(provider.url(provider.metadata), tmp_path / "a")
    assert not result.new and len(result.rejected) == 3
    assert all("no trusted OpenPGP key (none of the provider's published keys checks out" in reason
               for _, reason in result.rejected)
    assert [w for w in result.warnings if keys.fpr["main"] in w and keys.fpr["other"] in w]


def test_bad_sources_raise_invalid_input(served, provider, tmp_path):
    dest = tmp_path / "a"
    garbage = served.root / "garbage.json"
    garbage.write_text("{not json")
    with pytest.raises(InvalidInput, match="not JSON"):
        sync(served.url("garbage.json"), dest)
    garbage.write_text('{"hello": "world"}')
    with pytest.raises(InvalidInput, match="neither"):
        sync(served.url("garbage.json"), dest)
    with pytest.raises(InvalidInput, match="HTTP 404"):
        sync(served.url("missing.json"), dest)
    with pytest.raises(InvalidInput, match="cannot connect"):
        sync("http://127.0.0.1:9/provider-metadata.json", dest, timeout=5)
    with pytest.raises(InvalidInput, match="unsupported source"):
        sync("ftp://example.org/provider-metadata.json", dest)
    meta = json.loads(provider.metadata.read_text())
    provider.metadata.write_text(json.dumps({**meta, "distributions": []}))
    with pytest.raises(InvalidInput, match="no distribution"):
        sync(provider.url(provider.metadata), dest)
    provider.publish()
    provider.feed.write_text("[1, 2")
    with pytest.raises(InvalidInput, match="could be read"):
        sync(provider.url(provider.metadata), dest)
    served.redirects["/moved.json"] = "file:///etc/passwd"
    with pytest.raises(InvalidInput, match="refused a redirect"):
        sync(served.url("moved.json"), dest)


def test_remote_garbage_documents_are_rejected_not_raised(provider, tmp_path, monkeypatch):
    rels = list(provider.entries)
    provider.put(rels[0], b"\xff\xfe not json at all")
    provider.put(rels[1], json.dumps({"document": {"title": "no tracking"}}).encode())
    feed_json = json.loads(provider.feed.read_text())
    feed_json["feed"]["entry"][2]["link"] = [{"rel": "self", "href": "file:///etc/passwd"}]
    feed_json["feed"]["entry"].append({"id": "x", "link": 5})
    feed_json["feed"]["entry"].append("nonsense")
    provider.feed.write_text(json.dumps(feed_json))
    result = sync(provider.url(provider.metadata), tmp_path / "a")
    reasons = dict(result.rejected)
    assert "not UTF-8" in reasons[provider.url(provider.doc(rels[0]))]
    assert "no document.tracking.id" in reasons[provider.url(provider.doc(rels[1]))]
    assert "refusing a file: URL" in reasons["file:///etc/passwd"]
    assert "file:///etc/passwd" not in result.fetched_urls and not result.new

    monkeypatch.setattr(feed, "MAX_DOWNLOAD", 200_000)
    doc = json.loads(provider.doc(rels[2]).read_bytes())
    doc["document"]["notes"] = [{"category": "general", "text": "x" * 300_000}]
    provider.put(rels[2], json.dumps(doc).encode())
    big = sync(provider.url(provider.metadata), tmp_path / "b")
    assert dict(big.rejected)[provider.url(provider.doc(rels[2]))].endswith("larger than 200000 bytes")


# -- local folders ----------------------------------------------------------------------------------------


def test_local_folder_import(tmp_path):
    src, dest = tmp_path / "in", tmp_path / "out"
    (src / "2024").mkdir(parents=True)
    docs = advisories(3)
    for name, data in docs:
        (src / "2024" / name).write_bytes(data)
    (src / "notes.json").write_text('{"not": "csaf"}')
    first = sync(str(src), dest)
    assert len(first.new) == 3 and not first.warnings
    assert [reason for _, reason in first.rejected] == ["not a CSAF document (no document.tracking.id)"]
    assert {p.name for p in dest.glob("[!.]*.json")} == {f"{tracking_id(d).lower()}.json" for _, d in docs}
    second = sync(src.as_uri(), dest)
    assert len(second.unchanged) == 3 and [u for u in second.fetched_urls if "/2024/" in u] == []

    write_hashes(src / "2024" / docs[0][0])
    (src / "2024" / docs[0][0]).write_bytes(docs[0][1] + b"\n")  # changed after hashing
    third = sync(str(src), dest)
    assert [u for u, r in third.rejected if r.startswith("SHA-512 mismatch")] == [
        (src / "2024" / docs[0][0]).as_uri()]


def test_local_folder_with_signatures(tmp_path, keys):
    src, dest = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    docs = advisories(3)
    for name, data in docs:
        (src / name).write_bytes(data)
    keys.sign(src / docs[0][0])
    keys.sign(src / docs[1][0], "other")
    keyring = tmp_path / "trusted.asc"
    keyring.write_bytes(keys.public["main"])
    result = sync(str(src), dest, keyring=keyring)
    assert sorted(result.new) == sorted([(src / docs[0][0]).as_uri(), (src / docs[2][0]).as_uri()])
    [(bad, reason)] = result.rejected
    assert bad == (src / docs[1][0]).as_uri() and "unknown key" in reason
    with pytest.raises(InvalidInput, match="keyring"):
        sync(str(src), dest, keyring=tmp_path / "missing.asc")


# -- without a server -------------------------------------------------------------------------------------


def memory_fetcher(files: dict[str, bytes], asked: list[tuple[str, dict]]):
    def fetch(url, headers):
        asked.append((url, dict(headers)))
        if url not in files:
            raise FetchError("not found", status=404)
        etag = '"' + hashlib.sha256(files[url]).hexdigest()[:16] + '"'
        if headers.get("If-None-Match") == etag:
            return Fetched(304, etag=etag)
        return Fetched(200, files[url], etag=etag)
    return fetch


def test_a_custom_fetcher_replaces_http(tmp_path):
    base = "https://csaf.example.org/white/"
    (name, data), = advisories(1)
    files = {base + "feed.json": json.dumps({"feed": {"entry": [
        {"id": "a", "updated": "2024-01-01T00:00:00Z", "link": [{"rel": "self", "href": name}]}]}}).encode(),
        base + name: data, base + name + ".sha256": f"{hashlib.sha256(data).hexdigest()}  {name}\n".encode()}
    asked: list[tuple[str, dict]] = []
    logged: list[str] = []
    r = sync(base + "feed.json", tmp_path, require_signature=False, fetch=memory_fetcher(files, asked),
             log=logged.append)
    doc = base + name
    assert r.new == [doc] and [u for u, _ in asked] == r.fetched_urls == [
        base + "feed.json", doc, doc + ".sha512", doc + ".sha256", doc + ".asc"]
    assert any("accepted without a verified signature" in w for w in r.warnings) and logged
    asked.clear()
    r = sync(base + "feed.json", tmp_path, require_signature=False, fetch=memory_fetcher(files, asked))
    assert r.unchanged == [base + name] and len(asked) == 1 and "If-None-Match" in asked[0][1]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["feed", "entry", "link", "rel", "href", "self", "hash", "signature", "updated",
                         "content", "src", "distributions", "rolie", "feeds", "url", "directory_url",
                         "public_openpgp_keys", "fingerprint", "canonical_url", "document", "tracking", "id"])
        | st.text(max_size=4),
        inner, max_size=5),
    max_leaves=25)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=JSON, wrap=st.sampled_from(["bare", "feed", "provider"]))
def test_remote_garbage_never_raises_anything_but_invalid_input(tmp_path, garbage, wrap):
    provider = {"canonical_url": "x", "distributions": garbage, "public_openpgp_keys": garbage}
    body = {"bare": garbage, "feed": {"feed": {"entry": garbage}}, "provider": provider}[wrap]
    text = json.dumps(body).encode()

    def fetch(url, headers):  # every URL answers the same garbage
        return Fetched(200, text)

    try:
        r = sync("https://csaf.example.org/provider-metadata.json", tmp_path / "out", require_signature=False,
                 fetch=fetch)
    except InvalidInput:
        return
    assert all(isinstance(reason, str) for _, reason in r.rejected)
