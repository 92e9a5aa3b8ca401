"""The FEED_* variables the chart sets are the ones the code reads, in a form it accepts.

Which variables the code reads is not listed here: it is recorded by running the code's
own parsers (Settings.from_env, CassandraSettings.from_env) over an environment that
notes every name asked for. A renamed or added setting therefore fails these tests
until the chart follows.
"""

from __future__ import annotations

import pytest

from feed.access.tokens import AuthKeys
from feed.config import Settings
from feed.redis.connection import connect
from feed.store.cassandra.settings import CassandraSettings
from tests.helm.chart import (
    ALL_SECRETS,
    VALUE_SETS,
    config_map_data,
    container_env,
    feed_containers,
    one,
    render,
)

NO_REDIS = ("-schema", "-web")  # workloads that never open Redis: with a Redis password, they get none
# Set by the chart for a feature the code does not have yet; see docs/deploy.md.
PENDING: dict[str, str] = {}


class RecordingEnv(dict):
    """An environment that remembers every variable name looked up in it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)


def variables_the_code_reads() -> set[str]:
    env = RecordingEnv({"FEED_JWT_SECRET": "k" * 40})
    settings = Settings.from_env(env)
    CassandraSettings.from_env("cassandra://cassandra/feed", env)
    AuthKeys.from_settings(settings, env)
    return env.asked


def settings_variables() -> set[str]:
    return set(Settings().env())


def _containers(manifests):
    """The containers that run feed (not redis_exporter's), with their workload's name."""
    yield from feed_containers(manifests)


def test_recording_finds_the_settings_and_the_cassandra_variables():
    """Guards the recording trick: it must see both parsers' variables."""
    read = variables_the_code_reads()
    assert settings_variables() <= read
    assert {"FEED_CASSANDRA_PASSWORD", "FEED_CASSANDRA_LOCAL_DC", "FEED_CASSANDRA_REPLICATION"} <= read


@pytest.mark.parametrize("values", [{}, ALL_SECRETS], ids=["no-secrets", "all-secrets"])
def test_every_feed_variable_the_chart_sets_is_read_by_the_code(values):
    manifests = render(values)
    set_by_chart = {name for name in config_map_data(manifests) if name.startswith("FEED_")}
    for _, container in _containers(manifests):
        set_by_chart |= {e["name"] for e in container.get("env", []) if e["name"].startswith("FEED_")}
    unknown = set_by_chart - variables_the_code_reads() - set(PENDING)
    assert not unknown, f"the chart sets variables no code reads: {sorted(unknown)}"


def test_pending_variables_are_still_unread():
    """When the code starts reading one, drop it from PENDING and its caveats from the chart."""
    assert not set(PENDING) & variables_the_code_reads()


def test_config_map_sets_every_setting_of_the_code(manifests):
    """No process runs on a code default that is wrong in a pod, such as a 127.0.0.1 listen address."""
    missing = settings_variables() - set(config_map_data(manifests))
    if "FEED_REDIS_URL" in missing:  # with a Redis password the URL is built in the container env
        missing.discard("FEED_REDIS_URL")
        for name, container in _containers(manifests):
            if not name.endswith(NO_REDIS):
                assert "FEED_REDIS_URL" in {e["name"] for e in container["env"]}, name
    assert not missing, f"add these to values.yaml, values.schema.json and the ConfigMap: {sorted(missing)}"


def _assert_the_code_accepts(manifests) -> None:
    for name, container in _containers(manifests):
        env = container_env(manifests, container)
        if not name.endswith("-schema"):
            Settings.from_env(env)
        if name.endswith("-web"):
            continue  # the gateway opens neither Redis nor the store, and gets neither's secrets
        if not name.endswith("-schema"):
            connect(env["FEED_REDIS_URL"]).close()  # parses the URL; connects only on first use
        CassandraSettings.from_env(env["FEED_STORE"], env)


def test_the_code_accepts_every_container_environment(manifests):
    _assert_the_code_accepts(manifests)


def test_the_code_accepts_the_environment_with_every_secret():
    _assert_the_code_accepts(render(ALL_SECRETS))


def test_default_tuning_equals_the_code_defaults():
    """values.yaml must not quietly diverge from the defaults the README documents."""
    parsed = Settings.from_env(config_map_data(render()))
    tuning = ("timeline_max", "post_max_chars", "events_topic", "events_partitions", "consumer_group")
    tuning += ("fanout_batch_max", "kafka_timeout_s", "post_cache_ttl_s", "outbox_poll_ms", "outbox_batch")
    for field in tuning:
        assert getattr(parsed, field) == getattr(Settings(), field), field


def test_redis_password_is_defined_before_the_url_that_expands_it():
    """Kubernetes expands $(NAME) only from variables earlier in the list."""
    manifests = render(ALL_SECRETS)
    for name, container in _containers(manifests):
        names = [e["name"] for e in container.get("env", [])]
        if "FEED_REDIS_URL" in names:
            assert names.index("REDIS_PASSWORD") < names.index("FEED_REDIS_URL"), name
            env = container_env(manifests, container)
            assert env["FEED_REDIS_URL"] == "redis://:<from-secret>@redis-master:6379/0"


def test_schema_job_reaches_the_same_cassandra_as_the_services(manifests):
    job = one(manifests, "Job", "feed-schema")["spec"]["template"]["spec"]["containers"][0]
    data = config_map_data(manifests)
    for entry in job["env"]:
        if "value" in entry and entry["name"].startswith("FEED_"):
            assert entry["value"] == data[entry["name"]], entry["name"]


def test_keda_trigger_watches_the_group_and_topic_the_workers_use():
    manifests = render(VALUE_SETS["autoscaling"])
    data = config_map_data(manifests)
    trigger = one(manifests, "ScaledObject", "feed-worker")["spec"]["triggers"][0]["metadata"]
    assert trigger["bootstrapServers"] == data["FEED_KAFKA_BOOTSTRAP"]
    assert trigger["consumerGroup"] == data["FEED_CONSUMER_GROUP"]
    assert trigger["topic"] == data["FEED_EVENTS_TOPIC"]
