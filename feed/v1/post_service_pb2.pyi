from google.protobuf import empty_pb2 as _empty_pb2
from feed.v1 import post_pb2 as _post_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class CreatePostRequest(_message.Message):
    __slots__ = ("author_id", "text", "idempotency_key", "group_id")
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    author_id: int
    text: str
    idempotency_key: str
    group_id: int
    def __init__(self, author_id: _Optional[int] = ..., text: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., group_id: _Optional[int] = ...) -> None: ...

class DeletePostRequest(_message.Message):
    __slots__ = ("author_id", "post_id")
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    POST_ID_FIELD_NUMBER: _ClassVar[int]
    author_id: int
    post_id: int
    def __init__(self, author_id: _Optional[int] = ..., post_id: _Optional[int] = ...) -> None: ...

class GetPostRequest(_message.Message):
    __slots__ = ("post_id",)
    POST_ID_FIELD_NUMBER: _ClassVar[int]
    post_id: int
    def __init__(self, post_id: _Optional[int] = ...) -> None: ...

class RepostRequest(_message.Message):
    __slots__ = ("user_id", "post_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    POST_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    post_id: int
    def __init__(self, user_id: _Optional[int] = ..., post_id: _Optional[int] = ...) -> None: ...

class UnrepostRequest(_message.Message):
    __slots__ = ("user_id", "post_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    POST_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    post_id: int
    def __init__(self, user_id: _Optional[int] = ..., post_id: _Optional[int] = ...) -> None: ...
