import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Post(_message.Message):
    __slots__ = ("post_id", "author_id", "text", "create_time", "group_id", "org_id", "reposted_by_user_id", "repost_count")
    POST_ID_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    REPOSTED_BY_USER_ID_FIELD_NUMBER: _ClassVar[int]
    REPOST_COUNT_FIELD_NUMBER: _ClassVar[int]
    post_id: int
    author_id: int
    text: str
    create_time: _timestamp_pb2.Timestamp
    group_id: int
    org_id: int
    reposted_by_user_id: int
    repost_count: int
    def __init__(self, post_id: _Optional[int] = ..., author_id: _Optional[int] = ..., text: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., group_id: _Optional[int] = ..., org_id: _Optional[int] = ..., reposted_by_user_id: _Optional[int] = ..., repost_count: _Optional[int] = ...) -> None: ...
