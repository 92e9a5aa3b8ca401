"""Stop each session-scoped fixture of tests/ right after the last test that may use it.

A session fixture (a stack, a Redis Cluster, Apache Kafka, Cassandra) otherwise lives until
the session ends. Idle, a stack still costs CPU (each fan-out worker polls its broker about
50 times a second, the relay polls its outbox), and on 2 cores a dozen idle processes slow
every later test. So once collection has settled the order, each such fixture is finished
in the teardown of the last test that requests it, before the next test starts: the same
finalizers run (a stack checks its children's exit codes, log_hygiene greps the logs), only
earlier; a failure there is reported as an error of that test's teardown, as it would be of
the last test's at the session's end.

A test may ask for a fixture by name at run time (request.getfixturevalue, through a table of
names): any fixture whose name a test module spells in quotes counts as used by every test
of that module. Should a test still ask for a finished fixture, pytest simply starts it again:
a slower run, never a wrong one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
LAST_USERS = pytest.StashKey[list]()  # on an item: the fixture definitions it is the last user of


def _module_text(path: Path, cache: dict[Path, str]) -> str:
    if path not in cache:
        cache[path] = path.read_text(errors="replace") if path.suffix == ".py" else ""
    return cache[path]


def _ours(fixturedef) -> bool:
    """A session-scoped fixture defined in a conftest or module under tests/."""
    code = getattr(fixturedef.func, "__code__", None)
    return fixturedef.scope == "session" and code is not None and Path(code.co_filename).is_relative_to(TESTS)


def _session_fixtures(item: pytest.Item, manager, all_names: set[str], sources: dict[Path, str]) -> set:
    """Every session fixture of ours the item may set up: requested, requested by name in its
    module's text, and what those request in turn."""
    names = set(getattr(item, "fixturenames", ()))
    text = _module_text(item.path, sources)
    names |= {name for name in all_names if f'"{name}"' in text}
    found, todo, seen = set(), list(names), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for fixturedef in _active(manager.getfixturedefs(name, item) or ()):
            todo += fixturedef.argnames
            if _ours(fixturedef):
                found.add(fixturedef)
    return found


def _active(fixturedefs) -> list:
    """The definitions a request of their name runs: the most specific, and the one it overrides
    for as long as each requests its own name (as pytest resolves them)."""
    chosen = []
    for fixturedef in reversed(fixturedefs):
        chosen.append(fixturedef)
        if fixturedef.argname not in fixturedef.argnames:
            break
    return chosen


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Note on each test the session fixtures no later test uses."""
    manager, sources = session._fixturemanager, {}
    # pytest's own tables of fixture names (private: a pytest without them just keeps every fixture
    # to the session's end, as without this plugin)
    all_names = {*getattr(manager, "_arg2node2fixturedefs", ()), *getattr(manager, "_arg2nodeid2fixturedefs", ())}
    if not all_names:
        return
    last: dict = {}
    for item in session.items:
        for fixturedef in _session_fixtures(item, manager, all_names, sources):
            last[fixturedef] = item
    for fixturedef, item in last.items():
        item.stash.setdefault(LAST_USERS, []).append(fixturedef)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the item's own teardown: finish the session fixtures it was the last user of
    (dependants first: finishing a fixture finishes those that requested it)."""
    if nextitem is None:
        return  # the session ends now anyway, in pytest's own order
    for fixturedef in reversed(item.stash.get(LAST_USERS, [])):
        fixturedef.finish(item._request)
