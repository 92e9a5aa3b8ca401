"""Settings from FEED_* environment variables, each with a documented default.

One frozen dataclass, read once per process. Command-line flags override
single fields with `dataclasses.replace`, so env and flags share one meaning.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from feed.errors import InvalidArgument


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything a process needs to find its dependencies and bound its work."""

    kafka_bootstrap: str = ""  # empty: `feed up` starts a local Tansu broker
    redis_url: str = ""  # empty: `feed up` starts a local redis-server
    store_url: str = "sqlite:///var/feed.db"
    write_addr: str = "127.0.0.1:50051"
    read_addr: str = "127.0.0.1:50052"
    # The read process's second (grpc.aio) server: WatchHomeTimeline streams, and every FeedService method.
    stream_addr: str = "127.0.0.1:50053"
    stream_max: int = 20_000  # open streams one read process holds; beyond, RESOURCE_EXHAUSTED
    # The browser's one origin (`feed serve web`): Connect and gRPC-Web for every service, forwarded over gRPC.
    web_addr: str = "127.0.0.1:8080"
    # Origins (scheme://host[:port], comma-separated) whose pages may call web_addr; empty: same origin only.
    web_allowed_origins: str = ""
    web_demo: bool = False  # POST /demo/token mints a token for any user: local stacks only (`feed up`)
    web_heartbeat_s: float = 15.0  # a gateway stream quiet this long gets a heartbeat event (below idle timeouts)
    metrics_addr: str = ""  # HOST:PORT for /metrics; empty: no metrics server
    timeline_max: int = 800
    post_max_chars: int = 5000
    events_topic: str = "feed.events"
    events_partitions: int = 8
    consumer_group: str = "feed-fanout"
    fanout_batch_max: int = 2000
    kafka_timeout_s: float = 5.0
    # The outbox relay: how long it idles after a pass that moved records, and at most after
    # empty passes (the wait doubles from one to the other; never below the first), and records per pass.
    outbox_poll_ms: int = 5
    outbox_idle_max_ms: int = 50
    outbox_batch: int = 500
    post_cache_ttl_s: int = 86_400
    # Authors with more followers than this are not fanned out on write; readers merge their posts.
    celebrity_threshold: int = 10_000
    # A read-time source back under the threshold whose newest post is older than this leaves the registry
    # (its posts merged into its audience's timelines first: feed/fanout/retire.py).
    read_time_retention_s: int = 7 * 86_400
    # Bearer tokens: HS* algorithms take the secret from FEED_JWT_SECRET (env only, never
    # exported) or this file; RS*/ES*/PS* verify with the public key file.
    jwt_algorithm: str = "HS256"
    jwt_secret_file: str = "var/jwt.secret"
    jwt_public_key_file: str = ""
    jwt_private_key_file: str = ""
    jwt_max_lifetime_s: int = 7 * 86_400  # tokens whose exp - iat is longer are refused
    trace_record: str = ""  # a path: the services record the requests they serve there (load-test traces)
    trace_sample: float = 1.0  # share of users whose requests are recorded
    # Writes (posts, deletes, follows, blocks) a user may make per second on average, and in a burst.
    write_rate_per_s: float = 20.0
    write_burst: int = 200
    # Reads (pages, GetPost, lists) a user may make per second on average, and in a burst: far above
    # a person scrolling, low enough that one user's flood cannot load the store or grow Redis.
    read_rate_per_s: float = 50.0
    read_burst: int = 500
    # Threads serving a service's calls. Few: a call holds the GIL for most of its time, and every
    # thread more costs CPU in hand-offs (docs/performance.md: 4 against 16). Not fewer than this:
    # a read waiting for its timeline's rebuild (up to 5 s) holds one.
    rpc_threads: int = 8
    # A home timeline not read for this long expires; fan-out skips it until the next read rebuilds it.
    inactive_days: int = 14
    # An invitation into a group not accepted within this long lapses (the invitee must be invited again).
    group_invite_ttl_s: int = 30 * 86_400

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read FEED_* variables; unset ones keep their defaults."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            name = _ENV_NAMES.get(field.name, "FEED_" + field.name.upper())
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            values[field.name] = _parse(name, raw, type(field.default))
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        """Reject settings that would break an invariant, with the variable's name."""
        if not 1 <= self.timeline_max <= 10_000:
            raise InvalidArgument("FEED_TIMELINE_MAX must be between 1 and 10000")
        if not (1 <= self.outbox_poll_ms <= 10_000 and 1 <= self.outbox_idle_max_ms <= 10_000):
            raise InvalidArgument("FEED_OUTBOX_POLL_MS and FEED_OUTBOX_IDLE_MAX_MS must be 1..10000")
        if not 1 <= self.outbox_batch <= 5_000:
            raise InvalidArgument("FEED_OUTBOX_BATCH must be 1..5000")
        if self.post_max_chars < 1:
            raise InvalidArgument("FEED_POST_MAX_CHARS must be at least 1")
        if self.celebrity_threshold < 0:
            raise InvalidArgument("FEED_CELEBRITY_THRESHOLD must not be negative")
        if self.rpc_threads < 1:
            raise InvalidArgument("FEED_RPC_THREADS must be at least 1")
        if self.read_time_retention_s < 1:
            raise InvalidArgument("FEED_READ_TIME_RETENTION_S must be at least 1")
        if self.write_rate_per_s < 0 or self.write_burst < 1:
            raise InvalidArgument("FEED_WRITE_RATE_PER_S must be >= 0 (0 disables) and FEED_WRITE_BURST >= 1")
        if self.read_rate_per_s < 0 or self.read_burst < 1:
            raise InvalidArgument("FEED_READ_RATE_PER_S must be >= 0 (0 disables) and FEED_READ_BURST >= 1")
        if not 0 < self.trace_sample <= 1:
            raise InvalidArgument("FEED_TRACE_SAMPLE must be more than 0 and at most 1")
        if self.inactive_days < 1:
            raise InvalidArgument("FEED_INACTIVE_DAYS must be at least 1")
        if self.group_invite_ttl_s < 1:
            raise InvalidArgument("FEED_GROUP_INVITE_TTL_S must be at least 1")
        if self.jwt_max_lifetime_s < 1:
            raise InvalidArgument("FEED_JWT_MAX_LIFETIME_S must be at least 1")
        if self.events_partitions < 1:
            raise InvalidArgument("FEED_EVENTS_PARTITIONS must be at least 1")
        if not 1 <= self.stream_max <= 1_000_000:
            raise InvalidArgument("FEED_STREAM_MAX must be between 1 and 1000000")
        if not 0 < self.web_heartbeat_s <= 3600:
            raise InvalidArgument("FEED_WEB_HEARTBEAT_S must be more than 0 and at most 3600")
        for name in ("write_addr", "read_addr", "stream_addr", "web_addr"):
            host, _, port = getattr(self, name).rpartition(":")
            if not host or not port.isdigit():
                raise InvalidArgument(f"FEED_{name.upper()} must be HOST:PORT, got {getattr(self, name)!r}")

    @property
    def web_origins(self) -> list[str]:
        """The origins of FEED_WEB_ALLOWED_ORIGINS, without blanks."""
        return [origin.strip() for origin in self.web_allowed_origins.split(",") if origin.strip()]

    @property
    def timeline_ttl_s(self) -> int:
        """Seconds a home timeline lives after its owner's last read."""
        return self.inactive_days * 86_400

    def env(self) -> dict[str, str]:
        """The FEED_* variables that reproduce these settings in a child process."""
        out = {}
        for field in dataclasses.fields(self):
            name = _ENV_NAMES.get(field.name, "FEED_" + field.name.upper())
            out[name] = str(getattr(self, field.name))
        return out


_ENV_NAMES = {"store_url": "FEED_STORE"}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _parse(name: str, raw: str, kind: type) -> object:
    if kind is bool:  # before int: a bool is an int too
        if raw.lower() in _TRUE | _FALSE:
            return raw.lower() in _TRUE
        raise InvalidArgument(f"{name} must be true or false, got {raw!r}")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise InvalidArgument(f"{name} must be an integer, got {raw!r}") from None
    if kind is float:
        try:
            return float(raw)
        except ValueError:
            raise InvalidArgument(f"{name} must be a number, got {raw!r}") from None
    return raw
