"""Helpers for tests against a running stack: clients, polling, fresh ids."""

from __future__ import annotations

import contextlib
import functools
import itertools
import random
import time
from collections.abc import Callable

from feed.access.tokens import AuthKeys
from feed.loadkit.tokens import TokenProvider, authenticated_channel
from feed.v1 import (
    feed_service_pb2,
    feed_service_pb2_grpc,
    filter_service_pb2_grpc,
    graph_service_pb2,
    graph_service_pb2_grpc,
    group_service_pb2,
    group_service_pb2_grpc,
    post_service_pb2,
    post_service_pb2_grpc,
)

_users = itertools.count(random.randrange(1 << 40, 1 << 41))


def new_user() -> int:
    """A user id no other test uses."""
    return next(_users)


class Client:
    """Stubs for the four services, with short helpers for the common calls.

    Every call carries a token of the user it acts as, in the organization
    org_of(user) says (0 by default), with the admin role for admin_of(user).
    An address given as a list is balanced round robin over every replica it names."""

    def __init__(
        self,
        write_addr: str | list[str],
        read_addr: str | list[str],
        keys: AuthKeys,
        org_of=lambda u: 0,
        admin_of=lambda u: False,
    ) -> None:
        tokens = self.tokens = TokenProvider(keys, org_of, admin_of)
        self.write_channel = authenticated_channel(write_addr, tokens)
        self.read_channel = authenticated_channel(read_addr, tokens)
        self.posts = post_service_pb2_grpc.PostServiceStub(self.write_channel)
        self.graph = graph_service_pb2_grpc.GraphServiceStub(self.write_channel)
        self.groups = group_service_pb2_grpc.GroupServiceStub(self.write_channel)
        self.feed = feed_service_pb2_grpc.FeedServiceStub(self.read_channel)
        self.filters = filter_service_pb2_grpc.FilterServiceStub(self.write_channel)

    def close(self) -> None:
        self.write_channel.close()
        self.read_channel.close()

    def acting_as(self, user: int) -> list[tuple[str, str]]:
        """Call metadata acting as user, for requests whose fields name another user or none."""
        return list(self.tokens.metadata(user))

    def follow(self, follower: int, followee: int) -> None:
        self.graph.Follow(graph_service_pb2.FollowRequest(follower_id=follower, followee_id=followee), timeout=10)

    def unfollow(self, follower: int, followee: int) -> None:
        self.graph.Unfollow(graph_service_pb2.UnfollowRequest(follower_id=follower, followee_id=followee), timeout=10)

    def post(self, author: int, text: str = "hello", key: str = "", group: int = 0):
        request = post_service_pb2.CreatePostRequest(author_id=author, text=text, idempotency_key=key, group_id=group)
        return self.posts.CreatePost(request, timeout=10)

    def create_group(self, creator: int, name: str = "a group", private: bool = False) -> int:
        visibility = group_service_pb2.GROUP_VISIBILITY_PRIVATE if private else group_service_pb2.GROUP_VISIBILITY_OPEN
        request = group_service_pb2.CreateGroupRequest(creator_id=creator, name=name, visibility=visibility)
        return self.groups.CreateGroup(request, timeout=10).group_id

    def join(self, group: int, user: int, inviter: int = 0) -> None:
        request = group_service_pb2.JoinGroupRequest(group_id=group, user_id=user, inviter_id=inviter)
        self.groups.JoinGroup(request, timeout=10)

    def leave(self, group: int, user: int) -> None:
        self.groups.LeaveGroup(group_service_pb2.LeaveGroupRequest(group_id=group, user_id=user), timeout=10)

    def members(self, group: int, user: int) -> list[int]:
        request = group_service_pb2.ListGroupMembersRequest(group_id=group, user_id=user, page_size=1000)
        return list(self.groups.ListGroupMembers(request, timeout=10).member_ids)

    def my_groups(self, user: int):
        request = group_service_pb2.ListMyGroupsRequest(user_id=user, page_size=1000)
        return list(self.groups.ListMyGroups(request, timeout=10).groups)

    def group_timeline(self, group: int, user: int, page_size: int = 0, page_token: str = ""):
        request = feed_service_pb2.GetGroupTimelineRequest(
            group_id=group, user_id=user, page_size=page_size, page_token=page_token
        )
        return self.feed.GetGroupTimeline(request, timeout=10)

    def block(self, blocker: int, blocked: int) -> None:
        self.graph.Block(graph_service_pb2.BlockRequest(blocker_id=blocker, blocked_id=blocked), timeout=10)

    def unblock(self, blocker: int, blocked: int) -> None:
        self.graph.Unblock(graph_service_pb2.UnblockRequest(blocker_id=blocker, blocked_id=blocked), timeout=10)

    def mute(self, muter: int, muted: int, duration_s: int = 0) -> None:
        request = graph_service_pb2.MuteRequest(muter_id=muter, muted_id=muted, duration_s=duration_s)
        self.graph.Mute(request, timeout=10)

    def unmute(self, muter: int, muted: int) -> None:
        self.graph.Unmute(graph_service_pb2.UnmuteRequest(muter_id=muter, muted_id=muted), timeout=10)

    def delete(self, author: int, post_id: int) -> None:
        self.posts.DeletePost(post_service_pb2.DeletePostRequest(author_id=author, post_id=post_id), timeout=10)

    def home(self, user: int, page_size: int = 0, page_token: str = ""):
        request = feed_service_pb2.GetHomeTimelineRequest(user_id=user, page_size=page_size, page_token=page_token)
        return self.feed.GetHomeTimeline(request, timeout=10)

    def user_timeline(self, user: int, page_size: int = 0, page_token: str = ""):
        request = feed_service_pb2.GetUserTimelineRequest(user_id=user, page_size=page_size, page_token=page_token)
        return self.feed.GetUserTimeline(request, timeout=10)

    def home_ids(self, user: int, page_size: int = 100) -> list[int]:
        """Every post id of a home timeline, walking all pages."""
        ids: list[int] = []
        token = ""
        for _ in range(1000):
            page = self.home(user, page_size, token)
            ids += [p.post_id for p in page.posts]
            token = page.next_page_token
            if not token:
                return ids
        raise AssertionError("paging did not end")


def eventually(check: Callable[[], bool], timeout_s: float = 10.0, interval_s: float = 0.02) -> float:
    """Wait until check() is true; return the seconds it took, or fail after timeout_s."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > timeout_s:
            raise AssertionError(f"condition not met within {timeout_s}s")
        time.sleep(interval_s)


def marked_processes(variable: str, mark: str, excluding: int) -> list[int]:
    """Pids of live processes but excluding whose environment holds variable=mark: every process a tool
    started with that in its environment, however deep (children inherit it)."""
    from pathlib import Path

    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != excluding:
            try:
                if f"{variable}={mark}".encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:  # exited meanwhile, or not ours
                continue
    return found


def isolated_settings(data_dir, **overrides):
    """Settings for a test stack: its own SQLite file (unless store_url says otherwise) and free ports."""
    import dataclasses

    from feed.config import Settings
    from feed.devstack.procs import free_port

    overrides.setdefault("store_url", f"sqlite:///{data_dir / 'feed.db'}")  # or a Cassandra keyspace's URL
    overrides.setdefault("web_addr", f"127.0.0.1:{free_port()}")  # used when the stack starts its web gateway
    return dataclasses.replace(
        Settings.from_env({}),
        jwt_secret_file=str(data_dir / "jwt.secret"),
        write_addr=f"127.0.0.1:{free_port()}",
        read_addr=f"127.0.0.1:{free_port()}",
        stream_addr=f"127.0.0.1:{free_port()}",
        **overrides,
    )


@functools.cache
def _store_at(url: str):
    """One open store per URL for the whole session (a Cassandra session takes a second to open)."""
    from feed.store import open_store

    return open_store(url)


def drained(stack) -> bool:
    """True once the outbox relay has published every recorded event and the stack's workers
    have committed every event published so far."""
    from kafka import KafkaConsumer, TopicPartition

    s = stack.settings
    if _store_at(s.store_url).outbox.backlog().records:
        return False
    consumer = KafkaConsumer(bootstrap_servers=s.kafka_bootstrap, group_id=s.consumer_group, enable_auto_commit=False)
    try:
        parts = [TopicPartition(s.events_topic, p) for p in range(s.events_partitions)]
        end = consumer.end_offsets(parts)
        # >=: Tansu reports some partitions' end offset one below the next record's offset
        return all((consumer.committed(tp) or 0) >= end[tp] for tp in parts)
    finally:
        consumer.close(autocommit=False)


@contextlib.contextmanager
def private_stack(tmp_path_factory, name: str, workers: int = 1, web: bool = False, **overrides):
    """A whole stack of a test's own (freezing its broker or Redis disturbs no other test);
    on exit every process must stop cleanly. web: with the browser gateway on settings.web_addr."""
    from feed.devstack.stack import start_stack

    data = tmp_path_factory.mktemp(name)
    running = start_stack(isolated_settings(data, **overrides), data, workers=workers, web=web)
    try:
        yield running
    finally:
        codes = stop_rank_by_rank(running)
    assert all(code == 0 for code in codes.values()), f"unclean exits: {codes}"


def stop_rank_by_rank(stack) -> dict[str, int]:
    """Stack.stop's order (services, then workers, then the relay, then what they depend on), but every
    process of a rank is signalled at once and waited for together: a stack stops in the time of its
    slowest process per rank, not of all of them in turn. Returns each process's exit code."""
    import signal
    import subprocess

    codes: dict[str, int] = {}
    last_first = list(reversed(stack.processes))
    for rank in sorted({stack.child(p.name).stop_rank for p in last_first}):
        procs = [p for p in last_first if stack.child(p.name).stop_rank == rank]
        signalled = time.monotonic()
        for proc in procs:
            proc.signal(signal.SIGTERM)  # once: a second SIGTERM is never sent while it stops
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.proc.wait(max(0.0, signalled + stack.child(proc.name).grace_s - time.monotonic()))
            codes[proc.name] = proc.stop(0.0)  # exited: its code; still running past its grace: SIGKILL
    return codes


@contextlib.contextmanager
def client_of(stack, org_of=lambda u: 0, admin_of=lambda u: False):
    """A Client for a running stack, closed afterwards (org_of, admin_of: see Client)."""
    client = Client(stack.settings.write_addr, stack.settings.read_addr, stack.keys, org_of, admin_of)
    try:
        yield client
    finally:
        client.close()


@contextlib.contextmanager
def private_cluster_stack(tmp_path_factory, name: str, workers: int = 1, masters: int = 3, **overrides):
    """A private_stack whose Redis is a Redis Cluster of its own (`masters` primaries), stopped after it."""
    from feed.devstack.local import start_redis_cluster

    nodes, url = start_redis_cluster(tmp_path_factory.mktemp(f"{name}-redis"), masters)
    try:
        with private_stack(tmp_path_factory, name, workers=workers, redis_url=url, **overrides) as running:
            yield running
    finally:
        for node in nodes:
            node.stop()


class BalancedClient(Client):
    """A Client whose channels spread calls over several replicas of each service.

    One gRPC target names every replica (`ipv4:HOST:PORT,HOST:PORT`) and the
    channel balances round robin over them, as a client in front of several
    stateless replicas would; calls carry the acting user's token as in Client. A Client
    given lists of addresses is one: the name says what the tests mean.
    """


def start_feed_process(stack, name: str, args: list[str], log_dir, **env: str):
    """A feed process (`feed serve ...`, `feed worker`) beside a running stack, on its settings,
    with a metrics endpoint of its own; the caller stops it. Returns the ManagedProcess."""
    from feed.devstack.procs import start_feed

    return start_feed(name, args, log_dir / f"{name}.log", {**stack.settings.env(), **env})


def start_replica(stack, role: str, log_dir, stream_addr: str = "") -> tuple:
    """One more replica of the write or read service of a running stack, on a port of its own
    (a read replica's stream server on stream_addr, or a free port); returns (process, HOST:PORT)
    at once: wait_listening() before calling it."""
    from feed.devstack.procs import free_port

    addr = f"127.0.0.1:{free_port()}"
    env = {"FEED_WRITE_ADDR": addr} if role == "write" else {"FEED_READ_ADDR": addr}
    if role == "read":
        env["FEED_STREAM_ADDR"] = stream_addr or f"127.0.0.1:{free_port()}"
    name = f"{role}-replica-{addr.rpartition(':')[2]}"
    return start_feed_process(stack, name, ["serve", role], log_dir, **env), addr


def wait_listening(proc, addr: str, timeout_s: float = 60) -> None:
    """Block until a started service accepts connections on addr, or fail with its log."""
    from feed.devstack.procs import wait_until_listening

    wait_until_listening(addr, timeout_s, proc)


class OrgUsers:
    """Test users of several organizations: which one each signs in to, and the admins.

    client_of(stack, users.org, users.is_admin) gives a client whose tokens follow it."""

    def __init__(self) -> None:
        self.orgs: dict[int, int] = {}
        self.admins: set[int] = set()

    def org(self, user: int) -> int:
        return self.orgs.get(user, 0)

    def is_admin(self, user: int) -> bool:
        return user in self.admins

    def member(self, client: Client, org: int, admin: bool = False) -> int:
        """A new user who has signed in to org (their first call binds them)."""
        user = new_user()
        self.orgs[user] = org
        if admin:
            self.admins.add(user)
        client.home(user)
        return user


def new_org() -> int:
    """An organization id no other test uses."""
    return random.randrange(1 << 20, 1 << 62)


def on_kafka(bootstrap: str, name: str) -> dict[str, str]:
    """Settings overrides for a private_stack on a shared Apache Kafka broker: its own events topic
    (and so dead-letter topic) and consumer group, so stacks on one broker never see each other's events."""
    return {"kafka_bootstrap": bootstrap, "events_topic": f"feed.events.{name}", "consumer_group": f"fanout-{name}"}
