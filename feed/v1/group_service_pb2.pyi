import datetime

from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GroupVisibility(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GROUP_VISIBILITY_UNSPECIFIED: _ClassVar[GroupVisibility]
    GROUP_VISIBILITY_OPEN: _ClassVar[GroupVisibility]
    GROUP_VISIBILITY_PRIVATE: _ClassVar[GroupVisibility]

class GroupKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GROUP_KIND_UNSPECIFIED: _ClassVar[GroupKind]
    GROUP_KIND_REGULAR: _ClassVar[GroupKind]
    GROUP_KIND_ANNOUNCEMENTS: _ClassVar[GroupKind]
GROUP_VISIBILITY_UNSPECIFIED: GroupVisibility
GROUP_VISIBILITY_OPEN: GroupVisibility
GROUP_VISIBILITY_PRIVATE: GroupVisibility
GROUP_KIND_UNSPECIFIED: GroupKind
GROUP_KIND_REGULAR: GroupKind
GROUP_KIND_ANNOUNCEMENTS: GroupKind

class Group(_message.Message):
    __slots__ = ("group_id", "org_id", "name", "visibility", "kind", "creator_id", "create_time")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CREATOR_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    group_id: int
    org_id: int
    name: str
    visibility: GroupVisibility
    kind: GroupKind
    creator_id: int
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, group_id: _Optional[int] = ..., org_id: _Optional[int] = ..., name: _Optional[str] = ..., visibility: _Optional[_Union[GroupVisibility, str]] = ..., kind: _Optional[_Union[GroupKind, str]] = ..., creator_id: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateGroupRequest(_message.Message):
    __slots__ = ("creator_id", "name", "visibility")
    CREATOR_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    creator_id: int
    name: str
    visibility: GroupVisibility
    def __init__(self, creator_id: _Optional[int] = ..., name: _Optional[str] = ..., visibility: _Optional[_Union[GroupVisibility, str]] = ...) -> None: ...

class GetGroupRequest(_message.Message):
    __slots__ = ("group_id", "user_id")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    group_id: int
    user_id: int
    def __init__(self, group_id: _Optional[int] = ..., user_id: _Optional[int] = ...) -> None: ...

class JoinGroupRequest(_message.Message):
    __slots__ = ("group_id", "user_id", "inviter_id")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    INVITER_ID_FIELD_NUMBER: _ClassVar[int]
    group_id: int
    user_id: int
    inviter_id: int
    def __init__(self, group_id: _Optional[int] = ..., user_id: _Optional[int] = ..., inviter_id: _Optional[int] = ...) -> None: ...

class LeaveGroupRequest(_message.Message):
    __slots__ = ("group_id", "user_id")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    group_id: int
    user_id: int
    def __init__(self, group_id: _Optional[int] = ..., user_id: _Optional[int] = ...) -> None: ...

class ListGroupMembersRequest(_message.Message):
    __slots__ = ("group_id", "user_id", "page_size", "page_token")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    group_id: int
    user_id: int
    page_size: int
    page_token: str
    def __init__(self, group_id: _Optional[int] = ..., user_id: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListGroupMembersResponse(_message.Message):
    __slots__ = ("member_ids", "next_page_token")
    MEMBER_IDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    member_ids: _containers.RepeatedScalarFieldContainer[int]
    next_page_token: str
    def __init__(self, member_ids: _Optional[_Iterable[int]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListMyGroupsRequest(_message.Message):
    __slots__ = ("user_id", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListMyGroupsResponse(_message.Message):
    __slots__ = ("groups", "next_page_token")
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[Group]
    next_page_token: str
    def __init__(self, groups: _Optional[_Iterable[_Union[Group, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
