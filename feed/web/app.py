"""The gateway's ASGI application: every service's Connect paths, health, the demo's files and token.

One origin serves it all, so the demo page needs no CORS; other origins get CORS grants only
when FEED_WEB_ALLOWED_ORIGINS names them (Starlette's CORSMiddleware answers the preflights).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from connectrpc.server import ConnectASGIApplication
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from feed.access.tokens import AuthKeys, mint
from feed.config import Settings
from feed.errors import InvalidArgument
from feed.v1 import (
    feed_service_connect,
    filter_service_connect,
    graph_service_connect,
    group_service_connect,
    post_service_connect,
)
from feed.web import PID_HEADER
from feed.web.observe import Observe
from feed.web.upstream import Upstreams, forwarder

STATIC = Path(__file__).parent / "static"  # the demo page (another package's files): served when present
# (generated protocol, its ASGI application) for every service a browser may call
SERVICES = [
    (feed_service_connect.FeedService, feed_service_connect.FeedServiceASGIApplication),
    (post_service_connect.PostService, post_service_connect.PostServiceASGIApplication),
    (graph_service_connect.GraphService, graph_service_connect.GraphServiceASGIApplication),
    (group_service_connect.GroupService, group_service_connect.GroupServiceASGIApplication),
    (filter_service_connect.FilterService, filter_service_connect.FilterServiceASGIApplication),
]
INTERCEPTORS = [Observe()]  # first: runs before the body is read (a tracing interceptor goes here too)
READ_MAX_BYTES = 1 << 20  # as the gRPC port's MAX_MESSAGE_BYTES: a larger request is refused before parsing
# What a Connect or gRPC-Web client sends and must read, beyond the CORS-safelisted headers.
ALLOW_HEADERS = [
    "content-type",
    "connect-protocol-version",
    "connect-timeout-ms",
    "connect-accept-encoding",
    "connect-content-encoding",
    "grpc-timeout",
    "grpc-accept-encoding",
    "authorization",
    "x-grpc-web",
    "x-user-agent",
    "x-request-id",
]
EXPOSE_HEADERS = [
    "grpc-status",
    "grpc-message",
    "grpc-status-details-bin",
    "x-request-id",
    "content-encoding",
    "retry-after",
]
PREFLIGHT_CACHE_S = 7200  # the most Chromium honours
DEMO_TOKEN_TTL_S = 86_400


def build_app(settings: Settings) -> Starlette:
    """The gateway for settings: forwards to settings' write, read and stream addresses."""
    upstreams = Upstreams(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        upstreams.open()
        try:
            yield
        finally:
            await upstreams.close()

    routes: list[BaseRoute] = [Route("/healthz", _healthz, methods=["GET", "HEAD"])]
    for protocol, application in SERVICES:
        connect: ConnectASGIApplication[Any] = application(
            forwarder(protocol, upstreams), interceptors=INTERCEPTORS, read_max_bytes=READ_MAX_BYTES
        )
        routes.append(Mount(connect.path, app=connect))
    if settings.web_demo:
        routes.append(Route("/demo/token", _demo_token(AuthKeys.from_settings(settings), settings), methods=["POST"]))
    else:  # claimed here so the static files below do not answer it (405): off, it is simply not there
        routes.append(Route("/demo/token", _not_found, methods=["GET", "HEAD", "POST"]))
    if STATIC.is_dir():
        routes.append(Mount("/", app=StaticFiles(directory=STATIC, html=True)))
    middleware = []
    if settings.web_origins:  # none: same origin only, so no Access-Control-Allow-Origin at all
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.web_origins,
                allow_methods=["GET", "POST"],
                allow_headers=ALLOW_HEADERS,
                expose_headers=EXPOSE_HEADERS,
                max_age=PREFLIGHT_CACHE_S,
            )
        )
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.upstreams = upstreams
    return app


async def _healthz(request: Request) -> PlainTextResponse:
    """Liveness and readiness of the gateway itself: it holds no state, so serving is being ready.

    x-feed-pid names the process that answered, so whoever started it (feed.devstack) can tell it
    from another program, or an older gateway, holding the port."""
    return PlainTextResponse("ok\n", headers={PID_HEADER: str(os.getpid())})


async def _not_found(request: Request) -> JSONResponse:
    return JSONResponse({"code": "not_found", "message": "not found"}, status_code=404)


def _demo_token(keys: AuthKeys, settings: Settings):
    """POST /demo/token {"userId": "2"}: a token for that user in the default organization (demo only)."""
    ttl_s = min(DEMO_TOKEN_TTL_S, settings.jwt_max_lifetime_s)

    async def demo_token(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
            user_id = int(body["userId"]) if isinstance(body, dict) else 0
            token = mint(keys, user_id, ttl_s=ttl_s)
        except (ValueError, KeyError, TypeError, InvalidArgument) as exc:
            message = f'send {{"userId": "<a positive user id>"}}: {exc}'
            return JSONResponse({"code": "invalid_argument", "message": message}, status_code=400)
        return JSONResponse({"token": token, "userId": str(user_id)})

    return demo_token
