"""One CreatePost yields one trace: the write call, the publish, the worker's delivery; the read that
showed the post names it. The stack runs with OTEL_* pointing at a receiver this test starts."""

from __future__ import annotations

import json

import pytest

from feed.access.tokens import mint
from tests.integration.stack import client_of, eventually, new_user, private_stack
from tests.tracing.receiver import OtlpReceiver, ReceivedSpan, render

pytestmark = pytest.mark.integration


@pytest.fixture
def receiver():
    running = OtlpReceiver()
    yield running
    running.stop()


def _one(spans: list[ReceivedSpan], **match) -> ReceivedSpan:
    found = [s for s in spans if all(getattr(s, k) == v for k, v in match.items())]
    assert len(found) == 1, f"{match}: {len(found)} spans"
    return found[0]


def test_a_post_is_one_trace_from_the_write_call_through_kafka_to_the_worker(tmp_path_factory, receiver, monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_always_on")
    # Nothing is exported before the processes are told to stop: what arrives was flushed on SIGTERM.
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "600000")
    with private_stack(tmp_path_factory, "traced") as stack, client_of(stack) as client:
        author, reader = new_user(), new_user()
        client.follow(reader, author)
        post_id = client.post(author, "traced post").post_id
        eventually(lambda: post_id in client.home_ids(reader), timeout_s=30)
        assert receiver.spans() == [], "exported before the processes stopped"
        write_log = stack.process("write service").log_path
    spans = receiver.spans()

    create = _one(spans, name="feed.v1.PostService/CreatePost")
    trace = [s for s in spans if s.trace_id == create.trace_id]
    print(render(trace))  # docs/tracing.md shows one
    assert (create.service, create.kind, create.parent_span_id) == ("write-service", "SERVER", "")
    assert create.attributes["feed.post_id"] == str(post_id)
    assert create.attributes["rpc.grpc.status_code"] == 0
    assert any(s.name == "store.create_post" and s.parent_span_id == create.span_id for s in trace)
    lines = [json.loads(line) for line in write_log.read_text().splitlines() if line.startswith("{")]
    (created,) = [line for line in lines if line.get("post_id") == post_id]
    assert created["trace_id"] == create.trace_id and created["request_id"] == create.attributes["feed.request_id"]

    publish = _one(trace, kind="PRODUCER")
    assert publish.service == "outbox-relay"
    assert publish.parent_span_id == create.span_id  # the outbox record carried the call's context

    apply = _one(trace, name="apply PostCreated")
    assert (apply.service, apply.kind, apply.parent_span_id) == ("fan-out-worker", "CONSUMER", publish.span_id)
    assert apply.attributes["feed.post_id"] == str(post_id)
    # The batch that applied it is a trace of its own, linked to the publish; it holds the Redis writes.
    (batch,) = [s for s in spans if s.name == "fan-out batch" and s.span_id == dict(apply.links).get(s.trace_id)]
    assert (publish.trace_id, publish.span_id) in batch.links
    print(render([s for s in spans if s.trace_id == batch.trace_id]))
    assert any(s.parent_span_id == batch.span_id and s.name.startswith("redis ") for s in spans)

    reads = [s for s in spans if s.name == "feed.v1.FeedService/GetHomeTimeline" and s.service == "read-service"]
    showed = [s for s in reads if str(post_id) in s.attributes.get("feed.post_ids", [])]
    assert showed, "no read span names the post"
    print(render([s for s in spans if s.trace_id == showed[0].trace_id]))
    assert all(s.start_ns > create.end_ns for s in showed)


def test_a_browser_call_through_the_gateway_continues_the_callers_trace(tmp_path_factory, receiver, monkeypatch):
    """A front end that starts a trace (W3C traceparent) sees the service's span in it, through the gateway."""
    import httpx

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_always_on")
    trace_id, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    with private_stack(tmp_path_factory, "traced-web", web=True) as stack:
        reader = new_user()
        answer = httpx.post(
            f"http://{stack.settings.web_addr}/feed.v1.FeedService/GetHomeTimeline",
            json={"userId": str(reader)},
            headers={
                "authorization": f"Bearer {mint(stack.keys, reader)}",
                "traceparent": f"00-{trace_id}-{parent}-01",
            },
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
    spans = [s for s in receiver.spans() if s.trace_id == trace_id]
    read = _one(spans, name="feed.v1.FeedService/GetHomeTimeline", service="read-service")
    assert read.parent_span_id in {parent} | {s.span_id for s in spans if s.service == "web-gateway"}


def test_a_watch_s_opening_is_a_span_of_the_caller_s_trace(tmp_path_factory, receiver, monkeypatch):
    """WatchHomeTimeline is traced too: its opening (token, limit, registration) is a SERVER span that
    continues the caller's trace and ends once the stream is live, not when the stream ends."""
    import grpc

    from feed.v1 import feed_service_pb2, feed_service_pb2_grpc

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_always_on")
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "200")
    trace_id, parent = "5bf92f3577b34da6a3ce929d0e0e4737", "01f067aa0ba902b8"
    with private_stack(tmp_path_factory, "traced-watch") as stack:
        reader = new_user()
        with grpc.insecure_channel(stack.settings.stream_addr) as channel:
            call = feed_service_pb2_grpc.FeedServiceStub(channel).WatchHomeTimeline(
                feed_service_pb2.WatchHomeTimelineRequest(user_id=reader),
                metadata=[
                    ("authorization", f"Bearer {mint(stack.keys, reader)}"),
                    ("traceparent", f"00-{trace_id}-{parent}-01"),
                ],
            )
            try:
                eventually(lambda: any(s.trace_id == trace_id for s in receiver.spans()), timeout_s=30)
                assert call.running(), "the span ended with the stream, not with its opening"
            finally:
                call.cancel()
    (opening,) = [s for s in receiver.spans() if s.name == "feed.v1.FeedService/WatchHomeTimeline"]
    assert (opening.trace_id, opening.parent_span_id) == (trace_id, parent)
    assert (opening.service, opening.kind) == ("read-service", "SERVER")
    assert opening.attributes["feed.user_id"] == str(reader)
    assert opening.attributes["rpc.grpc.status_code"] == 0
