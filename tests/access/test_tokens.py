from __future__ import annotations

import jwt
import pytest

from feed.access.tokens import AuthKeys, Principal, Unauthenticated, mint, verify
from feed.config import Settings
from feed.errors import InvalidArgument

KEYS = AuthKeys("HS256", "s" * 40, "s" * 40)


def bearer(token: str) -> str:
    return f"Bearer {token}"


def test_a_minted_token_verifies_to_its_user_and_org():
    assert verify(KEYS, bearer(mint(KEYS, 42, org_id=7))) == Principal(42, 7)


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic abc", "Bearer not.a.jwt"])
def test_missing_or_malformed_tokens_are_unauthenticated(header):
    with pytest.raises(Unauthenticated):
        verify(KEYS, header)


def test_expired_token_is_refused_with_the_reason():
    token = mint(KEYS, 42, ttl_s=60, now=1_000_000)
    with pytest.raises(Unauthenticated, match="expired"):
        verify(KEYS, bearer(token))


def test_token_signed_with_another_key_is_refused():
    other = AuthKeys("HS256", "o" * 40, "o" * 40)
    with pytest.raises(Unauthenticated, match="not valid"):
        verify(KEYS, bearer(mint(other, 42)))


def test_unsigned_alg_none_token_is_refused():
    claims = {"sub": "42", "org": "0", "iat": 1, "exp": 2**40, "iss": "feed", "aud": "feed-api"}
    token = jwt.encode(claims, key=None, algorithm="none")
    with pytest.raises(Unauthenticated):
        verify(KEYS, bearer(token))


@pytest.mark.parametrize("sub", ["0", "-5", "abc", str(2**63)])
def test_token_whose_subject_is_not_a_user_id_is_refused(sub):
    claims = {"sub": sub, "iat": 1, "exp": 2**40, "iss": "feed", "aud": "feed-api"}
    with pytest.raises(Unauthenticated):
        verify(KEYS, bearer(jwt.encode(claims, KEYS.sign_key, algorithm="HS256")))


def test_short_secret_is_a_configuration_error():
    settings = Settings.from_env({"FEED_JWT_SECRET_FILE": "/nonexistent"})
    with pytest.raises(InvalidArgument, match="at least 32"):
        AuthKeys.from_settings(settings, {"FEED_JWT_SECRET": "short"})


def test_secret_comes_from_the_environment_before_the_file(tmp_path):
    path = tmp_path / "secret"
    path.write_text("f" * 40)
    settings = Settings.from_env({"FEED_JWT_SECRET_FILE": str(path)})
    assert AuthKeys.from_settings(settings, {}).verify_key == "f" * 40
    assert AuthKeys.from_settings(settings, {"FEED_JWT_SECRET": "e" * 40}).verify_key == "e" * 40


def test_unknown_algorithm_is_a_configuration_error():
    with pytest.raises(InvalidArgument, match="FEED_JWT_ALGORITHM"):
        AuthKeys.from_settings(Settings.from_env({"FEED_JWT_ALGORITHM": "none"}), {})


def test_keys_never_show_in_repr():
    assert "s" * 40 not in repr(KEYS)
