"""The parts of the Cassandra backend that need no cluster: config, layout, paging, schema files.

The store's behaviour against a real cluster is tests/store/test_cassandra_store.py.
"""

from __future__ import annotations

import contextlib
import inspect
import random
import re
import sqlite3
from collections import Counter

import pytest
from cassandra import ConsistencyLevel, WriteType
from cassandra.query import SimpleStatement
from hypothesis import given
from hypothesis import strategies as st

from feed.commands.schema import main
from feed.errors import InvalidArgument
from feed.ids import MAX_ID, IdGenerator
from feed.store.base import GraphStore, OrgStore, PostStore
from feed.store.cassandra.edges import MAX_WINDOW, plan_window, walk_page
from feed.store.cassandra.graph import CassandraGraphStore
from feed.store.cassandra.layout import (
    AUTHOR_BUCKET_MS,
    EDGE_BUCKETS,
    EDGE_TABLES,
    START,
    STATEMENTS,
    EdgeCursor,
    author_bucket,
    decode_page_token,
    delete_time_us,
    edge_bucket,
    encode_page_token,
    write_time_us,
)
from feed.store.cassandra.markers import CassandraMarkerStore
from feed.store.cassandra.orgs import CassandraOrgStore
from feed.store.cassandra.outbox import CassandraOutboxStore
from feed.store.cassandra.posts import CassandraPostStore
from feed.store.cassandra.schema import (
    SCHEMA_VERSION_TABLE,
    added_column,
    schema_files,
    split_statements,
)
from feed.store.cassandra.session import IdempotentOnlyRetryPolicy
from feed.store.cassandra.settings import CassandraSettings, parse_cassandra_url, parse_replication
from feed.store.markers import MarkerStore
from feed.store.outbox import OutboxStore
from feed.store.url import apply_schema
from tests.clock import FakeClock

CASSANDRA_VARS = (
    "FEED_CASSANDRA_LOCAL_DC",
    "FEED_CASSANDRA_USERNAME",
    "FEED_CASSANDRA_PASSWORD",
    "FEED_CASSANDRA_CONSISTENCY",
    "FEED_CASSANDRA_REPLICATION",
    "FEED_CASSANDRA_TIMEOUT_S",
)

# URL


def test_url_names_each_host_with_its_port_and_the_keyspace():
    points, keyspace = parse_cassandra_url("cassandra://10.0.0.1,db-2.internal:9043,[::1]:9044/feed_prod")
    assert points == (("10.0.0.1", 9042), ("db-2.internal", 9043), ("::1", 9044))
    assert keyspace == "feed_prod"


def test_url_port_defaults_to_9042():
    assert parse_cassandra_url("cassandra://localhost/feed") == ((("localhost", 9042),), "feed")


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///feed.db",
        "cassandra:///feed",  # no host
        "cassandra://a,,b/feed",  # empty host
        "cassandra://a",  # no keyspace
        "cassandra://a/",
        "cassandra://a/Feed",  # would fold to lowercase in CQL
        "cassandra://a/feed;drop",
        "cassandra://a/feed?x=1",
        "cassandra://a/" + "k" * 49,  # Cassandra's limit is 48
        "cassandra://a:0/feed",
        "cassandra://a:65536/feed",
        "cassandra://a:port/feed",
        "cassandra://::1/feed",  # IPv6 needs brackets
        "cassandra://[::1/feed",
        "cassandra://user:secret@a/feed",
    ],
)
def test_bad_urls_are_rejected(url):
    with pytest.raises(InvalidArgument):
        parse_cassandra_url(url)


def test_credentials_in_the_url_point_to_the_environment_variables():
    with pytest.raises(InvalidArgument, match="FEED_CASSANDRA_USERNAME"):
        parse_cassandra_url("cassandra://user:secret@a/feed")


# settings


def test_settings_defaults():
    settings = CassandraSettings.from_env("cassandra://a/feed", env={})
    assert settings.local_dc == "datacenter1"
    assert settings.consistency_level == ConsistencyLevel.LOCAL_QUORUM
    assert settings.serial_consistency_level == ConsistencyLevel.LOCAL_SERIAL
    assert settings.replication == "{'class': 'NetworkTopologyStrategy', 'datacenter1': '3'}"
    assert settings.timeout_s == 5.0
    assert settings.username == settings.password == ""


def test_settings_read_every_variable():
    env = {
        "FEED_CASSANDRA_LOCAL_DC": "eu-west",
        "FEED_CASSANDRA_USERNAME": "feed",
        "FEED_CASSANDRA_PASSWORD": "hunter2",
        "FEED_CASSANDRA_CONSISTENCY": "quorum",
        "FEED_CASSANDRA_REPLICATION": "{'class': 'SimpleStrategy', 'replication_factor': 1}",
        "FEED_CASSANDRA_TIMEOUT_S": "2.5",
    }
    settings = CassandraSettings.from_env("cassandra://a/feed", env=env)
    assert (settings.local_dc, settings.username, settings.password) == ("eu-west", "feed", "hunter2")
    assert settings.consistency_level == ConsistencyLevel.QUORUM
    assert settings.serial_consistency_level == ConsistencyLevel.SERIAL
    assert settings.replication == "{'class': 'SimpleStrategy', 'replication_factor': '1'}"
    assert settings.timeout_s == 2.5


def test_the_password_never_shows_in_repr_or_str():
    env = {"FEED_CASSANDRA_USERNAME": "feed", "FEED_CASSANDRA_PASSWORD": "hunter2"}
    settings = CassandraSettings.from_env("cassandra://a/feed", env=env)
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FEED_CASSANDRA_LOCAL_DC", "dc 1"),
        ("FEED_CASSANDRA_USERNAME", "feed"),  # without a password
        ("FEED_CASSANDRA_PASSWORD", "hunter2"),  # without a username
        ("FEED_CASSANDRA_CONSISTENCY", "MOST"),
        ("FEED_CASSANDRA_CONSISTENCY", "SERIAL"),
        ("FEED_CASSANDRA_REPLICATION", "three"),
        ("FEED_CASSANDRA_TIMEOUT_S", "soon"),
        ("FEED_CASSANDRA_TIMEOUT_S", "0"),
        ("FEED_CASSANDRA_TIMEOUT_S", "nan"),
        ("FEED_CASSANDRA_TIMEOUT_S", "1e9"),
    ],
)
def test_an_invalid_variable_is_named_in_the_error(name, value):
    with pytest.raises(InvalidArgument, match=name):
        CassandraSettings.from_env("cassandra://a/feed", env={name: value})


@pytest.mark.parametrize(
    ("raw", "rendered"),
    [
        (
            '{"class": "SimpleStrategy", "replication_factor": 1}',
            "{'class': 'SimpleStrategy', 'replication_factor': '1'}",
        ),
        (
            "{'class': 'org.apache.cassandra.locator.NetworkTopologyStrategy', 'dc1': 3, 'dc2': '2'}",
            "{'class': 'NetworkTopologyStrategy', 'dc1': '3', 'dc2': '2'}",
        ),
    ],
)
def test_replication_accepts_json_or_a_cql_map_and_renders_cql(raw, rendered):
    assert parse_replication(raw, "--replication") == rendered


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "[1, 2]",
        '{"class": "EverywhereStrategy"}',
        '{"class": "SimpleStrategy"}',
        '{"class": "SimpleStrategy", "replication_factor": 0}',
        '{"class": "SimpleStrategy", "replication_factor": true}',
        '{"class": "NetworkTopologyStrategy"}',
        '{"class": "NetworkTopologyStrategy", "dc1\'}; DROP KEYSPACE x; --": 3}',
        "__import__('os')",
    ],
)
def test_replication_rejects_anything_but_a_checked_map(raw):
    with pytest.raises(InvalidArgument, match="--replication"):
        parse_replication(raw, "--replication")


# layout


def test_edge_bucket_is_pinned_because_stored_rows_depend_on_it():
    assert [edge_bucket(i) for i in (1, 2, 3, 1 << 62, 1234567890123456789)] == [37, 10, 48, 5, 18]


def test_edge_buckets_are_in_range_and_spread_evenly_for_snowflake_and_small_ids():
    generator = IdGenerator(node=7)
    for ids in ([generator.next_id() for _ in range(64 * 200)], list(range(1, 64 * 200 + 1))):
        counts = Counter(edge_bucket(i) for i in ids)
        assert set(counts) == set(range(EDGE_BUCKETS))
        assert min(counts.values()) > 100 and max(counts.values()) < 300  # mean 200


def first_id_at(time_ms: int) -> int:
    """The first id a generator makes at time_ms (node 0, sequence 0)."""
    return IdGenerator(node=0, clock=FakeClock(time_ms / 1000)).next_id()


def test_author_bucket_is_thirty_days_of_id_time_and_never_decreases():
    start = 1_735_689_600_000  # 2025-01-01
    assert author_bucket(first_id_at(start)) == start // AUTHOR_BUCKET_MS == 669
    assert author_bucket(first_id_at(start + AUTHOR_BUCKET_MS)) == 670
    ids = sorted(random.randrange(1, MAX_ID) for _ in range(1000))
    buckets = [author_bucket(i) for i in ids]
    assert buckets == sorted(buckets)
    assert 0 <= author_bucket(MAX_ID) < 2**31  # fits the int column


def test_a_delete_is_always_later_than_the_create_it_deletes():
    post_id = first_id_at(1_735_689_600_000)
    assert delete_time_us(post_id, now_us=0) > write_time_us(post_id)
    assert delete_time_us(post_id, now_us=write_time_us(post_id) + 10**6) == write_time_us(post_id) + 10**6


@given(st.integers(0, EDGE_BUCKETS - 1), st.integers(START, MAX_ID))
def test_page_tokens_round_trip(bucket, after):
    token = encode_page_token(EdgeCursor(bucket, after))
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert decode_page_token(token) == EdgeCursor(bucket, after)


def test_no_token_is_the_start():
    assert decode_page_token(None) == decode_page_token("") == EdgeCursor(0, START)


@pytest.mark.parametrize(
    "token",
    [
        "123",  # a SQLite token
        "!!!!",
        "AQMAAAAAAAAAKg==x",
        "AQMAAAAAAAAA",  # too short
        "AQMAAAAAAAAAKgAA",  # too long
        "AkMAAAAAAAAAKg",  # unknown version
        encode_page_token(EdgeCursor(0, 1)).replace("AQA", "AUA", 1),  # bucket 64
    ],
)
def test_garbage_tokens_are_rejected(token):
    with pytest.raises(InvalidArgument, match="page_token"):
        decode_page_token(token)


# paging over buckets (walk_page is pure: fetch reads from a dict here, from Cassandra in the store)


def _fetch_from(buckets: dict[int, list[int]], windows: list[int]):
    def fetch(requests, limit):
        windows.append(len(requests))
        return [[i for i in buckets.get(b, []) if i > after][:limit] for b, after in requests]

    return fetch


def _walk(buckets: dict[int, list[int]], page_size: int, windows: list[int]) -> list[int]:
    seen: list[int] = []
    token = None
    for _ in range(10_000):
        page = walk_page(_fetch_from(buckets, windows), page_size, decode_page_token(token))
        assert len(page.ids) <= page_size
        seen.extend(page.ids)
        token = page.next_token
        if token is None:
            return seen
    raise AssertionError("paging did not end")


@given(st.sets(st.integers(1, MAX_ID), max_size=300), st.integers(1, 40))
def test_a_walk_returns_every_id_exactly_once_in_bucket_order(ids, page_size):
    buckets: dict[int, list[int]] = {}
    for i in sorted(ids):
        buckets.setdefault(edge_bucket(i), []).append(i)
    expected = [i for b in sorted(buckets) for i in buckets[b]]
    assert _walk(buckets, page_size, []) == expected


def test_an_account_without_edges_is_one_empty_page_in_a_few_round_trips():
    windows: list[int] = []
    page = walk_page(_fetch_from({}, windows), 5000, EdgeCursor())
    assert page.ids == [] and page.next_token is None
    assert sum(windows) == EDGE_BUCKETS and len(windows) <= 1 + EDGE_BUCKETS // MAX_WINDOW


def test_a_celebrity_page_is_one_bucket_read():
    windows: list[int] = []
    buckets = {b: list(range(b * 100_000 + 1, b * 100_000 + 10_001)) for b in range(EDGE_BUCKETS)}
    page = walk_page(_fetch_from(buckets, windows), 5000, EdgeCursor())
    assert page.ids == buckets[0][:5000] and windows == [1]
    assert decode_page_token(page.next_token) == EdgeCursor(0, buckets[0][4999])


def test_window_grows_with_the_page_left_to_fill_and_the_density_seen():
    assert plan_window(need=100, rows_seen=0, buckets_seen=0, buckets_left=64) == 1
    assert plan_window(need=100, rows_seen=0, buckets_seen=1, buckets_left=63) == MAX_WINDOW
    assert plan_window(need=100, rows_seen=50, buckets_seen=1, buckets_left=63) == 2
    assert plan_window(need=100, rows_seen=500, buckets_seen=1, buckets_left=63) == 1
    assert plan_window(need=100, rows_seen=1, buckets_seen=1, buckets_left=5) == 5


# schema files


def _primary_key(statement: str) -> tuple[list[str], list[str]]:
    """(partition key columns, clustering columns) of a CREATE TABLE."""
    inline = re.search(r"(\w+)\s+\w+\s+PRIMARY KEY", statement)
    if inline:
        return [inline.group(1)], []
    start = statement.index("(", statement.index("PRIMARY KEY"))
    depth = 0
    for end in range(start, len(statement)):
        depth += {"(": 1, ")": -1}.get(statement[end], 0)
        if depth == 0:
            body = statement[start + 1 : end].strip()
            break
    if body.startswith("("):
        partition, _, rest = body[1:].partition(")")
        columns = [c.strip() for c in rest.split(",") if c.strip()]
        return [c.strip() for c in partition.split(",")], columns
    first, *rest = [c.strip() for c in body.split(",")]
    return [first], rest


def _tables() -> dict[str, str]:
    statements = [s for f in schema_files() for s in f.statements] + [SCHEMA_VERSION_TABLE]
    creates = [s for s in statements if "CREATE TABLE" in s]
    return {re.search(r"\{keyspace\}\.(\w+)", s).group(1): s for s in creates}


def test_schema_files_are_numbered_and_split_into_statements_safe_to_run_again():
    files = schema_files()
    assert files[0].version == "001_init"
    assert [f.version for f in files] == sorted({f.version for f in files})
    for schema_file in files:
        assert schema_file.statements
        for statement in schema_file.statements:
            creates = re.match(r"CREATE (TABLE|TYPE|INDEX) IF NOT EXISTS \{keyspace\}\.\w+", statement)
            assert creates or added_column(statement), statement  # an added column is skipped if present
            assert "--" not in statement and ";" not in statement


def test_an_added_column_is_recognised_only_in_a_one_column_alter():
    assert added_column("ALTER TABLE {keyspace}.posts ADD group_id bigint") == ("posts", "group_id")
    assert added_column("ALTER TABLE {keyspace}.posts\n    ADD  org_id bigint") == ("posts", "org_id")
    assert added_column("ALTER TABLE {keyspace}.posts ADD a bigint, b text") is None
    assert added_column("ALTER TABLE {keyspace}.posts DROP group_id") is None
    assert added_column("CREATE TABLE IF NOT EXISTS {keyspace}.x (a int PRIMARY KEY)") is None


def test_every_added_column_goes_to_a_table_created_earlier():
    created: set[str] = set()
    for statement in (s for f in schema_files() for s in f.statements):
        added = added_column(statement)
        if added:
            assert added[0] in created, statement
        else:
            created.add(re.search(r"\{keyspace\}\.(\w+)", statement).group(1))


def test_split_statements_drops_comments_and_keeps_quoted_semicolons():
    text = "-- a; comment\nCREATE x (a text) WITH comment = 'it''s; fine'; /* b; */ // c;\nCREATE y;"
    assert split_statements(text) == ["CREATE x (a text) WITH comment = 'it''s; fine'", "CREATE y"]


# Tables whose partition has clustering rows but no bucket, and why they stay small.
SMALL_BY_NATURE = {
    "author_post_buckets": "one row per 30-day bucket an author posted in: 12 a year",
    "group_post_buckets": "one row per 30-day bucket a group has posts in: 12 a year",
    "mutes": "a user's own mutes: at most MAX_MUTES active (feed/actions/quiet.py), lapsed ones leave by TTL",
    "keyword_filters": "a user's own filters: at most MAX_FILTERS active, lapsed ones leave by TTL",
}


def test_every_table_has_a_bounded_partition_key():
    tables = _tables()
    assert {"posts", "posts_by_author", "post_idempotency", "followers", "following", "users"} <= set(tables)
    assert {"posts_by_group", "user_orgs", "org_users", "groups", "group_members", "member_groups"} <= set(tables)
    for name, statement in tables.items():
        partition, clustering = _primary_key(statement)
        assert partition, name
        if clustering:  # many rows per partition: a bucket must bound them
            assert "bucket" in partition or name in SMALL_BY_NATURE, name


def test_every_statement_names_a_table_of_the_schema():
    tables = _tables()
    for cql in STATEMENTS:
        table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", cql.text).group(1)
        assert table in tables, cql.name


def test_every_edge_table_is_bucketed_by_the_other_id_as_its_statements_assume():
    tables = _tables()
    for edge in EDGE_TABLES:
        partition, clustering = _primary_key(tables[edge.name])
        assert (partition, clustering) == ([edge.owner, "bucket"], [edge.other]), edge.name


def _idempotent_by_its_text(text: str) -> bool:
    lwt = re.search(r"\bIF\s+(NOT\s+)?EXISTS\b|\bIF\s+\w+\s*(=|!=|<|>)", text)
    counter = re.search(r"\bSET\s+(\w+)\s*=\s*\1\s*[+-]", text)
    return not lwt and not counter


def test_exactly_the_idempotent_statements_are_marked_idempotent():
    for cql in STATEMENTS:
        assert cql.idempotent == _idempotent_by_its_text(cql.text), cql.name
    assert {cql.idempotent for cql in STATEMENTS} == {True, False}
    assert len({cql.name for cql in STATEMENTS}) == len(STATEMENTS)


def test_retries_happen_only_for_idempotent_statements():
    policy = IdempotentOnlyRetryPolicy()
    safe = SimpleStatement("SELECT 1", is_idempotent=True)
    unsafe = SimpleStatement("UPDATE c SET n = n + 1", is_idempotent=False)
    level = ConsistencyLevel.LOCAL_QUORUM
    assert policy.on_write_timeout(safe, level, WriteType.SIMPLE, 2, 1, 0) == (policy.RETRY, level)
    assert policy.on_write_timeout(safe, level, WriteType.SIMPLE, 2, 1, 1)[0] == policy.RETHROW
    assert policy.on_write_timeout(unsafe, level, WriteType.COUNTER, 2, 1, 0)[0] == policy.RETHROW
    assert policy.on_write_timeout(unsafe, level, WriteType.CAS, 2, 1, 0)[0] == policy.RETHROW
    assert policy.on_request_error(safe, level, OSError(), 0)[0] == policy.RETRY_NEXT_HOST
    assert policy.on_request_error(unsafe, level, OSError(), 0)[0] == policy.RETHROW
    assert policy.on_read_timeout(unsafe, level, 2, 2, False, 0)[0] == policy.RETHROW
    # unavailable: refused before any replica saw it, so safe for every statement once
    assert policy.on_unavailable(unsafe, level, 2, 1, 0)[0] == policy.RETRY_NEXT_HOST
    assert policy.on_unavailable(unsafe, level, 2, 1, 1)[0] == policy.RETHROW


# the stores implement the whole contract


@pytest.mark.parametrize(
    ("cls", "base"),
    [
        (CassandraPostStore, PostStore),
        (CassandraGraphStore, GraphStore),
        (CassandraOrgStore, OrgStore),
        (CassandraOutboxStore, OutboxStore),
        (CassandraMarkerStore, MarkerStore),
    ],
)
def test_every_abstract_method_is_implemented(cls, base):
    assert not cls.__abstractmethods__
    for name in sorted(base.__abstractmethods__):
        method = cls.__dict__.get(name)
        assert method is not None, f"{cls.__name__}.{name} is inherited, not implemented"
        assert "NotImplementedError" not in inspect.getsource(method), name


def test_graph_store_streams_edges_instead_of_paging_through_tokens():
    assert "iter_following" in CassandraGraphStore.__dict__


# feed schema apply, on SQLite and before any connection


def test_schema_apply_on_sqlite_creates_every_table_and_a_second_run_has_nothing_to_apply(tmp_path, capsys):
    path = tmp_path / "feed.db"
    assert apply_schema(f"sqlite:///{path}") == []  # SQLite keeps no versions: opening the store creates the schema
    with contextlib.closing(sqlite3.connect(path)) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        post_columns = {row[1] for row in db.execute("PRAGMA table_info(posts)")}
    assert {"posts", "post_idempotency", "follows", "blocks", "users", "groups", "group_members"} <= tables
    assert {"post_id", "author_id", "text", "create_time_ms", "group_id", "org_id"} <= post_columns
    assert main(["apply", "--store", f"sqlite:///{path}"]) == 0
    assert "nothing to apply" in capsys.readouterr().out


def test_schema_apply_rejects_a_bad_store_or_replication_before_connecting(monkeypatch, capsys):
    for name in CASSANDRA_VARS:
        monkeypatch.delenv(name, raising=False)
    assert main(["apply", "--store", "postgres://x"]) == 2
    assert main(["apply", "--store", "cassandra://127.0.0.1/feed", "--replication", "{oops"]) == 2
    assert "--replication" in capsys.readouterr().err
