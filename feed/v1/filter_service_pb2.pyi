import datetime

from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateFilterRequest(_message.Message):
    __slots__ = ("user_id", "phrase", "whole_word", "duration_s")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PHRASE_FIELD_NUMBER: _ClassVar[int]
    WHOLE_WORD_FIELD_NUMBER: _ClassVar[int]
    DURATION_S_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    phrase: str
    whole_word: bool
    duration_s: int
    def __init__(self, user_id: _Optional[int] = ..., phrase: _Optional[str] = ..., whole_word: _Optional[bool] = ..., duration_s: _Optional[int] = ...) -> None: ...

class Filter(_message.Message):
    __slots__ = ("filter_id", "phrase", "whole_word", "expire_time")
    FILTER_ID_FIELD_NUMBER: _ClassVar[int]
    PHRASE_FIELD_NUMBER: _ClassVar[int]
    WHOLE_WORD_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    filter_id: int
    phrase: str
    whole_word: bool
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, filter_id: _Optional[int] = ..., phrase: _Optional[str] = ..., whole_word: _Optional[bool] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DeleteFilterRequest(_message.Message):
    __slots__ = ("user_id", "filter_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    FILTER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    filter_id: int
    def __init__(self, user_id: _Optional[int] = ..., filter_id: _Optional[int] = ...) -> None: ...

class ListFiltersRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    def __init__(self, user_id: _Optional[int] = ...) -> None: ...

class ListFiltersResponse(_message.Message):
    __slots__ = ("filters",)
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    filters: _containers.RepeatedCompositeFieldContainer[Filter]
    def __init__(self, filters: _Optional[_Iterable[_Union[Filter, _Mapping]]] = ...) -> None: ...
