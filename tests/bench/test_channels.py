from __future__ import annotations

from feed.access.tokens import AuthKeys, Principal, verify
from feed.bench.channels import balanced_target, bearer_metadata

KEYS = AuthKeys("HS256", "s" * 40, "s" * 40)


def test_one_replica_is_its_own_target():
    assert balanced_target(["127.0.0.1:5000"]) == "127.0.0.1:5000"


def test_several_replicas_are_one_ipv4_target_naming_each():
    assert balanced_target(["127.0.0.1:5000", "127.0.0.1:5001"]) == "ipv4:127.0.0.1:5000,127.0.0.1:5001"


def test_bearer_metadata_carries_a_token_of_the_acting_user():
    metadata_of = bearer_metadata(KEYS)
    ((key, value),) = metadata_of(42)
    assert key == "authorization"
    assert verify(KEYS, value) == Principal(42)


def test_bearer_metadata_is_minted_once_per_user():
    metadata_of = bearer_metadata(KEYS)
    assert metadata_of(42) is metadata_of(42)
    assert metadata_of(42) != metadata_of(43)


def test_load_generators_given_the_same_moment_send_the_same_tokens():
    assert bearer_metadata(KEYS, issued_at=1_700_000_000)(42) == bearer_metadata(KEYS, issued_at=1_700_000_000)(42)
