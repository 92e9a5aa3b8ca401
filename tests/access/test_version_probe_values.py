"""The value a page's version probe offers for a missing relationship version (rv_get): never one handed
out before, by any thread or process, since a reader's cached facts must never match a new version."""

from __future__ import annotations

import os
import threading

from feed.access.versions import VersionProbe


def offered(n: int) -> list[str]:
    return [VersionProbe(1).call()[2][0] for _ in range(n)]


def test_the_values_offered_by_concurrent_pages_never_repeat():
    values: list[list[str]] = [[] for _ in range(8)]
    threads = [threading.Thread(target=lambda out=out: out.extend(offered(2000))) for out in values]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [v for out in values for v in out]
    assert len(set(every)) == len(every) == 16_000


def test_a_forked_child_offers_values_its_parent_never_does():
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its values to the parent, then gone without running the test session's exit
        os.close(read)
        os.write(write, "\n".join(offered(100)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = set(pipe.read().split("\n"))
    os.waitpid(pid, 0)
    assert len(child) == 100
    assert not child & set(offered(100))
