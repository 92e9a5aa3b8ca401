"""The bounded cache keeps the most recently used entries, never more than its bound, under threads too."""

from __future__ import annotations

import sys
import threading

import pytest

from feed.lru import BoundedLru


def test_past_the_bound_the_least_recently_used_entry_is_dropped():
    cache: BoundedLru[int, str] = BoundedLru(2)
    cache.put(1, "a")
    cache.put(2, "b")
    assert cache.get(1) == "a"  # 1 is now the most recently used
    cache.put(3, "c")
    assert (cache.get(1), cache.get(2), cache.get(3)) == ("a", None, "c")
    assert len(cache) == 2 and cache.max_entries == 2


def test_putting_a_known_key_replaces_its_value_and_refreshes_it():
    cache: BoundedLru[int, str] = BoundedLru(2)
    cache.put(1, "a")
    cache.put(2, "b")
    cache.put(1, "a2")
    cache.put(3, "c")
    assert (cache.get(1), cache.get(2)) == ("a2", None)


def test_a_discarded_entry_is_gone_and_discarding_an_absent_one_is_harmless():
    cache: BoundedLru[int, str] = BoundedLru(4)
    cache.put(1, "a")
    cache.discard(1)
    cache.discard(2)
    assert cache.get(1) is None and len(cache) == 0


def test_a_cache_holds_at_least_one_entry():
    with pytest.raises(ValueError):
        BoundedLru(0)


def test_threads_sharing_a_cache_never_break_it_nor_its_bound():
    """The servers' handler threads share each cache: cachetools' LRUCache alone is not safe for that."""
    cache: BoundedLru[int, int] = BoundedLru(64)
    errors: list[BaseException] = []

    def churn(start: int) -> None:
        try:
            for i in range(20_000):
                key = (start + i) % 200
                cache.put(key, key)
                found = cache.get((key + 7) % 200)
                assert found is None or found == (key + 7) % 200
                if i % 5 == 0:
                    cache.discard((key + 3) % 200)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=churn, args=(n * 31,)) for n in range(6)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so unlocked updates would interleave
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        sys.setswitchinterval(interval)
    assert not errors and not any(t.is_alive() for t in threads)
    assert len(cache) <= 64
