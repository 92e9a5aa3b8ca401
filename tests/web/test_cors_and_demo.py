"""CORS grants only for configured origins; the demo token only where the demo is on; probes;
and what the gateway answers on its own when the services behind it do not."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from starlette.testclient import TestClient

from feed.access.tokens import AuthKeys, verify
from feed.config import Settings
from feed.web.app import build_app
from tests.web.conftest import ALLOWED_ORIGIN

HOME = "/feed.v1.FeedService/GetHomeTimeline"
BROWSER_HEADERS = "content-type,connect-protocol-version,connect-timeout-ms,authorization,x-grpc-web,x-user-agent"


def preflight(url: str, origin: str) -> httpx.Response:
    headers = {
        "origin": origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": BROWSER_HEADERS,
    }
    return httpx.options(url + HOME, headers=headers, timeout=15)


def actual(url: str, origin: str) -> httpx.Response:
    headers = {"origin": origin, "content-type": "application/json", "authorization": "Bearer x"}
    return httpx.post(url + HOME, content=b'{"userId": "2"}', headers=headers, timeout=15)


@pytest.mark.integration
def test_an_allowed_origin_gets_its_preflight_and_its_answers_granted(web_url):
    answer = preflight(web_url, ALLOWED_ORIGIN)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    allowed = {h.strip().lower() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert set(BROWSER_HEADERS.split(",")) <= allowed
    assert "POST" in answer.headers["access-control-allow-methods"]
    call = actual(web_url, ALLOWED_ORIGIN)
    assert call.status_code == 401  # the call itself still needs a token; the browser may read why
    assert call.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    exposed = {h.strip().lower() for h in call.headers["access-control-expose-headers"].split(",")}
    assert {"grpc-status", "grpc-message", "x-request-id"} <= exposed


@pytest.mark.integration
def test_an_origin_not_allowed_gets_no_cors_grant(web_url):
    for origin in ("http://evil.example", "http://allowed.example:3001", "https://allowed.example:3000"):
        answer = preflight(web_url, origin)
        assert "access-control-allow-origin" not in answer.headers
        assert answer.status_code == 400
        assert "access-control-allow-origin" not in actual(web_url, origin).headers


@pytest.mark.integration
def test_the_demo_token_endpoint_is_not_there_unless_enabled(web_url):
    answer = httpx.post(web_url + "/demo/token", json={"userId": "2"}, timeout=15)
    assert answer.status_code == 404


@pytest.mark.integration
def test_the_gateway_answers_its_health_probe(web_url):
    assert httpx.get(web_url + "/healthz", timeout=15).status_code == 200


def gateway(tmp_path, **settings) -> TestClient:
    """The gateway's app in this process, on settings (its gRPC upstreams need not answer)."""
    base = Settings(jwt_secret_file=str(tmp_path / "jwt.secret"))
    return TestClient(build_app(dataclasses.replace(base, **settings)))


@pytest.fixture
def secret(tmp_path, monkeypatch):
    monkeypatch.setenv("FEED_JWT_SECRET", "a test secret of thirty-two bytes or more!!")


def test_with_no_allowed_origins_no_origin_gets_a_grant(tmp_path, secret):
    with gateway(tmp_path) as web:
        for origin in ("http://localhost:8080", ALLOWED_ORIGIN):
            answer = web.options(HOME, headers={"origin": origin, "access-control-request-method": "POST"})
            assert not any(key.startswith("access-control-") for key in answer.headers)
            call = web.post(HOME, content=b"{}", headers={"origin": origin, "content-type": "application/json"})
            assert "access-control-allow-origin" not in call.headers


def test_with_the_demo_on_a_token_is_minted_for_the_user_asked(tmp_path, secret):
    with gateway(tmp_path, web_demo=True) as web:
        answer = web.post("/demo/token", json={"userId": "2"})
        assert answer.status_code == 200
        assert answer.json()["userId"] == "2"
        keys = AuthKeys.from_settings(Settings(jwt_secret_file=str(tmp_path / "jwt.secret")))
        principal = verify(keys, f"Bearer {answer.json()['token']}")
        assert (principal.user_id, principal.org_id) == (2, 0)
        for bad in ({"userId": "zero"}, {"userId": "0"}, {}, ["2"]):
            refused = web.post("/demo/token", json=bad)
            assert (refused.status_code, refused.json()["code"]) == (400, "invalid_argument")


def test_a_service_that_does_not_answer_is_unavailable_never_a_500(tmp_path, secret):
    from feed.devstack.procs import free_port

    nowhere = f"127.0.0.1:{free_port()}"
    with gateway(tmp_path, write_addr=nowhere, read_addr=nowhere, stream_addr=nowhere) as web:
        answer = web.post(HOME, content=b'{"userId": "2"}', headers={"content-type": "application/json"})
        assert (answer.status_code, answer.json()["code"]) == (503, "unavailable")
        assert nowhere not in answer.json()["message"]  # no internal address reaches a browser


def test_the_demo_pages_files_are_served_at_the_root_when_the_package_has_them(tmp_path, secret, monkeypatch):
    import feed.web.app

    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<h1>feed demo</h1>")
    monkeypatch.setattr(feed.web.app, "STATIC", static)
    with gateway(tmp_path) as web:
        page = web.get("/")
        assert (page.status_code, page.text) == (200, "<h1>feed demo</h1>")
        assert page.headers["content-type"].startswith("text/html")
        assert web.get("/healthz").status_code == 200  # the routes before the files still win
    monkeypatch.setattr(feed.web.app, "STATIC", tmp_path / "absent")
    with gateway(tmp_path) as web:
        assert web.get("/").status_code == 404
