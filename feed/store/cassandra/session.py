"""One Cassandra connection per process: cluster policies, prepared statements, error mapping.

The post and graph stores share one CassandraSession, as the SQLite stores share
one SqliteDatabase. The driver's Session is thread-safe and multiplexes requests
over a few connections per host, so one is all a process needs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import cassandra
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, NoHostAvailable, ResponseFuture
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.connection import ConnectionException
from cassandra.policies import DCAwareRoundRobinPolicy, RetryPolicy, TokenAwarePolicy
from cassandra.query import BatchStatement, BatchType, BoundStatement, PreparedStatement

from feed.errors import FailedPrecondition, Unavailable
from feed.store.cassandra.layout import STATEMENTS

if TYPE_CHECKING:
    from cassandra.cluster import ResultSet

    from feed.store.cassandra.settings import CassandraSettings

log = logging.getLogger(__name__)

# Failures of the cluster or the network, not of the request: the caller may retry.
UNAVAILABLE_ERRORS = (
    cassandra.RequestExecutionException,  # Unavailable, read/write timeouts and failures
    cassandra.OperationTimedOut,
    cassandra.UnresolvableContactPoints,
    NoHostAvailable,
    ConnectionException,
)
CONCURRENCY = 64  # requests one call keeps in flight (get_posts, bucket walks)


class IdempotentOnlyRetryPolicy(RetryPolicy):
    """Retry a statement once, and only when running it twice cannot change data or answer.

    The driver's default retries every statement on connection and server
    errors. A counter update may then count twice, and a lightweight
    transaction that did apply reports "not applied" on its retry. Those fail
    fast instead, and the store decides (see the graph store's comments).
    """

    def on_read_timeout(self, query, consistency, required_responses, received_responses, data_retrieved, retry_num):
        if not _is_idempotent(query):
            return self.RETHROW, None
        return super().on_read_timeout(
            query, consistency, required_responses, received_responses, data_retrieved, retry_num
        )

    def on_write_timeout(self, query, consistency, write_type, required_responses, received_responses, retry_num):
        if _is_idempotent(query) and retry_num == 0:
            return self.RETRY, consistency
        return self.RETHROW, None

    def on_unavailable(self, query, consistency, required_replicas, alive_replicas, retry_num):
        # The coordinator refused before contacting any replica: nothing was applied,
        # so even a counter update is safe to send to the next host once.
        return super().on_unavailable(query, consistency, required_replicas, alive_replicas, retry_num)

    def on_request_error(self, query, consistency, error, retry_num):
        if _is_idempotent(query) and retry_num == 0:
            return self.RETRY_NEXT_HOST, None
        return self.RETHROW, None


def _is_idempotent(query: Any) -> bool:
    return bool(getattr(query, "is_idempotent", False))


def make_cluster(settings: CassandraSettings, *, schema_wait_s: int = 10) -> Cluster:
    """A Cluster with the default profile every statement runs with: local DC, token-aware."""
    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=settings.local_dc)),
        retry_policy=IdempotentOnlyRetryPolicy(),
        consistency_level=settings.consistency_level,
        serial_consistency_level=settings.serial_consistency_level,
        request_timeout=settings.timeout_s,
    )
    auth = PlainTextAuthProvider(settings.username, settings.password) if settings.username else None
    return Cluster(
        contact_points=list(settings.contact_points),
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        auth_provider=auth,
        connect_timeout=settings.timeout_s,
        control_connection_timeout=settings.timeout_s,
        max_schema_agreement_wait=schema_wait_s,
    )


class CassandraSession:
    """A session bound to the feed keyspace with every statement in STATEMENTS prepared once."""

    def __init__(self, settings: CassandraSettings, required_versions: Sequence[str] = ()) -> None:
        """Connect, check that the keyspace has every schema version in required_versions, prepare."""
        self.settings = settings
        try:
            self._cluster = make_cluster(settings)
        except cassandra.UnresolvableContactPoints as exc:
            raise Unavailable(f"no Cassandra contact point resolves: {_hosts(settings)}") from exc
        self._closed = False
        self._lock = threading.Lock()
        try:
            self._session = self._cluster.connect()
            self._require_schema(required_versions)
            self._session.set_keyspace(settings.keyspace)
            self._prepared = {cql.name: self._prepare(cql.text, cql.idempotent) for cql in STATEMENTS}
        except cassandra.InvalidRequest as exc:  # a table or column missing from the keyspace
            self._cluster.shutdown()
            raise _missing_schema(settings.keyspace, str(exc)) from exc
        except UNAVAILABLE_ERRORS as exc:
            self._cluster.shutdown()
            raise Unavailable(f"no Cassandra host answered ({type(exc).__name__}: {exc})") from exc
        except BaseException:
            self._cluster.shutdown()
            raise
        log.info(
            "cassandra connected hosts=%s keyspace=%s dc=%s", _hosts(settings), settings.keyspace, settings.local_dc
        )

    def _require_schema(self, versions: Sequence[str]) -> None:
        # Checked before connecting to the keyspace: the driver reports a missing keyspace
        # as NoHostAvailable, which would send an operator looking at the network.
        keyspace = self.settings.keyspace
        if keyspace not in self._cluster.metadata.keyspaces:
            raise _missing_schema(keyspace, "no such keyspace")
        rows = self._session.execute(f"SELECT version FROM {keyspace}.schema_version")
        missing = sorted(set(versions) - {row.version for row in rows})
        if missing:
            raise _missing_schema(keyspace, f"not applied: {', '.join(missing)}")

    def _prepare(self, text: str, idempotent: bool) -> PreparedStatement:
        prepared = self._session.prepare(text)
        prepared.is_idempotent = idempotent  # copied to every BoundStatement; read by the retry policy
        return prepared

    def bind(self, name: str, params: Sequence[Any], fetch_size: int | None = None) -> BoundStatement:
        bound = self._prepared[name].bind(params)
        if fetch_size is not None:
            bound.fetch_size = fetch_size
        return bound

    def execute(self, name: str, params: Sequence[Any]) -> ResultSet:
        """Run one prepared statement and wait for its first page."""
        try:
            return self._session.execute(self.bind(name, params))
        except UNAVAILABLE_ERRORS as exc:
            raise _unavailable(name, exc) from exc

    def execute_async(self, name: str, params: Sequence[Any], fetch_size: int | None = None) -> ResponseFuture:
        """Start one prepared statement; pass the future to wait()."""
        return self._session.execute_async(self.bind(name, params, fetch_size))

    def wait(self, future: ResponseFuture, what: str = "a query") -> ResultSet:
        """The first page of a statement started with execute_async."""
        try:
            return future.result()
        except UNAVAILABLE_ERRORS as exc:
            raise _unavailable(what, exc) from exc

    def execute_many(self, name: str, params: Iterable[Sequence[Any]]) -> list[ResultSet]:
        """Run one statement for each parameter tuple, CONCURRENCY at a time, results in order."""
        try:
            results = execute_concurrent_with_args(self._session, self._prepared[name], params, concurrency=CONCURRENCY)
        except UNAVAILABLE_ERRORS as exc:
            raise _unavailable(name, exc) from exc
        return [result for _, result in results]

    def execute_all(self, items: Sequence[tuple[str, Sequence[Any]]]) -> list[ResultSet]:
        """Run different statements concurrently and wait for all of them."""
        futures = [(name, self.execute_async(name, params)) for name, params in items]
        return [self.wait(future, name) for name, future in futures]

    def execute_batches(self, batches: Sequence[Sequence[tuple[str, Sequence[Any]]]], logged: bool = True) -> None:
        """Run each list of (statement, parameters) as one batch, the batches concurrently; wait for all.

        A LOGGED batch is all or nothing, even if its coordinator dies half way: the
        batchlog on two other nodes replays it. UNLOGGED is for rows of one partition,
        which Cassandra applies as one mutation anyway.
        """
        futures = []
        for items in batches:
            batch = BatchStatement(BatchType.LOGGED if logged else BatchType.UNLOGGED)
            for name, params in items:
                batch.add(self.bind(name, params))
            # A batch of idempotent statements with explicit timestamps writes the same cells again.
            batch.is_idempotent = all(self._prepared[name].is_idempotent for name, _ in items)
            futures.append(self._session.execute_async(batch))
        for future in futures:
            self.wait(future, "a batch")

    def stream(self, name: str, params: Sequence[Any], fetch_size: int) -> Iterator[Any]:
        """Every row of one query, fetched fetch_size rows at a time by the driver's paging."""
        yield from self.stream_started(self.execute_async(name, params, fetch_size))

    def stream_started(self, future: ResponseFuture) -> Iterator[Any]:
        """Rows of a query already started with execute_async, paging as they are consumed."""
        try:
            yield from self.wait(future)  # the ResultSet fetches the next page when one runs out
        except UNAVAILABLE_ERRORS as exc:
            raise _unavailable("paged read", exc) from exc

    def close(self) -> None:
        """Shut the cluster down once, whichever store closes first."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._cluster.shutdown()


def _hosts(settings: CassandraSettings) -> str:
    return ",".join(f"{host}:{port}" for host, port in settings.contact_points)


def _missing_schema(keyspace: str, detail: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"Cassandra keyspace {keyspace!r} lacks the feed schema ({detail}); "
        f"run `feed schema apply --store cassandra://HOSTS/{keyspace}` first"
    )


def _unavailable(what: str, exc: BaseException) -> Unavailable:
    return Unavailable(f"Cassandra did not complete {what} ({type(exc).__name__})")
