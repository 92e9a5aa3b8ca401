"""A real Apache Kafka broker from Maven Central's jars: one KRaft node (broker and controller).

Production runs Apache Kafka; the fast local default is Tansu. The tests that
matter most for the broker (consumer groups, commits, dead letters) also run
here, on the broker production meets. No tarball and no shell scripts: the
pinned `kafka_2.13` jars are resolved once by feed.devstack.maven, the storage
is formatted with `kafka.tools.StorageTool format --standalone`, and `kafka.Kafka` runs in a child
JVM stopped by its pid like every other child of the devstack.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
from pathlib import Path

from feed.devstack.maven import DEFAULT_CACHE, resolve_jars
from feed.devstack.procs import POLL_S, ManagedProcess, free_port, wait_until_listening
from feed.errors import FeedError

HOST = "127.0.0.1"  # not localhost: the advertised address must be the one the clients dial
KAFKA_VERSION = "4.1.1"  # kafka-python 3.0.x is tested against brokers up to 4.3; runs on Java 17
# KAFKA-18466: the Log4j2 SLF4J binding is no longer a dependency of the published pom, and the
# classpath brings slf4j-api 1.7.x, so the binding for SLF4J 1.x (log4j-slf4j-impl) is added here,
# at the version of the log4j-core that kafka_2.13 brings. Without it the broker logs nothing.
COORDINATES = (
    f"org.apache.kafka:kafka_2.13:{KAFKA_VERSION}",
    "org.apache.logging.log4j:log4j-slf4j-impl:2.24.3",
)
# A 2-core, 24 GiB machine runs the broker beside the whole test suite: a small heap, the serial
# collector (no parallel GC threads competing for two cores), and the C1 compiler only, which
# cut the CPU a start costs from about 6.5 to 4.5 s here (docs/engines.md); the test
# workloads are too small for C2's faster code to pay that back.
JVM_FLAGS = ("-Xms256m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true")
TOOL_FLAGS = ("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
READY_TIMEOUT_S = 120  # about 4 s on an idle machine; 20-40 s while the suite loads both cores
FORMAT_TIMEOUT_S = 60
STOP_GRACE_S = 20  # a controlled shutdown of a combined node takes a few seconds


def java_binary() -> str:
    """The java to run: JAVA_HOME's when set, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        raise FeedError("no Java found (JAVA_HOME or java on PATH); run `make deps` (apt-get install a JDK 17)")
    return java


def start_kafka(log_dir: Path, port: int | None = None, cache: Path = DEFAULT_CACHE) -> tuple[ManagedProcess, str]:
    """A fresh single-node Apache Kafka with its data under log_dir; returns the process and its bootstrap address.

    Waits until the broker answers a metadata request naming itself; stopped again if it does not.
    """
    java = java_binary()
    classpath = os.pathsep.join(str(jar) for jar in resolve_jars("kafka", COORDINATES, cache))
    port = port or free_port(HOST)
    bootstrap = f"{HOST}:{port}"
    config = _write_config(log_dir, port, free_port(HOST))
    _format_storage(java, classpath, config)
    args = [java, *JVM_FLAGS, f"-Dlog4j2.configurationFile={config.parent / 'log4j2.properties'}", "-cp", classpath]
    proc = ManagedProcess("kafka (apache)", [*args, "kafka.Kafka", str(config)], log_dir / "kafka.log")
    try:
        wait_until_kafka_answers(bootstrap, READY_TIMEOUT_S, proc)
    except BaseException:
        proc.stop(STOP_GRACE_S)
        raise
    return proc, bootstrap


def _write_config(log_dir: Path, port: int, controller_port: int) -> Path:
    """server.properties for one combined node on loopback, and a log4j2 config logging INFO to stdout
    (which ManagedProcess writes to log_dir/kafka.log)."""
    folder = log_dir / f"kafka-{port}"
    folder.mkdir(parents=True, exist_ok=True)
    properties = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"{HOST}:{controller_port}",  # with format --standalone
        "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(folder / "data"),
        # One node: every internal topic with one replica, or the broker waits for replicas for ever.
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "2",  # default 50: creating them slows the first group join
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",  # default 3 s before the first join completes
        "auto.create.topics.enable": "false",  # as in production: topics are created on purpose
        "log.cleaner.enable": "false",  # no compacted topics here; one thread and 128 MiB less
    }
    config = folder / "server.properties"
    config.write_text("".join(f"{key}={value}\n" for key, value in properties.items()))
    (folder / "log4j2.properties").write_text(
        "status = warn\n"
        "appender.out.type = Console\n"
        "appender.out.name = out\n"
        "appender.out.layout.type = PatternLayout\n"
        "appender.out.layout.pattern = [%d] %p %m (%c)%n\n"
        "rootLogger.level = info\n"
        "rootLogger.appenderRef.out.ref = out\n"
    )
    return config


def _format_storage(java: str, classpath: str, config: Path) -> None:
    """Format the fresh log dir for a new cluster (the broker refuses to start on an unformatted one)."""

    args = [java, *TOOL_FLAGS, "-cp", classpath, "kafka.tools.StorageTool", "format"]
    args += ["-t", cluster_id(), "-c", str(config), "--standalone"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=FORMAT_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise FeedError(f"kafka StorageTool format failed: {(done.stdout + done.stderr).strip()[-2000:]}")


def cluster_id() -> str:
    """A new cluster id as `StorageTool random-uuid` prints it: 16 random bytes, base64url, unpadded.

    Made here rather than by the tool: one JVM start less, 1.5-2 s of CPU on this machine.
    Like Kafka's Uuid.randomUuid, never one starting with "-", which a command line would take
    for an option.
    """
    while True:
        candidate = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
        if not candidate.startswith("-"):
            return candidate


def wait_until_kafka_answers(bootstrap: str, timeout_s: float, proc: ManagedProcess | None = None) -> None:
    """Block until the broker answers a metadata request that names itself.

    The port first, polled cheaply: kafka-python's client, given a closed port, backs
    off for seconds before it tries again. An open port is not enough on its own: the
    answer must name a broker that can lead partitions.
    """
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    deadline = time.monotonic() + timeout_s
    wait_until_listening(bootstrap, timeout_s, proc)
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise proc.exited()
        try:
            admin = KafkaAdminClient(bootstrap_servers=[bootstrap], request_timeout_ms=3000)
        except KafkaError as exc:
            last = exc
            time.sleep(POLL_S * 4)
            continue
        try:
            if admin.describe_cluster().get("brokers"):
                return
        except KafkaError as exc:
            last = exc
        finally:
            admin.close()
        time.sleep(POLL_S * 4)
    raise TimeoutError(f"Apache Kafka at {bootstrap} did not answer metadata within {timeout_s}s: {last!r}")
