"""Fuzzing every RPC of every service: no input yields INTERNAL or UNKNOWN, and none crashes a process.

Two kinds of input. Typed requests draw every field from its whole type range
(ids past 2^63, negative sizes, long and odd text). Raw bytes reach the server as
sent, past any client-side serializer: random bytes, truncated valid requests and
string fields holding invalid UTF-8 (written by hand: field tag, length, 0xff 0xfe).
A request that does not parse is INVALID_ARGUMENT and counted in
feed_rpc_requests_total like any other call.
"""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feed.access.tokens import mint
from feed.telemetry.scrape import scrape, value
from feed.v1.feed_service_pb2 import DESCRIPTOR as FEED
from feed.v1.filter_service_pb2 import DESCRIPTOR as FILTERS
from feed.v1.graph_service_pb2 import DESCRIPTOR as GRAPH
from feed.v1.group_service_pb2 import DESCRIPTOR as GROUPS
from feed.v1.post_service_pb2 import DESCRIPTOR as POSTS
from tests.integration.stack import eventually

pytestmark = pytest.mark.integration

SERVICES = [
    ("write", POSTS.services_by_name["PostService"]),
    ("write", GRAPH.services_by_name["GraphService"]),
    ("write", GROUPS.services_by_name["GroupService"]),
    ("write", FILTERS.services_by_name["FilterService"]),
    ("read", FEED.services_by_name["FeedService"]),
    ("stream", FEED.services_by_name["FeedService"]),  # the read process's stream server serves it all
]
# WatchHomeTimeline lives on the stream address only (the read address answers UNIMPLEMENTED, by design).
METHODS = [
    (side, method)
    for side, service in SERVICES
    for method in service.methods
    if side == "stream" or not method.server_streaming
]
METHOD_IDS = [f"{side}:{m.containing_service.name}.{m.name}" for side, m in METHODS]
PROCESS = {"write": "write service", "read": "read service", "stream": "read service"}
FORBIDDEN = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
ACTING_FIELDS = ("author_id", "follower_id", "blocker_id", "muter_id", "creator_id", "user_id")
FUZZ = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))

ids = st.one_of(
    st.integers(min_value=0, max_value=2**64 - 1),
    st.sampled_from([0, 1, 2, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1]),
)
int32s = st.integers(min_value=-(2**31), max_value=2**31 - 1)
SCALARS = {
    FieldDescriptor.TYPE_UINT64: ids,
    FieldDescriptor.TYPE_INT32: int32s,
    FieldDescriptor.TYPE_INT64: st.one_of(
        st.integers(min_value=-(2**63), max_value=2**63 - 1), st.sampled_from([-1, 0, 1, 315_360_001, 2**63 - 1])
    ),
    FieldDescriptor.TYPE_BOOL: st.booleans(),
    FieldDescriptor.TYPE_ENUM: int32s,  # proto3 enums are open: any value arrives
    FieldDescriptor.TYPE_STRING: st.one_of(
        st.text(max_size=50), st.text(min_size=4990, max_size=5010, alphabet="aé✓ "), st.just("")
    ),
}


def request_class(method):
    return message_factory.GetMessageClass(method.input_type)


def requests_for(method):
    """Any request message: every field drawn from its whole type range."""
    fields = {f.name: SCALARS[f.type] for f in method.input_type.fields}
    return st.fixed_dictionaries(fields).map(lambda values: request_class(method)(**values))


def address(stack, side: str) -> str:
    return getattr(stack.settings, f"{side}_addr")  # write_addr, read_addr, stream_addr


def callable_for(channel: grpc.Channel, method, serializer=None):
    """A call of method that returns once its status is known: a stream is read to its end."""
    path = f"/{method.containing_service.full_name}/{method.name}"
    if not method.server_streaming:
        return channel.unary_unary(path, request_serializer=serializer, response_deserializer=None)
    stream = channel.unary_stream(path, request_serializer=serializer, response_deserializer=None)

    def call(request, metadata, timeout):
        # A valid request opens a live stream that would never end: a short deadline ends it, and
        # DEADLINE_EXCEEDED then means the stream was open and well.
        try:
            for _ in stream(request, metadata=metadata, timeout=min(timeout, 0.5)):
                pass
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                raise

    return call


def as_user(stack, user_id: int) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {mint(stack.keys, user_id)}")]


def status_of(call, request, metadata) -> grpc.StatusCode:
    try:
        call(request, metadata=metadata, timeout=10)
    except grpc.RpcError as err:
        assert err.code() not in FORBIDDEN, (request, err.details())
        return err.code()
    return grpc.StatusCode.OK


@pytest.mark.parametrize(("side", "method"), METHODS, ids=METHOD_IDS)
def test_no_typed_request_yields_internal_or_unknown(stack, side, method):
    channel = grpc.insecure_channel(address(stack, side))
    call = callable_for(channel, method, lambda m: m.SerializeToString())

    @FUZZ
    @given(request=requests_for(method), actor=ids, token_kind=st.sampled_from("vgn"))
    def fuzz(request, actor, token_kind):
        acting = next((getattr(request, f) for f in ACTING_FIELDS if 0 < getattr(request, f, 0) < 2**63), 1)
        if token_kind == "v":  # a valid token of the acting user
            metadata = as_user(stack, acting)
        elif token_kind == "g":  # a valid token of somebody, often someone else
            metadata = as_user(stack, actor % (2**63 - 1) + 1)
        else:
            metadata = [("authorization", "Bearer x")]
        status_of(call, request, metadata)

    try:
        fuzz()
    finally:
        channel.close()
    assert all(p.alive() for p in stack.processes), "a process died"


def tag(field_number: int, wire_type: int) -> bytes:
    return bytes([field_number << 3 | wire_type])  # every field number here is below 16: one byte


def full_request(method) -> bytes:
    """A valid request with every field set, serialized."""
    example = {FieldDescriptor.TYPE_STRING: "text", FieldDescriptor.TYPE_BOOL: True}
    values = {f.name: example.get(f.type, 1_000_000_007) for f in method.input_type.fields}
    return request_class(method)(**values).SerializeToString()


def invalid_utf8_requests(method) -> list[bytes]:
    """For each string field: a valid request whose field holds bytes that are not UTF-8."""
    fields = [f for f in method.input_type.fields if f.type == FieldDescriptor.TYPE_STRING]
    return [tag(f.number, 2) + bytes([len(bad)]) + bad for f in fields for bad in (b"\xff\xfe", b"ok\xc3")]


def malformed_requests(method) -> list[bytes]:
    """Bytes that are not a request of method's type, whatever its fields."""
    first = method.input_type.fields[0].number
    return [
        tag(first, 0),  # a varint that never comes
        tag(first, 0) + b"\xff" * 11,  # a varint longer than any
        tag(first, 2) + b"\x05ab",  # a length past the end
        b"\x00",  # field number 0
        *invalid_utf8_requests(method),
    ]


@pytest.mark.parametrize(("side", "method"), METHODS, ids=METHOD_IDS)
def test_malformed_bytes_are_invalid_arguments_counted_in_the_rpc_metrics(stack, side, method):
    process = stack.process(PROCESS[side])
    labels = {"service": method.containing_service.full_name, "method": method.name, "code": "INVALID_ARGUMENT"}
    before = value(scrape(process.metrics_url), "feed_rpc_requests_total", **labels)
    answered: list[grpc.StatusCode] = []
    with grpc.insecure_channel(address(stack, side)) as channel:
        call = callable_for(channel, method)  # bytes as they are
        for raw in malformed_requests(method):
            answered.append(status_of(call, raw, as_user(stack, 1)))
    assert answered == [grpc.StatusCode.INVALID_ARGUMENT] * len(answered)

    def counted() -> float:
        return value(scrape(process.metrics_url), "feed_rpc_requests_total", **labels) - before

    # The stream address's server counts a call as it finishes, which can be just after the caller has its answer.
    try:
        eventually(lambda: counted() >= len(answered), timeout_s=10)
    finally:
        assert counted() == len(answered)


@pytest.mark.parametrize(("side", "method"), METHODS, ids=METHOD_IDS)
def test_no_random_or_truncated_bytes_yield_internal_or_unknown(stack, side, method):
    valid = full_request(method)
    with grpc.insecure_channel(address(stack, side)) as channel:
        call = callable_for(channel, method)
        for cut in range(1, len(valid)):
            status_of(call, valid[:cut], as_user(stack, 1_000_000_007))

        @FUZZ
        @given(raw=st.binary(max_size=64))
        def fuzz(raw):
            status_of(call, raw, as_user(stack, 1))

        fuzz()
    assert all(p.alive() for p in stack.processes), "a process died"
