"""Between trace records and gRPC request messages, both ways: one table per RPC.

A record carries what a request means, not what it literally held where the literal
value would not survive a replay: a created post is named by the ordinal of the record
that created it (`post_ref`), since the server assigns post ids; a page token becomes
`next` ("continue where my previous page of this list ended"); text becomes its length
(a trace is shared, post content is user data, and only its size loads the system).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from typing import Any

from google.protobuf import empty_pb2
from google.protobuf.message import Message

from feed.loadtest.trace import Record
from feed.v1 import feed_service_pb2, graph_service_pb2, post_pb2, post_service_pb2


@dataclasses.dataclass(frozen=True)
class RpcSpec:
    """One RPC: where it is served, its message types, and which field names the acting user."""

    name: str
    service: str
    target: str  # "write" or "read": which address serves it
    request: type[Message]
    response: type[Message]
    actor: str | None  # request field holding the acting user; None: only the record's optional "actor"

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.name}"


_POSTS, _GRAPH, _FEED = "feed.v1.PostService", "feed.v1.GraphService", "feed.v1.FeedService"
SPECS: dict[str, RpcSpec] = {
    s.name: s
    for s in (
        RpcSpec("CreatePost", _POSTS, "write", post_service_pb2.CreatePostRequest, post_pb2.Post, "author_id"),
        RpcSpec("DeletePost", _POSTS, "write", post_service_pb2.DeletePostRequest, empty_pb2.Empty, "author_id"),
        RpcSpec("GetPost", _POSTS, "write", post_service_pb2.GetPostRequest, post_pb2.Post, None),
        RpcSpec("Follow", _GRAPH, "write", graph_service_pb2.FollowRequest, empty_pb2.Empty, "follower_id"),
        RpcSpec("Unfollow", _GRAPH, "write", graph_service_pb2.UnfollowRequest, empty_pb2.Empty, "follower_id"),
        RpcSpec("Block", _GRAPH, "write", graph_service_pb2.BlockRequest, empty_pb2.Empty, "blocker_id"),
        RpcSpec("Unblock", _GRAPH, "write", graph_service_pb2.UnblockRequest, empty_pb2.Empty, "blocker_id"),
        RpcSpec(
            "ListFollowers",
            _GRAPH,
            "write",
            graph_service_pb2.ListFollowersRequest,
            graph_service_pb2.ListFollowersResponse,
            "user_id",
        ),
        RpcSpec(
            "ListFollowing",
            _GRAPH,
            "write",
            graph_service_pb2.ListFollowingRequest,
            graph_service_pb2.ListFollowingResponse,
            "user_id",
        ),
        RpcSpec(
            "GetHomeTimeline",
            _FEED,
            "read",
            feed_service_pb2.GetHomeTimelineRequest,
            feed_service_pb2.GetHomeTimelineResponse,
            "user_id",
        ),
        RpcSpec(
            "GetUserTimeline",
            _FEED,
            "read",
            feed_service_pb2.GetUserTimelineRequest,
            feed_service_pb2.GetUserTimelineResponse,
            "user_id",
        ),
    )
}
BY_PATH = {spec.path: spec for spec in SPECS.values()}
PAGED = {"ListFollowers", "ListFollowing", "GetHomeTimeline", "GetUserTimeline"}
REFERENCING = {"DeletePost", "GetPost"}  # name a post by post_ref
_FILLER = ("the quick brown fox jumps over the lazy dog " * 120)[:5000]


def actor_of(record: Record) -> int:
    """The user a request acts as (0: nobody known), for sampling and per-user credentials."""
    spec = SPECS[record["rpc"]]
    return int(record.get(spec.actor, 0)) if spec.actor else int(record.get("actor", 0))


def filler_text(length: int) -> str:
    """Post text of the recorded or generated length: the bytes matter, not the words."""
    return _FILLER[: max(1, min(length, len(_FILLER)))]


def to_request(record: Record, post_id: int = 0, page_token: str = "", key_prefix: str = "") -> Message:
    """The request a record stands for, given the server-assigned post id and the paging token it needs.

    key_prefix makes idempotency keys unique to one replay run, so a second replay of the
    same trace creates posts again instead of getting the first run's back.
    """
    rpc = record["rpc"]
    if rpc == "CreatePost":
        key = record.get("key", "")
        return post_service_pb2.CreatePostRequest(
            author_id=record["author_id"],
            text=record["text"] if "text" in record else filler_text(record.get("text_len", 1)),
            idempotency_key=f"{key_prefix}{key}" if key else "",
        )
    if rpc == "DeletePost":
        return post_service_pb2.DeletePostRequest(author_id=record["author_id"], post_id=post_id)
    if rpc == "GetPost":
        return post_service_pb2.GetPostRequest(post_id=post_id)
    if rpc in PAGED:
        return SPECS[rpc].request(
            user_id=record["user_id"], page_size=record.get("page_size", 0), page_token=page_token
        )
    # ids only: Follow, Unfollow, Block, Unblock
    return SPECS[rpc].request(**{name: record[name] for name in _field_names(rpc)})


def from_request(rpc: str, request: Any, ref_of: Callable[[int], int | None]) -> Record | None:
    """The trace fields of a served request (no "t"); None when a post it names is not in the trace.

    Only message fields are read: never metadata, and never a value a replay could not
    use or should not see (page tokens, post text, raw idempotency keys).
    """
    if rpc == "CreatePost":
        fields: Record = {"author_id": request.author_id, "text_len": len(request.text)}
        if request.idempotency_key:  # kept as a digest: retries still share a key, the value stays private
            fields["key"] = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:16]
        return fields
    if rpc in REFERENCING:
        ref = ref_of(request.post_id)
        if ref is None:
            return None
        return {"author_id": request.author_id, "post_ref": ref} if rpc == "DeletePost" else {"post_ref": ref}
    if rpc not in PAGED:
        return {name: getattr(request, name) for name in _field_names(rpc)}
    fields = {"user_id": request.user_id}
    if request.page_size:
        fields["page_size"] = request.page_size
    if request.page_token:
        fields["next"] = True
    return fields


def _field_names(rpc: str) -> list[str]:
    """A request's fields by their proto names: what a plain record holds, one to one."""
    return [field.name for field in SPECS[rpc].request.DESCRIPTOR.fields]
