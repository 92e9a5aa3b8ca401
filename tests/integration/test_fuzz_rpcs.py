"""Property-based fuzzing of every RPC's request fields: no input yields INTERNAL or UNKNOWN,
and none crashes a process."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.descriptor import FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feed.access.tokens import mint
from feed.v1 import feed_service_pb2_grpc, graph_service_pb2_grpc, post_service_pb2_grpc
from feed.v1.feed_service_pb2 import DESCRIPTOR as FEED
from feed.v1.graph_service_pb2 import DESCRIPTOR as GRAPH
from feed.v1.post_service_pb2 import DESCRIPTOR as POSTS

pytestmark = pytest.mark.integration

SERVICES = [
    ("write", POSTS.services_by_name["PostService"], post_service_pb2_grpc.PostServiceStub),
    ("write", GRAPH.services_by_name["GraphService"], graph_service_pb2_grpc.GraphServiceStub),
    ("read", FEED.services_by_name["FeedService"], feed_service_pb2_grpc.FeedServiceStub),
]
METHODS = [(side, method, stub) for side, service, stub in SERVICES for method in service.methods]
FORBIDDEN = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}

ids = st.one_of(
    st.integers(min_value=0, max_value=2**64 - 1),
    st.sampled_from([0, 1, 2, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1]),
)
SCALARS = {
    FieldDescriptor.TYPE_UINT64: ids,
    FieldDescriptor.TYPE_INT32: st.integers(min_value=-(2**31), max_value=2**31 - 1),
    FieldDescriptor.TYPE_STRING: st.one_of(
        st.text(max_size=50), st.text(min_size=4990, max_size=5010, alphabet="aé✓ "), st.just("")
    ),
}


def requests_for(message_descriptor, message_class):
    """Any request message: every field drawn from its whole type range."""
    fields = {f.name: SCALARS[f.type] for f in message_descriptor.fields}
    return st.fixed_dictionaries(fields).map(lambda values: message_class(**values))


@pytest.mark.parametrize(("side", "method", "stub"), METHODS, ids=[m.name for _, m, _ in METHODS])
def test_no_request_yields_internal_or_unknown(stack, side, method, stub):
    from google.protobuf import message_factory

    request_class = message_factory.GetMessageClass(method.input_type)
    addr = stack.settings.write_addr if side == "write" else stack.settings.read_addr
    channel = grpc.insecure_channel(addr)
    call = getattr(stub(channel), method.name)

    @settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(request=requests_for(method.input_type, request_class), actor=ids, token_kind=st.sampled_from("vgn"))
    def fuzz(request, actor, token_kind):
        acting = next(
            (
                getattr(request, f)
                for f in ("author_id", "follower_id", "blocker_id", "user_id")
                if hasattr(request, f) and 0 < getattr(request, f) < 2**63
            ),
            1,
        )
        if token_kind == "v":  # a valid token of the acting user
            metadata = [("authorization", f"Bearer {mint(stack.keys, acting)}")]
        elif token_kind == "g":  # a valid token of somebody, often someone else
            metadata = [("authorization", f"Bearer {mint(stack.keys, actor % (2**63 - 1) + 1)}")]
        else:
            metadata = [("authorization", "Bearer x")]
        try:
            call(request, metadata=metadata, timeout=10)
        except grpc.RpcError as err:
            assert err.code() not in FORBIDDEN, (method.name, request, err.details())

    try:
        fuzz()
    finally:
        channel.close()
    assert all(p.alive() for p in stack.processes), "a process died"
