"""`feed token USER_ID`: mint a bearer token for local use (the token is the last word printed)."""

from __future__ import annotations

import argparse

from feed.access.tokens import AuthKeys, mint
from feed.config import Settings
from feed.shutdown import Stop


def main(argv: list[str], stop: Stop | None = None) -> int:
    parser = argparse.ArgumentParser(prog="feed token", description=__doc__.splitlines()[0])
    parser.add_argument("user_id", type=int, help="the user the token speaks for")
    parser.add_argument("--org", type=int, default=0, help="the user's organization (default 0)")
    parser.add_argument("--admin", action="store_true", help="an administrator of the organization (announcements)")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds the token stays valid (default 3600)")
    args = parser.parse_args(argv)
    if args.ttl < 1:
        parser.error("--ttl must be at least 1")
    keys = AuthKeys.from_settings(Settings.from_env())
    token = mint(keys, args.user_id, args.org, ttl_s=args.ttl, admin=args.admin)
    role = ", admin" if args.admin else ""
    print(f"bearer token for user {args.user_id} (org {args.org}{role}, valid {args.ttl} s): {token}")
    return 0
