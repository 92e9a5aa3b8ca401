"""Bearer tokens: mint and verify the signed JWTs every RPC carries.

A token names one user (`sub`, the decimal user id) and their organization
(`org`, 0 when the deployment has only one). The services act only as that
user. Keys and algorithm come from configuration; HS256 with a shared secret
is the local default, RS256/ES256 with a public key for verification in
production (the private key then lives only where tokens are minted).
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import time
from pathlib import Path

import jwt
from jwt.algorithms import get_default_algorithms

from feed.errors import FeedError, InvalidArgument, PermissionDenied
from feed.ids import MAX_ID

ISSUER = "feed"
AUDIENCE = "feed-api"
LEEWAY_S = 30  # tolerated clock skew between minter and verifier
MAX_LIFETIME_S = 7 * 86_400  # default FEED_JWT_MAX_LIFETIME_S: a stolen token is usable for a week at most
SYMMETRIC = ("HS256", "HS384", "HS512")
ASYMMETRIC = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")


class Unauthenticated(FeedError):
    """No token, or one that is not valid: signature, expiry, issuer, audience or claims."""


@dataclasses.dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as proven by their token."""

    user_id: int
    org_id: int = 0
    admin: bool = False  # an administrator of their organization: may post announcements

    def acting_as(self, user_id: int, field: str) -> Principal:
        """This caller, if a request's acting id (author, follower, ...) is theirs: nobody acts as someone else."""
        if self.user_id != user_id:
            raise PermissionDenied(f"{field} must be the user of the token")
        return self


@dataclasses.dataclass(frozen=True)
class AuthKeys:
    """The algorithm and keys a process uses; secrets never appear in repr or logs."""

    algorithm: str
    verify_key: str = dataclasses.field(repr=False)
    sign_key: str = dataclasses.field(default="", repr=False)
    max_lifetime_s: int = MAX_LIFETIME_S  # tokens whose exp - iat is longer are refused

    @classmethod
    def from_settings(cls, settings, env=None) -> AuthKeys:
        """Keys from FEED_JWT_ALGORITHM and the key files in settings; FEED_JWT_SECRET (read
        from the environment only, so it is never exported to children or printed) wins
        over FEED_JWT_SECRET_FILE. Key files are parsed here, so a process with a key it
        cannot use stops at start instead of failing every call."""
        env = os.environ if env is None else env
        algorithm, lifetime = settings.jwt_algorithm, settings.jwt_max_lifetime_s
        if algorithm in SYMMETRIC:
            secret = env.get("FEED_JWT_SECRET") or _read(settings.jwt_secret_file)
            if len(secret) < 32:
                raise InvalidArgument("FEED_JWT_SECRET (or FEED_JWT_SECRET_FILE) must hold at least 32 characters")
            return cls(algorithm, secret, secret, lifetime)
        if algorithm in ASYMMETRIC:
            public = _read(settings.jwt_public_key_file)
            if not public:
                raise InvalidArgument(f"FEED_JWT_PUBLIC_KEY_FILE must name a PEM public key for {algorithm}")
            private = _read(settings.jwt_private_key_file)
            _check_key(algorithm, public, "FEED_JWT_PUBLIC_KEY_FILE", settings.jwt_public_key_file)
            if private:
                _check_key(algorithm, private, "FEED_JWT_PRIVATE_KEY_FILE", settings.jwt_private_key_file)
            return cls(algorithm, public, private, lifetime)
        raise InvalidArgument(f"FEED_JWT_ALGORITHM must be one of {', '.join(SYMMETRIC + ASYMMETRIC)}")


def _check_key(algorithm: str, pem: str, variable: str, path: str) -> None:
    """Parse a PEM key as algorithm would; InvalidArgument naming the variable and file if it cannot."""
    try:
        get_default_algorithms()[algorithm].prepare_key(pem)
    except (jwt.InvalidKeyError, ValueError, TypeError):
        raise InvalidArgument(f"{variable} ({path}) does not hold a PEM key usable for {algorithm}") from None


def _read(path: str) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def ensure_local_secret(path: Path) -> str:
    """The local stack's HS256 secret, created (mode 0600) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


ADMIN_ROLE = "org_admin"  # in the token's `roles` claim: an administrator of the organization


def mint(
    keys: AuthKeys, user_id: int, org_id: int = 0, ttl_s: int = 3600, now: float | None = None, admin: bool = False
) -> str:
    """A signed token for user_id in org_id, valid for ttl_s seconds; admin adds the org_admin role."""
    if not keys.sign_key:
        raise InvalidArgument("minting needs a signing key (FEED_JWT_SECRET or FEED_JWT_PRIVATE_KEY_FILE)")
    if not 0 < ttl_s <= keys.max_lifetime_s:
        raise InvalidArgument(f"a token's lifetime must be between 1 and {keys.max_lifetime_s} s")
    if not 0 < user_id <= MAX_ID or not 0 <= org_id <= MAX_ID:
        raise InvalidArgument(f"user id must be between 1 and {MAX_ID}, org id between 0 and {MAX_ID}")
    issued = int(time.time() if now is None else now)
    claims = {
        "sub": str(user_id),
        "org": str(org_id),
        "iat": issued,
        "exp": issued + ttl_s,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    if admin:
        claims["roles"] = [ADMIN_ROLE]
    return jwt.encode(claims, keys.sign_key, algorithm=keys.algorithm)


def verify(keys: AuthKeys, authorization: str | None) -> Principal:
    """The principal of an `authorization: Bearer <jwt>` value, or Unauthenticated saying why."""
    return verify_with_expiry(keys, authorization)[0]


def bearer_token(authorization: str | None) -> str:
    """The token of an `authorization: Bearer <jwt>` value, stripped; the one spelling of a token
    (the scheme's case and surrounding spaces do not count), or Unauthenticated saying why."""
    if not authorization:
        raise Unauthenticated("missing bearer token in the authorization metadata")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("authorization metadata must be 'Bearer <token>'")
    return token


def verify_with_expiry(keys: AuthKeys, authorization: str | None) -> tuple[Principal, int]:
    """verify, and the token's `exp` (seconds since the epoch): callers that cache the answer
    must not use it past then."""
    token = bearer_token(authorization)
    try:
        claims = jwt.decode(
            token,
            keys.verify_key,
            algorithms=[keys.algorithm],  # never trust the token's own alg header
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=LEEWAY_S,
            options={"require": ["sub", "exp", "iat", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired") from None
    except jwt.InvalidTokenError:
        raise Unauthenticated("the token is not valid") from None
    try:
        user_id, org_id = int(claims["sub"]), int(claims.get("org", "0"))
    except (TypeError, ValueError):
        raise Unauthenticated("the token's subject is not a user id") from None
    if not 0 < user_id <= MAX_ID or not 0 <= org_id <= MAX_ID:
        raise Unauthenticated("the token's subject is not a user id")
    # PyJWT checked exp and iat are numbers. A long-lived token, once leaked, would outlive any rotation.
    if int(claims["exp"]) - int(claims["iat"]) > keys.max_lifetime_s:
        raise Unauthenticated(f"the token's lifetime is longer than the maximum of {keys.max_lifetime_s} s")
    roles = claims.get("roles", [])
    return Principal(user_id, org_id, isinstance(roles, list) and ADMIN_ROLE in roles), int(claims["exp"])
