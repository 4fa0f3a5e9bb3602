"""Indicators in the store (SQLite and PostgreSQL): add, re-import, list, remove, and the detections' context."""

from __future__ import annotations

import pytest

from plantwarden.detections.base import Context
from plantwarden.iocs.matcher import IndicatorMatcher
from plantwarden.iocs.model import Indicator
from plantwarden.store.indicators import UnknownIndicatorError
from plantwarden.store.ingest import context_from
from plantwarden.store.service import Store


def test_add_list_update_remove(target):
    with Store(target) as store:
        ch = store.add_indicators([
            Indicator("ip", "198.51.100.7", "feed", "C2", "indicator--a", 100.0, 200.0),
            Indicator("domain", "evil.example", "feed", "dropper"),
            Indicator("domain", "evil.example", "feed", "again"),  # repeated within the import
            Indicator("domain", "evil.example", "other"),  # same value, other source: its own row
        ], at=10.0)
        assert (ch.added, ch.updated, ch.unchanged, ch.duplicates) == (3, 0, 0, 1)
        items = store.indicators()
        assert [(i.kind, i.value, i.source, i.description) for i in items] == [
            ("ip", "198.51.100.7", "feed", "C2"), ("domain", "evil.example", "feed", "dropper"),
            ("domain", "evil.example", "other", "")]
        first = items[0]
        assert (first.stix_id, first.valid_from, first.valid_until) == ("indicator--a", 100.0, 200.0)
        assert first.id is not None
        # importing the feed again: same rows, changed details updated
        ch = store.add_indicators([Indicator("ip", "198.51.100.7", "feed", "C2", "indicator--a", 100.0, 300.0),
                                   Indicator("domain", "evil.example", "feed", "dropper")], at=20.0)
        assert (ch.added, ch.updated, ch.unchanged) == (0, 1, 1)
        assert store.indicators(kind="ip")[0].valid_until == 300.0
        assert [i.source for i in store.indicators(source="other")] == ["other"]
        removed = store.remove_indicator(first.id)
        assert removed.value == "198.51.100.7" and len(store.indicators()) == 2
        with pytest.raises(UnknownIndicatorError):
            store.remove_indicator(first.id)
    with Store(target) as store:  # persisted
        assert len(store.indicators()) == 2


def test_hostile_and_long_strings_are_stored(target):
    evil = "\x00\x1b[2J\u202e" + "é" * 2000
    with Store(target) as store:
        store.add_indicators([Indicator("domain", "evil.example", evil, evil, evil[:128])])
        [got] = store.indicators()
        assert got.source == evil.replace("\x00", "\\x00")[:128]
        assert got.description == evil.replace("\x00", "\\x00")[:1024]


def test_the_context_carries_the_stored_indicators(target):
    with Store(target) as store:
        assert context_from(store) == Context() and not context_from(store).indicators
        store.add_indicators([Indicator("cidr", "203.0.113.0/24", "feed"), Indicator("domain", "evil.example", "f")])
        m = context_from(store).indicators
        assert isinstance(m, IndicatorMatcher) and len(m) == 2
        assert [i.value for i in m.match_ip("203.0.113.5")] == ["203.0.113.0/24"]
        assert m.match_ip("203.0.113.5")[0].id is not None  # alerts can name the stored row
        assert store.indicator_matcher() == m
