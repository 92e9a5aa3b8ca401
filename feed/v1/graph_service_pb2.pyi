import datetime

from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FollowRequest(_message.Message):
    __slots__ = ("follower_id", "followee_id")
    FOLLOWER_ID_FIELD_NUMBER: _ClassVar[int]
    FOLLOWEE_ID_FIELD_NUMBER: _ClassVar[int]
    follower_id: int
    followee_id: int
    def __init__(self, follower_id: _Optional[int] = ..., followee_id: _Optional[int] = ...) -> None: ...

class UnfollowRequest(_message.Message):
    __slots__ = ("follower_id", "followee_id")
    FOLLOWER_ID_FIELD_NUMBER: _ClassVar[int]
    FOLLOWEE_ID_FIELD_NUMBER: _ClassVar[int]
    follower_id: int
    followee_id: int
    def __init__(self, follower_id: _Optional[int] = ..., followee_id: _Optional[int] = ...) -> None: ...

class BlockRequest(_message.Message):
    __slots__ = ("blocker_id", "blocked_id")
    BLOCKER_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCKED_ID_FIELD_NUMBER: _ClassVar[int]
    blocker_id: int
    blocked_id: int
    def __init__(self, blocker_id: _Optional[int] = ..., blocked_id: _Optional[int] = ...) -> None: ...

class UnblockRequest(_message.Message):
    __slots__ = ("blocker_id", "blocked_id")
    BLOCKER_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCKED_ID_FIELD_NUMBER: _ClassVar[int]
    blocker_id: int
    blocked_id: int
    def __init__(self, blocker_id: _Optional[int] = ..., blocked_id: _Optional[int] = ...) -> None: ...

class ListFollowersRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFollowersResponse(_message.Message):
    __slots__ = ("follower_ids", "next_page_token")
    FOLLOWER_IDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    follower_ids: _containers.RepeatedScalarFieldContainer[int]
    next_page_token: str
    def __init__(self, follower_ids: _Optional[_Iterable[int]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListFollowingRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFollowingResponse(_message.Message):
    __slots__ = ("followee_ids", "next_page_token")
    FOLLOWEE_IDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    followee_ids: _containers.RepeatedScalarFieldContainer[int]
    next_page_token: str
    def __init__(self, followee_ids: _Optional[_Iterable[int]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class MuteRequest(_message.Message):
    __slots__ = ("muter_id", "muted_id", "duration_s")
    MUTER_ID_FIELD_NUMBER: _ClassVar[int]
    MUTED_ID_FIELD_NUMBER: _ClassVar[int]
    DURATION_S_FIELD_NUMBER: _ClassVar[int]
    muter_id: int
    muted_id: int
    duration_s: int
    def __init__(self, muter_id: _Optional[int] = ..., muted_id: _Optional[int] = ..., duration_s: _Optional[int] = ...) -> None: ...

class UnmuteRequest(_message.Message):
    __slots__ = ("muter_id", "muted_id")
    MUTER_ID_FIELD_NUMBER: _ClassVar[int]
    MUTED_ID_FIELD_NUMBER: _ClassVar[int]
    muter_id: int
    muted_id: int
    def __init__(self, muter_id: _Optional[int] = ..., muted_id: _Optional[int] = ...) -> None: ...

class ListMutesRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class Mute(_message.Message):
    __slots__ = ("user_id", "expire_time")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[int] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListMutesResponse(_message.Message):
    __slots__ = ("mutes", "next_page_token")
    MUTES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    mutes: _containers.RepeatedCompositeFieldContainer[Mute]
    next_page_token: str
    def __init__(self, mutes: _Optional[_Iterable[_Union[Mute, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
