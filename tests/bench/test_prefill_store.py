"""The bench's prefill goes through the store's own bulk loads: what it loads is what the store answers."""

from __future__ import annotations

import pytest

from feed.bench import prefill
from feed.bench.graph import build_graph
from feed.bench.prefill import add_posts, load_store, new_posts
from feed.errors import Unavailable
from feed.ids import IdGenerator
from feed.store import open_store


def test_the_prefill_loads_every_edge_binding_and_post_and_can_run_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'feed.db'}"
    graph = build_graph(200, 20, fanout_authors=2, probes_per_size=1, background=3)
    ids = IdGenerator(node=5)
    posts = new_posts(ids, [a.author_id for a in graph.prefill] * 2, 1_700_000_000_000)
    load_store(url, graph, posts)
    load_store(url, graph, posts)  # again: nothing doubles
    later = new_posts(ids, [graph.fanout[0].author_id], 1_700_000_000_001)
    add_posts(url, later)
    store = open_store(url)
    try:
        authors = graph.all_authors()
        assert [store.graph.follower_count(a.author_id) for a in authors] == [a.followers for a in authors]
        users = [*range(1, graph.users + 1), *(a.author_id for a in authors)]
        assert store.orgs.orgs_of(users) == dict.fromkeys(users, 0)
        assert store.posts.get_posts(p.post_id for p in [*posts, *later]) == {p.post_id: p for p in [*posts, *later]}
    finally:
        store.close()


def test_a_lean_prefill_binds_the_readers_and_authors_and_no_one_else(tmp_path):
    url = f"sqlite:///{tmp_path / 'feed.db'}"
    graph = build_graph(200, 20, fanout_authors=2, probes_per_size=1, background=3)
    load_store(url, graph, [], lean=True)
    store = open_store(url)
    try:
        callers = [*range(1, 21), *(a.author_id for a in graph.all_authors())]
        assert store.orgs.orgs_of([*callers, 21, 200]) == dict.fromkeys(callers, 0)
        assert store.graph.follower_count(graph.fanout[-1].author_id) == graph.fanout[-1].followers
    finally:
        store.close()


def test_a_lean_load_retries_a_piece_the_store_timed_out_on(monkeypatch):
    monkeypatch.setattr(prefill, "RETRY_PAUSE_S", 0.0)
    loaded: list[int] = []
    failures = iter([True, True])  # the second piece times out twice, then goes through

    def load(piece: list[int]) -> None:
        if piece[0] == prefill.LOAD_PIECE and next(failures, False):
            raise Unavailable("Cassandra did not complete following.add (WriteTimeout)")
        loaded.extend(piece)

    prefill.load_in_pieces(load, iter(range(3 * prefill.LOAD_PIECE)))
    assert loaded == list(range(3 * prefill.LOAD_PIECE))


def test_a_lean_load_gives_up_after_its_attempts(monkeypatch):
    monkeypatch.setattr(prefill, "RETRY_PAUSE_S", 0.0)
    calls = []

    def load(piece: list[int]) -> None:
        calls.append(piece)
        raise Unavailable("Cassandra did not complete bind_user (WriteTimeout)")

    with pytest.raises(Unavailable):
        prefill.load_in_pieces(load, range(10), attempts=3)
    assert len(calls) == 3
