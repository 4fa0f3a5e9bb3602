"""Asset tags in the store (docs/tags.md), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from plantwarden.core.errors import InvalidInput, NotFound
from plantwarden.store.service import Store
from plantwarden.store.tags import tag_members


def test_add_normalises_and_is_idempotent(target: str) -> None:
    with Store(target) as store:
        assert store.add_tags("historian", ["10.1.3.5", "00-1B-1B-AA-BB-CC", "2001:DB8:0:0::7"], note="TK-12",
                              at=100.0) == ["00:1b:1b:aa:bb:cc", "10.1.3.5", "2001:db8::7"]
        # the same addresses written another way are the same tags
        assert store.add_tags("historian", ["00:1b:1b:aa:bb:cc", " 10.1.3.5 ", "2001:db8::7"]) == []
        assert store.add_tags("line-1", ["10.1.3.5"], at=101.0) == ["10.1.3.5"]
        tags = store.tags()
    assert [(t.tag, t.address, t.note) for t in tags] == [
        ("historian", "00:1b:1b:aa:bb:cc", "TK-12"), ("historian", "10.1.3.5", "TK-12"),
        ("historian", "2001:db8::7", "TK-12"), ("line-1", "10.1.3.5", None)]
    assert tag_members(tags) == {"historian": frozenset({"00:1b:1b:aa:bb:cc", "10.1.3.5", "2001:db8::7"}),
                                 "line-1": frozenset({"10.1.3.5"})}


def test_remove_some_then_all(target: str) -> None:
    with Store(target) as store:
        store.add_tags("historian", ["10.1.3.5", "10.1.3.6", "10.1.3.7"])
        assert store.remove_tags("historian", ["10.1.3.6", "10.9.9.9"]) == ["10.1.3.6"]
        assert store.remove_tags("historian") == ["10.1.3.5", "10.1.3.7"]
        assert store.tags() == []
        with pytest.raises(NotFound):
            store.remove_tags("historian")
        with pytest.raises(NotFound):
            store.remove_tags("nope", ["10.1.3.5"])


@pytest.mark.parametrize(("tag", "address"), [
    ("", "10.0.0.1"), ("-lead", "10.0.0.1"), ("a b", "10.0.0.1"), ("x" * 65, "10.0.0.1"),
    ("role-plc", "10.0.0.1"),  # role tags come from the inventory
    ("ok", "10.0.0.300"), ("ok", "host.example"), ("ok", "00:1b:1b:aa:bb"), ("ok", "<script>"),
])
def test_bad_tags_and_addresses_are_refused_and_nothing_is_stored(tmp_path, tag: str, address: str) -> None:
    with Store(str(tmp_path / "t.sqlite")) as store:
        with pytest.raises(InvalidInput):
            store.add_tags(tag, ["10.0.0.2", address])
        assert store.tags() == []
