"""The `feed` function library during a rolling deploy: a process never replaces a newer library with its own.

Processes of two releases share one Redis while a deploy rolls. Each loads its library when it starts
(FUNCTION LOAD REPLACE), so an old process that restarted took away the functions only the new
release has, until a new process noticed and loaded its own again (docs/architecture.md)."""

from __future__ import annotations

import hashlib
import re

import pytest

from feed.redis.connection import LIBRARY, LIBRARY_VERSION, RedisFunctions

pytestmark = pytest.mark.integration


def release(version: int, extra: str = "") -> str:
    """Our library as another release would ship it: another version, maybe another function."""
    text = re.sub(r"local LIBRARY_VERSION = \d+", f"local LIBRARY_VERSION = {version}", LIBRARY)
    assert text != LIBRARY
    return text + extra


def functions_on(client) -> set[str]:
    """The names of the functions Redis holds (FUNCTION LIST answers flat name-value lists)."""
    names = set()
    for library in client.function_list():
        fields = dict(zip(library[::2], library[1::2], strict=True))
        names |= {dict(zip(f[::2], f[1::2], strict=True))[b"name"].decode() for f in fields[b"functions"]}
    return names


def test_a_process_does_not_replace_a_newer_library_with_its_own(redis_client):
    newer = release(LIBRARY_VERSION + 1, "\nredis.register_function('tl_from_the_future', function() return 1 end)\n")
    redis_client.function_load(newer, replace=True)
    ours = RedisFunctions(redis_client)
    ours.load()  # an older process restarting
    assert "tl_from_the_future" in functions_on(redis_client)
    assert ours.call("tl_page", ["feed:tl:{0}:1"], ["", 5, 100, 0]) == [0, 0]  # its calls still run


def test_a_process_replaces_an_older_library(redis_client):
    older = release(LIBRARY_VERSION - 1).replace(
        "redis.register_function{function_name='tl_page_posts', callback=tl_page_posts, flags={'no-cluster'}}\n", ""
    )
    redis_client.function_load(older, replace=True)
    assert "tl_page_posts" not in functions_on(redis_client)
    RedisFunctions(redis_client).load()
    assert "tl_page_posts" in functions_on(redis_client)


def test_a_process_loads_the_library_into_an_empty_redis(redis_client):
    redis_client.function_flush()
    RedisFunctions(redis_client).load()
    assert redis_client.fcall_ro("feed_version", 0) == LIBRARY_VERSION


# Each release of the library, by the sha256 of feed/redis/lua/feed.lua: a changed library needs a new
# LIBRARY_VERSION, or a process of the release before would take it for its own and replace it.
RELEASES = {
    20261205: "0144a6fb996ebed71b89299fdb5ff84e13ed8fddff460a8026d66d455ec6cd09",
    20261206: "5b41f95f17b6e7e0088599b6b40a4853c09694120a1a50ea1b7a7fa21df6a060",
}


def test_a_changed_library_has_a_new_version():
    digest = hashlib.sha256(LIBRARY.encode()).hexdigest()
    assert RELEASES.get(LIBRARY_VERSION) == digest, (
        f"feed.lua changed: raise its LIBRARY_VERSION and add {{version: '{digest}'}} to RELEASES here"
    )
