import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Event(_message.Message):
    __slots__ = ("event_id", "event_time", "post_created", "post_deleted", "followed", "unfollowed", "group_joined", "group_left", "reposted", "unreposted")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    POST_CREATED_FIELD_NUMBER: _ClassVar[int]
    POST_DELETED_FIELD_NUMBER: _ClassVar[int]
    FOLLOWED_FIELD_NUMBER: _ClassVar[int]
    UNFOLLOWED_FIELD_NUMBER: _ClassVar[int]
    GROUP_JOINED_FIELD_NUMBER: _ClassVar[int]
    GROUP_LEFT_FIELD_NUMBER: _ClassVar[int]
    REPOSTED_FIELD_NUMBER: _ClassVar[int]
    UNREPOSTED_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    event_time: _timestamp_pb2.Timestamp
    post_created: PostCreated
    post_deleted: PostDeleted
    followed: Followed
    unfollowed: Unfollowed
    group_joined: GroupJoined
    group_left: GroupLeft
    reposted: Reposted
    unreposted: Unreposted
    def __init__(self, event_id: _Optional[str] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., post_created: _Optional[_Union[PostCreated, _Mapping]] = ..., post_deleted: _Optional[_Union[PostDeleted, _Mapping]] = ..., followed: _Optional[_Union[Followed, _Mapping]] = ..., unfollowed: _Optional[_Union[Unfollowed, _Mapping]] = ..., group_joined: _Optional[_Union[GroupJoined, _Mapping]] = ..., group_left: _Optional[_Union[GroupLeft, _Mapping]] = ..., reposted: _Optional[_Union[Reposted, _Mapping]] = ..., unreposted: _Optional[_Union[Unreposted, _Mapping]] = ...) -> None: ...

class PostCreated(_message.Message):
    __slots__ = ("post_id", "author_id", "org_id", "group_id")
    POST_ID_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    post_id: int
    author_id: int
    org_id: int
    group_id: int
    def __init__(self, post_id: _Optional[int] = ..., author_id: _Optional[int] = ..., org_id: _Optional[int] = ..., group_id: _Optional[int] = ...) -> None: ...

class PostDeleted(_message.Message):
    __slots__ = ("post_id", "author_id", "org_id", "group_id")
    POST_ID_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    post_id: int
    author_id: int
    org_id: int
    group_id: int
    def __init__(self, post_id: _Optional[int] = ..., author_id: _Optional[int] = ..., org_id: _Optional[int] = ..., group_id: _Optional[int] = ...) -> None: ...

class Followed(_message.Message):
    __slots__ = ("follower_id", "followee_id", "org_id")
    FOLLOWER_ID_FIELD_NUMBER: _ClassVar[int]
    FOLLOWEE_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    follower_id: int
    followee_id: int
    org_id: int
    def __init__(self, follower_id: _Optional[int] = ..., followee_id: _Optional[int] = ..., org_id: _Optional[int] = ...) -> None: ...

class Unfollowed(_message.Message):
    __slots__ = ("follower_id", "followee_id", "org_id")
    FOLLOWER_ID_FIELD_NUMBER: _ClassVar[int]
    FOLLOWEE_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    follower_id: int
    followee_id: int
    org_id: int
    def __init__(self, follower_id: _Optional[int] = ..., followee_id: _Optional[int] = ..., org_id: _Optional[int] = ...) -> None: ...

class GroupJoined(_message.Message):
    __slots__ = ("group_id", "user_id", "org_id")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    group_id: int
    user_id: int
    org_id: int
    def __init__(self, group_id: _Optional[int] = ..., user_id: _Optional[int] = ..., org_id: _Optional[int] = ...) -> None: ...

class GroupLeft(_message.Message):
    __slots__ = ("group_id", "user_id", "org_id")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    group_id: int
    user_id: int
    org_id: int
    def __init__(self, group_id: _Optional[int] = ..., user_id: _Optional[int] = ..., org_id: _Optional[int] = ...) -> None: ...

class Reposted(_message.Message):
    __slots__ = ("repost_id", "reposter_id", "post_id", "org_id")
    REPOST_ID_FIELD_NUMBER: _ClassVar[int]
    REPOSTER_ID_FIELD_NUMBER: _ClassVar[int]
    POST_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    repost_id: int
    reposter_id: int
    post_id: int
    org_id: int
    def __init__(self, repost_id: _Optional[int] = ..., reposter_id: _Optional[int] = ..., post_id: _Optional[int] = ..., org_id: _Optional[int] = ...) -> None: ...

class Unreposted(_message.Message):
    __slots__ = ("repost_id", "reposter_id", "post_id", "org_id")
    REPOST_ID_FIELD_NUMBER: _ClassVar[int]
    REPOSTER_ID_FIELD_NUMBER: _ClassVar[int]
    POST_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    repost_id: int
    reposter_id: int
    post_id: int
    org_id: int
    def __init__(self, repost_id: _Optional[int] = ..., reposter_id: _Optional[int] = ..., post_id: _Optional[int] = ..., org_id: _Optional[int] = ...) -> None: ...
