"""`feed org export ORG` and `feed org delete ORG`: one organization, whole.

Everything an organization owns is reached from its id: its users
(OrgStore.list_org_users) and groups (list_org_groups); from the users, their
posts, follow edges and blocks; from the groups, their posts and members.
Export writes all of it as JSON Lines, one record a line (`kind` says what
it is), so a company can take its data elsewhere. Delete erases it from the
durable store, then every Redis key of the organization (they all start with
`feed:o<org>:`, found with SCAN), the cached copies of its posts and its users'
rate-limit buckets (keyed by id alone: feed/redis/keys.py).

Run delete with the organization's users signed out: a call made during the
deletion may bind a user again or write a post the walk has passed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from feed.config import Settings
from feed.errors import InvalidArgument
from feed.redis.keys import org_key_pattern, post_key, user_keys_outside_org_prefix
from feed.shutdown import Stop
from feed.store import Store, open_store
from feed.store.base import walk_pages

PAGE = 1000
MAX_PAGES = 10_000_000  # a walk longer than this means a backend returned a token loop
POSTS_PER_QUERY = 1000
DELETE_BATCH = 500  # keys per Redis round trip


def walk_posts(fetch: Callable[[int | None], list]) -> Iterator[Any]:
    """Every post of a newest-first listing, POSTS_PER_QUERY at a time."""
    before: int | None = None
    for _ in range(MAX_PAGES):
        posts = fetch(before)
        yield from posts
        if len(posts) < POSTS_PER_QUERY:
            return
        before = posts[-1].post_id
    raise RuntimeError("post paging did not end")


def org_records(store: Store, org_id: int) -> Iterator[dict[str, Any]]:
    """Every record of one organization, users first, then groups."""
    for user in walk_pages(lambda t: store.orgs.list_org_users(org_id, PAGE, t)):
        yield {"kind": "user", "user_id": user, "org_id": org_id}
        for followee in walk_pages(lambda t, u=user: store.graph.list_following(u, PAGE, t)):
            yield {"kind": "follow", "follower_id": user, "followee_id": followee}
        for blocked in walk_pages(lambda t, u=user: store.graph.list_blocked(u, PAGE, t)):
            yield {"kind": "block", "blocker_id": user, "blocked_id": blocked}
        for post in walk_posts(lambda b, u=user: store.posts.list_author_posts(u, b, POSTS_PER_QUERY)):
            yield {"kind": "post", **_post(post)}
    for group_id in walk_pages(lambda t: store.orgs.list_org_groups(org_id, PAGE, t)):
        group = store.orgs.get_group(group_id)
        if group is None:
            continue
        fields = {f: getattr(group, f) for f in group.__slots__ if f != "kind"}
        yield {"kind": "group", **fields, "group_kind": group.kind}
        for member in walk_pages(lambda t, g=group_id: store.orgs.list_members(g, PAGE, t)):
            yield {"kind": "member", "group_id": group_id, "user_id": member}
        for post in walk_posts(lambda b, g=group_id: store.posts.list_group_posts(g, b, POSTS_PER_QUERY)):
            yield {"kind": "post", **_post(post)}


def _post(post) -> dict[str, Any]:
    return {f: getattr(post, f) for f in post.__slots__}


def export_org(store: Store, org_id: int, out: IO[str], progress: bool = True) -> int:
    """Write the organization as JSON Lines; return the number of records."""
    count = 0
    for record in tqdm(org_records(store, org_id), unit=" records", desc="exporting", disable=not progress):
        out.write(json.dumps(record, separators=(",", ":")) + "\n")
        count += 1
    return count


def delete_org(store: Store, redis_client, org_id: int, progress: bool = True) -> dict[str, int]:
    """Erase the organization from the store and Redis; return counts of what went."""
    if org_id == 0:
        raise InvalidArgument("the default organization (0) cannot be deleted whole; its keys are not prefixed")
    counts = {"users": 0, "groups": 0, "posts": 0, "redis_keys": 0}
    cached: list[str] = []
    bar = tqdm(unit=" items", desc="deleting", disable=not progress)
    # Groups first (their posts and members), then users: the listings walked are not the ones being cut.
    groups = list(walk_pages(lambda t: store.orgs.list_org_groups(org_id, PAGE, t)))
    for group_id in groups:
        for post in list(walk_posts(lambda b, g=group_id: store.posts.list_group_posts(g, b, POSTS_PER_QUERY))):
            store.posts.purge_post(post.post_id)
            cached.append(post_key(post.post_id))
            counts["posts"] += 1
        store.orgs.purge_group(group_id)
        counts["groups"] += 1
        bar.update(1)
    users = list(walk_pages(lambda t: store.orgs.list_org_users(org_id, PAGE, t)))
    for user in users:
        posts = list(walk_posts(lambda b, u=user: store.posts.list_author_posts(u, b, POSTS_PER_QUERY)))
        for post in posts:
            store.posts.purge_post(post.post_id)
            cached.append(post_key(post.post_id))
        counts["posts"] += len(posts)
        store.posts.purge_author(user)  # what listings do not show: deleted posts, idempotency keys
        store.graph.purge_user(user)
        store.orgs.purge_user(user)
        store.markers.purge_marker(user)
        store.quiet.purge_quiet(user)
        cached.extend(post_key(repost_id) for repost_id in store.reposts.purge_reposts(user))
        cached.extend(user_keys_outside_org_prefix(user))
        counts["users"] += 1
        bar.update(1)
    keys = [*cached, *redis_client.scan_iter(match=org_key_pattern(org_id), count=1000)]
    for start in range(0, len(keys), DELETE_BATCH):
        pipe = redis_client.pipeline(transaction=False)
        for key in keys[start : start + DELETE_BATCH]:
            pipe.delete(key)  # one key a command: keys of several slots may not share one on a cluster
        counts["redis_keys"] += sum(int(n) for n in pipe.execute())
    bar.close()
    return counts


def main(argv: list[str], stop: Stop | None = None) -> int:
    parser = argparse.ArgumentParser(prog="feed org", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    export = sub.add_parser("export", help="write one organization's data as JSON Lines")
    export.add_argument("org_id", type=int)
    export.add_argument("--out", "-o", default="-", help="output file (default: stdout)")
    delete = sub.add_parser("delete", help="erase one organization from the store and Redis")
    delete.add_argument("org_id", type=int)
    delete.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    args = parser.parse_args(argv)
    if args.org_id < 0:
        parser.error("org_id must be 0 or more")
    settings = Settings.from_env()
    store = open_store(settings.store_url)
    try:
        if args.action == "export":
            if args.out == "-":
                count = export_org(store, args.org_id, sys.stdout, progress=False)
            else:
                with Path(args.out).open("w") as out:
                    count = export_org(store, args.org_id, out)
            print(f"exported {count} records of organization {args.org_id}", file=sys.stderr)
            return 0
        if not args.yes:
            parser.error("delete erases the organization for good; pass --yes to confirm")
        from feed.redis.connection import connect

        counts = delete_org(store, connect(settings.redis_url), args.org_id)
        print(f"deleted organization {args.org_id}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        return 0
    finally:
        store.close()
