"""Start a single-node Apache Cassandra from its Maven jars, on free loopback ports, for tests and `feed up --full`.

The pinned `cassandra-all` and its dependencies are resolved once with Maven
(feed/devstack/maven.py), then the daemon runs as a child JVM with the flags
Cassandra 5.0's own scripts pass on Java 17 (conf/jvm17-server.options), a
cassandra.yaml and a logback config written into the log folder, and a heap
sized for a small machine. Ready means a CQL client got `COMPLETED` from
system.local: the native port listens a moment before the node serves queries.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from pathlib import Path

from feed.devstack.maven import DEFAULT_CACHE, resolve_jars
from feed.devstack.procs import ManagedProcess, free_port, wait_until_listening
from feed.errors import FeedError

HOST = "127.0.0.1"
VERSION = "5.0.9"
COORDINATES = (f"org.apache.cassandra:cassandra-all:{VERSION}",)
MAIN_CLASS = "org.apache.cassandra.service.CassandraDaemon"
START_TIMEOUT_S = 180  # a cold start on 2 busy cores; about 20 s when idle
STOP_GRACE_S = 20  # SIGTERM drains and flushes; past this the node is killed (tests keep nothing)
HEAP = ("-Xms512m", "-Xmx1g", "-Xmn128m", "-Xss256k", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError")
# Cassandra 5.0 conf/jvm17-server.options: the JDK internals it reaches into.
JAVA17_FLAGS = (
    "-Djdk.attach.allowAttachSelf=true",
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
    "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
    "--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED",
    "--add-exports=java.sql/java.sql=ALL-UNNAMED",
    "--add-exports=java.base/java.lang.ref=ALL-UNNAMED",
    "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.module=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.math=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.module=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED",
    "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djava.net.preferIPv4Stack=true",
)
# Shorter start on one node: no gossip settling wait, no ring delay (there is no ring).
FAST_START = (
    "-Dcassandra.skip_wait_for_gossip_to_settle=0",
    "-Dcassandra.ring_delay_ms=0",
    "-Dcassandra.initial_token=0",
)

YAML = """\
cluster_name: feed-dev
num_tokens: 1
initial_token: 0
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "{host}:{storage_port}"
listen_address: {host}
rpc_address: {host}
storage_port: {storage_port}
native_transport_port: {native_port}
start_native_transport: true
data_file_directories: [{root}/data]
commitlog_directory: {root}/commitlog
saved_caches_directory: {root}/saved_caches
hints_directory: {root}/hints
cdc_raw_directory: {root}/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10000ms
auto_snapshot: false
snapshot_before_compaction: false
key_cache_size: 8MiB
counter_cache_size: 2MiB
prepared_statements_cache_size: 8MiB
file_cache_size: 64MiB
memtable_heap_space: 128MiB
memtable_offheap_space: 128MiB
concurrent_compactors: 1
dynamic_snitch: false
"""

LOGBACK = """\
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>{log}</file>
    <encoder><pattern>%date %level [%thread] %logger{{36}} %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
"""


def cassandra_jars(cache: Path = DEFAULT_CACHE) -> list[Path]:
    """The pinned Cassandra's jars, resolved with Maven on first use."""
    return resolve_jars("cassandra", COORDINATES, cache)


def start_cassandra(log_dir: Path, port: int | None = None) -> tuple[ManagedProcess, str]:
    """A one-node Cassandra keeping its data under log_dir; returns the process and its contact point HOST:PORT."""
    java = shutil.which("java")
    if java is None:
        raise FeedError("java is not installed; run `make deps` (apt-get install openjdk-17-jre-headless)")
    jars = cassandra_jars()
    root = (log_dir / "cassandra").resolve()
    root.mkdir(parents=True, exist_ok=True)
    native_port, storage_port = port or free_port(HOST), free_port(HOST)
    config = root / "cassandra.yaml"
    config.write_text(YAML.format(host=HOST, storage_port=storage_port, native_port=native_port, root=root))
    logback = root / "logback.xml"
    logback.write_text(LOGBACK.format(log=root / "system.log"))
    jamm = next((jar for jar in jars if jar.name.startswith("jamm-")), None)
    if jamm is None:
        raise FeedError(f"no jamm jar among the resolved Cassandra jars in {jars[0].parent if jars else 'var'}")
    args = [java, *HEAP, *JAVA17_FLAGS, *FAST_START, f"-javaagent:{jamm}"]
    args += [f"-Dcassandra.config=file://{config}", "-Dcassandra-foreground=yes"]
    args += [f"-Dcassandra.storagedir={root}", f"-Dcassandra.logdir={root}", f"-Dlogback.configurationFile={logback}"]
    args += ["-Dcassandra.jmx.local.port=0", "-cp", ":".join(str(jar) for jar in jars), MAIN_CLASS]
    proc = ManagedProcess("cassandra", args, log_dir / "cassandra.log")
    contact_point = f"{HOST}:{native_port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        wait_until_listening(contact_point, START_TIMEOUT_S, proc)
        wait_until_bootstrapped(contact_point, deadline - time.monotonic(), proc)
    except BaseException:
        proc.stop(STOP_GRACE_S)
        raise
    return proc, contact_point


def wait_until_bootstrapped(contact_point: str, timeout_s: float, proc: ManagedProcess | None = None) -> str:
    """Block until the node answers CQL with bootstrapped = COMPLETED; return its release_version."""
    from cassandra.cluster import Cluster

    host, _, port = contact_point.rpartition(":")
    deadline = time.monotonic() + timeout_s
    last: BaseException | None = None
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise proc.exited()
        cluster = Cluster([host], port=int(port), connect_timeout=5, protocol_version=5)
        try:
            row = cluster.connect().execute("SELECT bootstrapped, release_version FROM system.local").one()
            if row is not None and row.bootstrapped == "COMPLETED":
                return row.release_version
        except Exception as exc:
            last = exc
        finally:
            with contextlib.suppress(Exception):
                cluster.shutdown()
        time.sleep(0.5)
    raise TimeoutError(f"Cassandra on {contact_point} did not complete bootstrap in {timeout_s:.0f}s: {last}")
