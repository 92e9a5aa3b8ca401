"""Every protocol a browser or curl speaks reaches the services through the gateway, with the
gRPC port's authentication and errors, mapped to HTTP as the Connect protocol says."""

from __future__ import annotations

import json
import shutil
import subprocess

import httpx
import pytest

from feed.access.tokens import mint
from feed.telemetry.scrape import scrape, value
from feed.v1 import feed_service_pb2, post_pb2, post_service_pb2
from tests.integration.stack import eventually, new_user
from tests.web.conftest import ALLOWED_ORIGIN, WRITE_BURST
from tests.web.wire import TRAILERS, envelope, frames, trailers

pytestmark = pytest.mark.integration

HOME = "/feed.v1.FeedService/GetHomeTimeline"
JSON = {"content-type": "application/json"}


def bearer(stack, user: int) -> dict[str, str]:
    return {"authorization": f"Bearer {mint(stack.keys, user)}"}


def call_json(url: str, path: str, body: object, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url + path, content=json.dumps(body), headers={**JSON, **headers}, timeout=15)


def curl_home(url: str, token: str, user: int) -> dict:
    """The curl of the README, word for word (but the user id): must-hold 1 of issue 24."""
    assert shutil.which("curl"), "curl is needed: the README's example is a curl command"
    command = [
        "curl", "-s", "--fail-with-body",
        "-H", f"authorization: Bearer {token}",
        "-H", "content-type: application/json",
        "-d", json.dumps({"userId": str(user)}),
        url + HOME,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
    return json.loads(done.stdout)


def test_the_readme_curl_returns_the_home_timeline_as_json(web_stack, web_client, web_url):
    author, reader = new_user(), new_user()
    web_client.follow(reader, author)
    post = web_client.post(author, "seen from curl")
    token = mint(web_stack.keys, reader)
    eventually(lambda: [p["postId"] for p in curl_home(web_url, token, reader).get("posts", [])] == [str(post.post_id)])
    page = curl_home(web_url, token, reader)
    assert page["posts"][0]["text"] == "seen from curl"
    assert page["posts"][0]["authorId"] == str(author)  # 64-bit ids travel as strings in JSON, never as floats


def test_a_bad_token_answers_401_with_a_json_error(web_url):
    answer = call_json(web_url, HOME, {"userId": "2"}, {"authorization": "Bearer not-a-token"})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["code"] == "unauthenticated"
    assert answer.json()["message"]
    missing = call_json(web_url, HOME, {"userId": "2"}, {})
    assert (missing.status_code, missing.json()["code"]) == (401, "unauthenticated")


def test_acting_as_another_user_is_refused_as_on_the_grpc_port(web_stack, web_url):
    me, other = new_user(), new_user()
    answer = call_json(web_url, HOME, {"userId": str(other)}, bearer(web_stack, me))
    assert (answer.status_code, answer.json()["code"]) == (403, "permission_denied")


def test_binary_connect_unary_call_round_trips_protobuf(web_stack, web_client, web_url):
    author = new_user()
    created = web_client.post(author, "binary")
    request = post_service_pb2.GetPostRequest(post_id=created.post_id).SerializeToString()
    headers = {"content-type": "application/proto", **bearer(web_stack, author)}
    answer = httpx.post(web_url + "/feed.v1.PostService/GetPost", content=request, headers=headers, timeout=15)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/proto"
    assert answer.headers["x-request-id"]  # the id the services logged this call under
    post = post_pb2.Post.FromString(answer.content)
    assert (post.post_id, post.text) == (created.post_id, "binary")


def test_a_grpc_web_call_gets_its_message_and_an_ok_status_in_the_trailer_frame(web_stack, web_client, web_url):
    author = new_user()
    web_client.post(author, "over grpc-web")
    request = feed_service_pb2.GetUserTimelineRequest(user_id=author, page_size=10).SerializeToString()
    headers = {"content-type": "application/grpc-web+proto", "x-grpc-web": "1", **bearer(web_stack, author)}
    answer = httpx.post(
        web_url + "/feed.v1.FeedService/GetUserTimeline", content=envelope(request), headers=headers, timeout=15
    )
    assert answer.status_code == 200
    got = list(frames([answer.content]))
    assert [flags for flags, _ in got] == [0, TRAILERS]
    assert trailers(got[1][1])["grpc-status"] == "0"
    page = feed_service_pb2.GetUserTimelineResponse.FromString(got[0][1])
    assert [p.text for p in page.posts] == ["over grpc-web"]


def test_a_grpc_web_error_is_a_status_in_the_trailers(web_url):
    request = feed_service_pb2.GetUserTimelineRequest(user_id=1).SerializeToString()
    headers = {"content-type": "application/grpc-web+proto", "authorization": "Bearer nope"}
    answer = httpx.post(
        web_url + "/feed.v1.FeedService/GetUserTimeline", content=envelope(request), headers=headers, timeout=15
    )
    status = answer.headers.get("grpc-status") or trailers(list(frames([answer.content]))[-1][1])["grpc-status"]
    assert status == "16"  # UNAUTHENTICATED


def test_errors_map_to_the_connect_codes_and_http_statuses(web_stack, web_url):
    user = new_user()
    auth = bearer(web_stack, user)
    unknown = call_json(web_url, "/feed.v1.PostService/GetPost", {"postId": "12345"}, auth)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    empty = call_json(web_url, "/feed.v1.PostService/CreatePost", {"authorId": str(user), "text": ""}, auth)
    assert (empty.status_code, empty.json()["code"]) == (400, "invalid_argument")
    flood = [
        call_json(web_url, "/feed.v1.PostService/CreatePost", {"authorId": str(user), "text": f"flood {n}"}, auth)
        for n in range(WRITE_BURST + 4)
    ]
    refused = [answer for answer in flood if answer.status_code != 200]
    assert refused, "the write limit never refused a call"
    assert {(a.status_code, a.json()["code"]) for a in refused} == {(429, "resource_exhausted")}


def test_a_rate_limited_call_tells_the_caller_when_to_retry_in_retry_after(web_stack, web_url):
    user = new_user()
    auth = {**bearer(web_stack, user), "origin": ALLOWED_ORIGIN}
    flood = [
        call_json(web_url, "/feed.v1.PostService/CreatePost", {"authorId": str(user), "text": f"flood {n}"}, auth)
        for n in range(WRITE_BURST + 4)
    ]
    refused = [answer for answer in flood if answer.status_code == 429]
    assert refused, "the write limit never refused a call"
    for answer in refused:
        # At 0.5 writes a second, the next one is allowed within 2 s: whole seconds, rounded up.
        assert answer.headers.get("retry-after") in {"1", "2"}, answer.headers
        exposed = {h.strip().lower() for h in answer.headers["access-control-expose-headers"].split(",")}
        assert "retry-after" in exposed  # so a page of an allowed origin can read it


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"userId": "2"'),  # cut short
        ("application/json", b'{"userId": "two"}'),  # not a number
        ("application/json", b'{"noSuchField": 1}'),
        ("application/proto", b"\xff\xff\xff\xff"),  # not protobuf
    ],
)
def test_a_malformed_body_is_the_callers_error_never_a_500(web_stack, web_url, content_type, body):
    headers = {"content-type": content_type, **bearer(web_stack, 2)}
    answer = httpx.post(web_url + HOME, content=body, headers=headers, timeout=15)
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "invalid_argument"


def test_an_unknown_media_type_or_path_is_refused_with_a_4xx(web_stack, web_url):
    text = httpx.post(web_url + HOME, content=b"hello", headers={"content-type": "text/plain"}, timeout=15)
    assert text.status_code == 415
    nowhere = call_json(web_url, "/feed.v1.FeedService/NoSuchMethod", {}, bearer(web_stack, 2))
    assert nowhere.status_code == 404


def test_the_gateway_counts_calls_by_procedure_protocol_and_code(web_stack, web_url):
    metrics_url = web_stack.process("web gateway").metrics_url
    labels = {"procedure": "feed.v1.FeedService/GetHomeTimeline", "protocol": "connect", "code": "unauthenticated"}

    def count() -> float:
        return value(scrape(metrics_url), "feed_web_requests_total", **labels)

    before = count()
    call_json(web_url, HOME, {"userId": "2"}, {"authorization": "Bearer nope"})
    assert count() == before + 1
