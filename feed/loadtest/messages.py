"""Between trace records and gRPC request messages, both ways: one table per RPC.

A record carries what a request means, not what it literally held where the literal
value would not survive a replay: a created post, group or keyword filter is named by the
ordinal of the record that created it (`post_ref`, `group_ref`, `filter_ref`), since the
server assigns their ids, and an Unrepost by the ordinal of the Repost it undoes
(`repost_ref`); a page token becomes `next` ("continue where my previous page of this list
ended"); text, group names and filter phrases become their length (a trace is shared,
content is user data, and only its size loads the system).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from typing import Any

from google.protobuf import empty_pb2
from google.protobuf.message import Message

from feed.loadtest.trace import Record
from feed.v1 import (
    feed_service_pb2,
    filter_service_pb2,
    graph_service_pb2,
    group_service_pb2,
    post_pb2,
    post_service_pb2,
)


@dataclasses.dataclass(frozen=True)
class RpcSpec:
    """One RPC: where it is served, its message types, and which fields name the acting user."""

    name: str
    service: str
    target: str  # "write" or "read": which address serves it
    request: type[Message]
    response: type[Message]
    actors: tuple[str, ...]  # request fields naming the acting user, the first non-zero one wins;
    # () : only the record's optional "actor" (GetPost names nobody)
    creates: str = ""  # the response field holding a server-assigned id that later records name by ordinal

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.name}"


_POSTS, _GRAPH, _FEED = "feed.v1.PostService", "feed.v1.GraphService", "feed.v1.FeedService"
_GROUPS, _FILTERS = "feed.v1.GroupService", "feed.v1.FilterService"
_U = ("user_id",)


def _spec(name: str, service: str, target: str, module: Any, response: Any, actors: tuple[str, ...]) -> RpcSpec:
    """A spec whose request message is `<name>Request` in module (the common case)."""
    return RpcSpec(name, service, target, getattr(module, f"{name}Request"), response, actors)


SPECS: dict[str, RpcSpec] = {
    s.name: s
    for s in (
        RpcSpec(
            "CreatePost", _POSTS, "write", post_service_pb2.CreatePostRequest, post_pb2.Post, ("author_id",), "post_id"
        ),
        _spec("DeletePost", _POSTS, "write", post_service_pb2, empty_pb2.Empty, ("author_id",)),
        _spec("GetPost", _POSTS, "write", post_service_pb2, post_pb2.Post, ()),
        _spec("Follow", _GRAPH, "write", graph_service_pb2, empty_pb2.Empty, ("follower_id",)),
        _spec("Unfollow", _GRAPH, "write", graph_service_pb2, empty_pb2.Empty, ("follower_id",)),
        _spec("Block", _GRAPH, "write", graph_service_pb2, empty_pb2.Empty, ("blocker_id",)),
        _spec("Unblock", _GRAPH, "write", graph_service_pb2, empty_pb2.Empty, ("blocker_id",)),
        _spec("ListFollowers", _GRAPH, "write", graph_service_pb2, graph_service_pb2.ListFollowersResponse, _U),
        _spec("ListFollowing", _GRAPH, "write", graph_service_pb2, graph_service_pb2.ListFollowingResponse, _U),
        _spec("GetHomeTimeline", _FEED, "read", feed_service_pb2, feed_service_pb2.GetHomeTimelineResponse, _U),
        _spec("GetUserTimeline", _FEED, "read", feed_service_pb2, feed_service_pb2.GetUserTimelineResponse, _U),
        _spec("GetGroupTimeline", _FEED, "read", feed_service_pb2, feed_service_pb2.GetGroupTimelineResponse, _U),
        RpcSpec(
            "CreateGroup",
            _GROUPS,
            "write",
            group_service_pb2.CreateGroupRequest,
            group_service_pb2.Group,
            ("creator_id",),
            "group_id",
        ),
        _spec("GetGroup", _GROUPS, "write", group_service_pb2, group_service_pb2.Group, _U),
        # an invitation acts as the inviter (the member adding someone); a join by oneself as the joiner
        _spec("JoinGroup", _GROUPS, "write", group_service_pb2, empty_pb2.Empty, ("inviter_id", "user_id")),
        _spec("LeaveGroup", _GROUPS, "write", group_service_pb2, empty_pb2.Empty, _U),
        _spec("ListGroupMembers", _GROUPS, "write", group_service_pb2, group_service_pb2.ListGroupMembersResponse, _U),
        _spec("ListMyGroups", _GROUPS, "write", group_service_pb2, group_service_pb2.ListMyGroupsResponse, _U),
        _spec("Mute", _GRAPH, "write", graph_service_pb2, empty_pb2.Empty, ("muter_id",)),
        _spec("Unmute", _GRAPH, "write", graph_service_pb2, empty_pb2.Empty, ("muter_id",)),
        RpcSpec(
            "CreateFilter",
            _FILTERS,
            "write",
            filter_service_pb2.CreateFilterRequest,
            filter_service_pb2.Filter,
            _U,
            "filter_id",
        ),
        _spec("DeleteFilter", _FILTERS, "write", filter_service_pb2, empty_pb2.Empty, _U),
        # A Repost "creates" the post id an Unrepost names: its answer is the original post.
        RpcSpec("Repost", _POSTS, "write", post_service_pb2.RepostRequest, post_pb2.Post, _U, "post_id"),
        _spec("Unrepost", _POSTS, "write", post_service_pb2, empty_pb2.Empty, _U),
    )
}
BY_PATH = {spec.path: spec for spec in SPECS.values()}
PAGED = {
    "ListFollowers",
    "ListFollowing",
    "GetHomeTimeline",
    "GetUserTimeline",
    "GetGroupTimeline",
    "ListGroupMembers",
    "ListMyGroups",
}
REFERENCING = {"DeletePost", "GetPost", "Repost"}  # name a post by post_ref
REF_FIELDS = ("post_ref", "group_ref", "filter_ref", "repost_ref")  # record fields naming the record that created one
VISIBILITY = {"open": group_service_pb2.GROUP_VISIBILITY_OPEN, "private": group_service_pb2.GROUP_VISIBILITY_PRIVATE}
NAME_MAX = 100  # a group name's longest, as the API takes it
_FILLER = ("the quick brown fox jumps over the lazy dog " * 120)[:5000]
# Words of filter phrases: none occurs in _FILLER, so a replayed filter hides no filler post (a phrase
# that did would hide every post of its user, since all filler texts are one text cut at lengths).
_PHRASE_WORDS = ("spoiler", "election", "crypto", "giveaway", "season", "finale", "match", "score", "rumour", "leak")
PHRASE_MAX = 100  # a filter phrase's longest, as the API takes it


def actor_of(record: Record) -> int:
    """The user a request acts as (0: nobody known), for sampling and per-user credentials."""
    spec = SPECS[record["rpc"]]
    for name in spec.actors:
        if record.get(name):
            return int(record[name])
    return int(record.get("actor", 0))


def org_of(record: Record) -> int:
    """The acting user's organization, which their token must name (absent: the default, 0)."""
    return int(record.get("org", 0))


def filler_text(length: int) -> str:
    """Post text of the recorded or generated length: the bytes matter, not the words."""
    return _FILLER[: max(1, min(length, len(_FILLER)))]


def filter_phrase(length: int, salt: int) -> str:
    """A filter phrase of the recorded or generated length, of words no filler text holds; salt (the
    user) varies the words, so users' phrases differ as people's do."""
    length = max(1, min(length, PHRASE_MAX))
    words = [_PHRASE_WORDS[(salt + n) % len(_PHRASE_WORDS)] for n in range(PHRASE_MAX // 5 + 1)]
    phrase = " ".join(words)[:length].strip()
    # A word cut short may be in the filler ("s" is: it holds every letter): then digits, which it never holds.
    return phrase if phrase not in _FILLER else f"{salt:0{length}d}"[-length:]


def to_request(
    record: Record,
    post_id: int = 0,
    page_token: str = "",
    key_prefix: str = "",
    group_id: int = 0,
    filter_id: int = 0,
) -> Message:
    """The request a record stands for, given the server-assigned post, group and filter ids and the
    paging token it needs.

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
            group_id=group_id,
        )
    if rpc == "CreateGroup":
        name = record["name"] if "name" in record else filler_text(min(record.get("name_len", 8), NAME_MAX))
        return group_service_pb2.CreateGroupRequest(
            creator_id=record["creator_id"], name=name, visibility=VISIBILITY[record.get("visibility", "open")]
        )
    if rpc == "DeletePost":
        return post_service_pb2.DeletePostRequest(author_id=record["author_id"], post_id=post_id)
    if rpc == "GetPost":
        return post_service_pb2.GetPostRequest(post_id=post_id)
    if rpc in ("Repost", "Unrepost"):  # post_id: the post_ref's, or the repost_ref's Repost's
        return SPECS[rpc].request(user_id=record["user_id"], post_id=post_id)
    if rpc == "CreateFilter":
        user = record["user_id"]
        phrase = record["phrase"] if "phrase" in record else filter_phrase(record.get("phrase_len", 8), user)
        whole_word, duration_s = record.get("whole_word", False), record.get("duration_s", 0)
        return filter_service_pb2.CreateFilterRequest(
            user_id=user, phrase=phrase, whole_word=whole_word, duration_s=duration_s
        )
    if rpc == "DeleteFilter":
        return filter_service_pb2.DeleteFilterRequest(user_id=record["user_id"], filter_id=filter_id)
    if rpc == "Mute":
        return graph_service_pb2.MuteRequest(
            muter_id=record["muter_id"], muted_id=record["muted_id"], duration_s=record.get("duration_s", 0)
        )
    names = _field_names(rpc)
    fields: dict[str, Any] = {"group_id": group_id} if "group_id" in names else {}
    if rpc in PAGED:
        fields |= {"user_id": record["user_id"], "page_size": record.get("page_size", 0), "page_token": page_token}
        return SPECS[rpc].request(**fields)
    if rpc == "JoinGroup":
        return SPECS[rpc].request(**fields, user_id=record["user_id"], inviter_id=record.get("inviter_id", 0))
    # ids only: Follow, Unfollow, Block, Unblock, Unmute, GetGroup, LeaveGroup
    return SPECS[rpc].request(**fields, **{name: record[name] for name in names if name != "group_id"})


def from_request(
    rpc: str,
    request: Any,
    ref_of: Callable[[int], int | None],
    group_ref_of: Callable[[int], int | None] = lambda group_id: None,
    filter_ref_of: Callable[[int], int | None] = lambda filter_id: None,
    repost_ref_of: Callable[[tuple[int, int]], int | None] = lambda user_and_post: None,
) -> Record | None:
    """The trace fields of a served request (no "t"); None when a post, group, filter or repost it names
    is not in the trace (repost_ref_of: the ordinal of the Repost of (user, post)).

    Only message fields are read: never metadata, and never a value a replay could not
    use or should not see (page tokens, post text, group names, raw idempotency keys).
    """
    group: Record = {}
    if getattr(request, "group_id", 0):  # a group's id is the server's: the record names its CreateGroup
        ref = group_ref_of(request.group_id)
        if ref is None:
            return None
        group = {"group_ref": ref}
    if rpc == "CreatePost":
        fields: Record = {"author_id": request.author_id, "text_len": len(request.text), **group}
        if request.idempotency_key:  # kept as a digest: retries still share a key, the value stays private
            fields["key"] = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:16]
        return fields
    if rpc == "CreateGroup":
        private = request.visibility == group_service_pb2.GROUP_VISIBILITY_PRIVATE
        return {"creator_id": request.creator_id, "name_len": len(request.name), "visibility": _visibility(private)}
    if rpc in ("CreateFilter", "Mute"):
        return _quiet_fields(rpc, request)
    if rpc == "DeleteFilter":
        ref = filter_ref_of(request.filter_id)
        return None if ref is None else {"user_id": request.user_id, "filter_ref": ref}
    if rpc == "Unrepost":
        ref = repost_ref_of((request.user_id, request.post_id))
        return None if ref is None else {"user_id": request.user_id, "repost_ref": ref}
    if rpc in REFERENCING:
        ref = ref_of(request.post_id)
        if ref is None:
            return None
        if rpc == "Repost":
            return {"user_id": request.user_id, "post_ref": ref}
        return {"author_id": request.author_id, "post_ref": ref} if rpc == "DeletePost" else {"post_ref": ref}
    if rpc not in PAGED:
        ids = {name: getattr(request, name) for name in _field_names(rpc) if name != "group_id"}
        if rpc == "JoinGroup" and not ids["inviter_id"]:
            del ids["inviter_id"]  # absent: a join by oneself
        return {**group, **ids}
    fields = {**group, "user_id": request.user_id}
    if request.page_size:
        fields["page_size"] = request.page_size
    if request.page_token:
        fields["next"] = True
    return fields


def _quiet_fields(rpc: str, request: Any) -> Record:
    """A Mute's ids, or a CreateFilter's user and phrase length (the phrase is user data); whole_word and
    duration_s only when set."""
    if rpc == "Mute":
        fields: Record = {"muter_id": request.muter_id, "muted_id": request.muted_id}
    else:
        fields = {"user_id": request.user_id, "phrase_len": len(request.phrase)}
        if request.whole_word:
            fields["whole_word"] = True
    if request.duration_s:
        fields["duration_s"] = request.duration_s
    return fields


def _visibility(private: bool) -> str:
    return "private" if private else "open"


def _field_names(rpc: str) -> list[str]:
    """A request's fields by their proto names: what a plain record holds, one to one."""
    return [field.name for field in SPECS[rpc].request.DESCRIPTOR.fields]
