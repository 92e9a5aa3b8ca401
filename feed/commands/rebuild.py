"""`feed rebuild`: warm Redis from the durable store, for an operator who just replaced a Redis node.

Rebuilds the home timelines of the users named (or of every user) that Redis
lacks; `--force` drops and rebuilds them even when present. Timelines are
rebuilt by a bounded pool of threads with a progress bar; a rebuild that
fails is reported and counted, and the command exits 1 if any did.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from tqdm import tqdm

from feed.config import Settings
from feed.redis.connection import RedisFunctions, connect
from feed.shutdown import Stop
from feed.store import Store, open_store
from feed.timeline.rebuild import rebuild_home_timeline
from feed.timeline.store import RedisTimelineStore, TimelineStore

IN_FLIGHT_PER_THREAD = 4  # bounds the futures held at once


def rebuild_users(
    store: Store, timelines: TimelineStore, users: Iterable[int], threads: int, force: bool, total: int | None
) -> tuple[int, int, int]:
    """Rebuild each user's timeline; return (rebuilt, already present, failed)."""
    rebuilt = present = failed = 0

    def one(user_id: int) -> bool:
        org_id = store.orgs.org_of(user_id) or 0  # the timeline's key carries the user's organization
        if force:
            timelines.drop(user_id, org_id)
        return rebuild_home_timeline(store, timelines, user_id, org_id)

    with ThreadPoolExecutor(threads) as pool, tqdm(total=total, unit="user", desc="rebuilding") as bar:
        pending: set[Future] = set()
        source: Iterator[int] = iter(users)
        while True:
            for user_id in itertools.islice(source, threads * IN_FLIGHT_PER_THREAD - len(pending)):
                pending.add(pool.submit(one, user_id))
            if not pending:
                break
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                if future.exception() is not None:
                    failed += 1
                    tqdm.write(f"rebuild failed: {type(future.exception()).__name__}: {future.exception()}")
                elif future.result():
                    rebuilt += 1
                else:
                    present += 1
                bar.update(1)
    return rebuilt, present, failed


def main(argv: list[str], stop: Stop | None = None) -> int:
    parser = argparse.ArgumentParser(prog="feed rebuild", description=__doc__.splitlines()[0])
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", type=int, action="append", metavar="USER_ID", help="a user to rebuild (repeatable)")
    who.add_argument("--all", action="store_true", help="every user the durable store knows")
    parser.add_argument("--force", action="store_true", help="rebuild even timelines Redis still has")
    parser.add_argument("--threads", type=int, default=8, help="parallel rebuilds (default 8)")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    settings = Settings.from_env()
    if not settings.redis_url:
        parser.error("FEED_REDIS_URL must name the Redis to warm")
    store = open_store(settings.store_url)
    functions = RedisFunctions(connect(settings.redis_url))
    timelines = RedisTimelineStore(functions, settings.timeline_max, settings.timeline_ttl_s)
    try:
        if args.all:
            total = sum(1 for _ in store.graph.iter_user_ids())  # a counting pass, so the bar has an end
            users: Iterable[int] = store.graph.iter_user_ids()
        else:
            users, total = args.user, len(args.user)
        rebuilt, present, failed = rebuild_users(store, timelines, users, args.threads, args.force, total)
    finally:
        store.close()
    print(f"rebuilt {rebuilt}, already in Redis {present}, failed {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
