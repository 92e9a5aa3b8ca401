"""values.schema.json describes every value and rejects bad ones with a message that names them.

Helm checks the schema on install, upgrade, template and lint; checks that relate two
values (workers versus partitions) are `fail` calls in templates/_helpers.tpl. Both are
exercised the way `helm install -f bad.yaml` would meet them: by rendering.
"""

from __future__ import annotations

import json
import textwrap

import helm_python as helm
import jsonschema
import pytest

from feed.config import Settings
from feed.errors import InvalidArgument
from feed.store.cassandra.settings import CONSISTENCY_LEVELS, MAX_TIMEOUT_S
from tests.helm.chart import CHART_DIR, VALUE_SETS, chart, render

SCHEMA = json.loads((CHART_DIR / "values.schema.json").read_text())

# (values file, words the error must contain to name the problem)
BAD_VALUES = {
    "wrong-type": ("worker:\n  replicaCount: two\n", ["/worker/replicaCount", "want integer"]),
    "unknown-key": ("kafka:\n  partitons: 8\n", ["/kafka", "'partitons' not allowed"]),
    "keda-above-partitions": (
        "kafka:\n  partitions: 8\nworker:\n  keda:\n    enabled: true\n    maxReplicaCount: 16\n",
        ["worker.keda.maxReplicaCount (16) must not be above kafka.partitions (8)"],
    ),
    "workers-above-partitions": (
        "kafka:\n  partitions: 4\nworker:\n  replicaCount: 6\n",
        ["worker.replicaCount (6) must not be above kafka.partitions (4)"],
    ),
    "broker-without-port": ("kafka:\n  bootstrapServers: [kafka]\n", ["/kafka/bootstrapServers/0", "does not match"]),
    "unknown-consistency": ("cassandra:\n  consistency: QUORAM\n", ["/cassandra/consistency"]),
    "privileged-port": ("metrics:\n  port: 80\n", ["/metrics/port", "minimum"]),
    "port-clash": ("metrics:\n  port: 50051\n", ["metrics.port and write.port are both 50051"]),
    "password-in-url": ("redis:\n  url: redis://:hunter2@redis:6379/0\n", ["/redis/url", "does not match"]),
    "username-without-secret": (
        "cassandra:\n  auth:\n    username: feed\n",
        ["cassandra.auth.username is set but cassandra.auth.existingSecret is not"],
    ),
    "extra-env-overrides-chart": (
        "config:\n  extraEnv:\n    FEED_WRITE_ADDR: 0.0.0.0:1\n",
        ["config.extraEnv.FEED_WRITE_ADDR is set by the chart"],
    ),
    "extra-env-not-feed": ("config:\n  extraEnv:\n    PATH: /bin\n", ["/config/extraEnv", "'PATH' not allowed"]),
    # One relay per store: there is no replica count to raise.
    "two-relays": ("relay:\n  replicaCount: 2\n", ["/relay", "'replicaCount' not allowed"]),
    "grace-shorter-than-drain": (
        "read:\n  preStopSleepSeconds: 10\n  terminationGracePeriodSeconds: 15\n",
        ["read.terminationGracePeriodSeconds (15) must cover read.preStopSleepSeconds (10)"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_bad_values_file_is_rejected_naming_the_problem(case):
    text, words = BAD_VALUES[case]
    with pytest.raises(helm.HelmError) as error:
        render(helm.values_from_yaml(textwrap.dedent(text)))
    for word in words:
        assert word in str(error.value), str(error.value)


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_defaults_and_examples_satisfy_the_schema(name):
    chart().validate_schema(VALUE_SETS[name] or None)


def test_schema_is_a_well_formed_draft_07_schema():
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def _objects(node, path="$"):
    """Every object schema with properties in the tree, with its path."""
    if isinstance(node, dict):
        if "properties" in node:
            yield path, node
        for key, child in node.items():
            yield from _objects(child, f"{path}.{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _objects(child, f"{path}[{index}]")


def test_every_object_rejects_unknown_keys():
    """So a misspelt value fails the install instead of being silently ignored."""
    open_objects = [path for path, node in _objects(SCHEMA) if node.get("additionalProperties") is not False]
    assert not open_objects


def test_every_value_has_a_description():
    """The descriptions are the values reference that docs/deploy.md points at."""
    undocumented = [
        f"{path}.{key}"
        for path, node in _objects(SCHEMA)
        for key, child in node["properties"].items()
        if "description" not in child and "$ref" not in child
    ]
    assert not undocumented


def test_schema_follows_the_code_limits():
    cassandra = SCHEMA["properties"]["cassandra"]["properties"]
    assert cassandra["consistency"]["enum"] == list(CONSISTENCY_LEVELS)
    assert cassandra["timeoutSeconds"]["maximum"] == MAX_TIMEOUT_S


@pytest.mark.parametrize(
    ("value", "variable"),
    [
        ("outboxPollMs", "FEED_OUTBOX_POLL_MS"),
        ("outboxIdleMaxMs", "FEED_OUTBOX_IDLE_MAX_MS"),
        ("outboxBatch", "FEED_OUTBOX_BATCH"),
    ],
)
def test_schema_bounds_of_the_relay_settings_are_the_ones_the_code_accepts(value, variable):
    """A value the schema lets through must not stop the relay at start, and the reverse."""
    bounds = SCHEMA["properties"]["config"]["properties"][value]
    for accepted in (bounds["minimum"], bounds["maximum"]):
        Settings.from_env({variable: str(accepted)})
    for refused in (bounds["minimum"] - 1, bounds["maximum"] + 1):
        with pytest.raises(InvalidArgument):
            Settings.from_env({variable: str(refused)})
