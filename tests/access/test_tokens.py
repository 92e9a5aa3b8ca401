from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time

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


def signed(claims: dict, keys: AuthKeys = KEYS) -> str:
    """A token with exactly these claims, signed with keys."""
    return bearer(jwt.encode(claims, keys.sign_key, algorithm=keys.algorithm))


def valid_claims(now: float | None = None, **changes) -> dict:
    issued = int(time.time() if now is None else now)
    claims = {"sub": "42", "org": "0", "iat": issued, "exp": issued + 600, "iss": "feed", "aud": "feed-api"}
    return {k: v for k, v in {**claims, **changes}.items() if v is not None}


def test_the_valid_claims_of_these_tests_are_accepted():
    """Guards the cases below: each is refused for the one claim it changes."""
    assert verify(KEYS, signed(valid_claims())) == Principal(42)


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "someone-else"},
        {"aud": "another-api"},
        {"nbf": int(time.time()) + 3600},  # not valid before an hour from now
        {"iat": None},
        {"exp": None},
        {"iss": None},
        {"aud": None},
    ],
    ids=["wrong-iss", "wrong-aud", "nbf-future", "no-iat", "no-exp", "no-iss", "no-aud"],
)
def test_a_token_with_a_wrong_or_missing_claim_is_refused(changes):
    with pytest.raises(Unauthenticated, match="not valid"):
        verify(KEYS, signed(valid_claims(**changes)))


def test_a_token_living_longer_than_the_maximum_lifetime_is_refused():
    keys = dataclasses.replace(KEYS, max_lifetime_s=3600)
    now = int(time.time())
    assert verify(keys, signed(valid_claims(exp=now + 3600), keys)) == Principal(42)
    with pytest.raises(Unauthenticated, match="lifetime"):
        verify(keys, signed(valid_claims(exp=now + 3601), keys))
    # an old iat cannot stretch it either: the lifetime is exp - iat
    with pytest.raises(Unauthenticated, match="lifetime"):
        verify(keys, signed(valid_claims(iat=now - 3600, exp=now + 60), keys))


def test_the_maximum_lifetime_comes_from_the_settings_and_defaults_to_a_week():
    assert AuthKeys.from_settings(Settings(), {"FEED_JWT_SECRET": "e" * 40}).max_lifetime_s == 7 * 86_400
    settings = Settings.from_env({"FEED_JWT_MAX_LIFETIME_S": "600"})
    assert AuthKeys.from_settings(settings, {"FEED_JWT_SECRET": "e" * 40}).max_lifetime_s == 600
    with pytest.raises(InvalidArgument, match="FEED_JWT_MAX_LIFETIME_S"):
        Settings.from_env({"FEED_JWT_MAX_LIFETIME_S": "0"})


def test_minting_a_token_longer_than_the_maximum_lifetime_is_refused():
    keys = dataclasses.replace(KEYS, max_lifetime_s=3600)
    with pytest.raises(InvalidArgument, match="3600"):
        mint(keys, 42, ttl_s=3601)


def rsa_keys(tmp_path) -> tuple[AuthKeys, str]:
    """RS256 keys from PEM files as settings name them, and the public key's PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "private.pem").write_bytes(private_pem)
    (tmp_path / "public.pem").write_bytes(public_pem)
    env = {
        "FEED_JWT_ALGORITHM": "RS256",
        "FEED_JWT_PUBLIC_KEY_FILE": str(tmp_path / "public.pem"),
        "FEED_JWT_PRIVATE_KEY_FILE": str(tmp_path / "private.pem"),
    }
    return AuthKeys.from_settings(Settings.from_env(env), {}), public_pem.decode().strip()


def hs256_by_hand(claims: dict, secret: bytes) -> str:
    """An HS256 token signed with any bytes as the secret (PyJWT refuses a PEM as an HMAC key)."""
    from jwt.utils import base64url_encode

    header = base64url_encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = base64url_encode(json.dumps(claims).encode())
    signing_input = header + b"." + payload
    signature = base64url_encode(hmac.new(secret, signing_input, hashlib.sha256).digest())
    return (signing_input + b"." + signature).decode()


def test_rs256_keys_verify_their_own_tokens(tmp_path):
    keys, _ = rsa_keys(tmp_path)
    assert verify(keys, bearer(mint(keys, 42))) == Principal(42)


def test_an_hs256_token_signed_with_the_rs256_public_key_is_refused(tmp_path):
    keys, public_pem = rsa_keys(tmp_path)
    forged = hs256_by_hand(valid_claims(), public_pem.encode())
    with pytest.raises(Unauthenticated, match="not valid"):
        verify(keys, bearer(forged))


def test_an_rs256_token_is_refused_by_hs256_keys(tmp_path):
    rs_keys, _ = rsa_keys(tmp_path)
    with pytest.raises(Unauthenticated, match="not valid"):
        verify(KEYS, bearer(mint(rs_keys, 42)))


@pytest.mark.parametrize("content", ["not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"])
def test_a_malformed_public_key_file_is_a_configuration_error_naming_the_file(tmp_path, content):
    path = tmp_path / "public.pem"
    path.write_text(content)
    settings = Settings.from_env({"FEED_JWT_ALGORITHM": "RS256", "FEED_JWT_PUBLIC_KEY_FILE": str(path)})
    with pytest.raises(InvalidArgument) as err:
        AuthKeys.from_settings(settings, {})
    assert "FEED_JWT_PUBLIC_KEY_FILE" in str(err.value) and str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_a_malformed_private_key_file_is_a_configuration_error_naming_the_file(tmp_path):
    rsa_keys(tmp_path)
    (tmp_path / "private.pem").write_text("garbage")
    env = {
        "FEED_JWT_ALGORITHM": "RS256",
        "FEED_JWT_PUBLIC_KEY_FILE": str(tmp_path / "public.pem"),
        "FEED_JWT_PRIVATE_KEY_FILE": str(tmp_path / "private.pem"),
    }
    with pytest.raises(InvalidArgument, match="FEED_JWT_PRIVATE_KEY_FILE"):
        AuthKeys.from_settings(Settings.from_env(env), {})
