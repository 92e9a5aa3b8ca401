from __future__ import annotations

import time

import pytest

from feed.access.tokens import AuthKeys, Principal, Unauthenticated, mint
from feed.access.verified_tokens import VerifiedTokens
from tests.clock import FakeClock

KEYS = AuthKeys("HS256", "s" * 40, "s" * 40)
OTHER = AuthKeys("HS256", "o" * 40, "o" * 40)


def cache_clock() -> FakeClock:
    """The cache's clock. PyJWT keeps the real one, so this starts at the real time and tokens are minted
    relative to it."""
    return FakeClock.at_wall_time()


def bearer(keys: AuthKeys, user_id: int, ttl_s: int = 3600, org_id: int = 0, age_s: int = 0) -> str:
    return f"Bearer {mint(keys, user_id, org_id, ttl_s=ttl_s, now=time.time() - age_s)}"


@pytest.fixture
def full_verifications(monkeypatch) -> list[str | None]:
    """The authorization values verified the slow way (PyJWT) through the cache."""
    import feed.access.verified_tokens as module

    calls: list[str | None] = []
    real = module.verify_with_expiry

    def counting(keys, authorization):
        calls.append(authorization)
        return real(keys, authorization)

    monkeypatch.setattr(module, "verify_with_expiry", counting)
    return calls


def test_a_repeated_valid_token_is_verified_once(full_verifications):
    tokens = VerifiedTokens(clock=cache_clock())
    header = bearer(KEYS, 42, org_id=7)
    assert [tokens.verify(KEYS, header) for _ in range(3)] == [Principal(42, 7)] * 3
    assert full_verifications == [header]


def test_a_cached_token_is_not_used_past_its_expiry(full_verifications):
    clock = cache_clock()
    tokens = VerifiedTokens(clock=clock)
    header = bearer(KEYS, 42, ttl_s=600)
    tokens.verify(KEYS, header)
    clock.advance(601)  # past exp for the cache (PyJWT, on the real clock, still accepts it)
    assert tokens.verify(KEYS, header) == Principal(42)
    assert full_verifications == [header, header]


def test_an_expired_token_is_refused_with_the_reason():
    with pytest.raises(Unauthenticated, match="expired"):
        VerifiedTokens(clock=cache_clock()).verify(KEYS, bearer(KEYS, 42, ttl_s=60, age_s=3600))


def test_a_token_inside_the_verifiers_leeway_is_accepted_but_not_cached():
    tokens = VerifiedTokens(clock=cache_clock())
    assert tokens.verify(KEYS, bearer(KEYS, 42, ttl_s=60, age_s=70)) == Principal(42)  # 10 s past exp
    assert len(tokens) == 0


def test_the_cache_holds_at_most_its_bound_dropping_the_least_recently_used(full_verifications):
    tokens = VerifiedTokens(max_entries=2, clock=cache_clock())
    first, second, third = (bearer(KEYS, user) for user in (1, 2, 3))
    tokens.verify(KEYS, first)
    tokens.verify(KEYS, second)
    tokens.verify(KEYS, first)  # now the most recently used
    tokens.verify(KEYS, third)  # evicts second
    assert len(tokens) == 2
    full_verifications.clear()
    tokens.verify(KEYS, first)
    assert full_verifications == []
    tokens.verify(KEYS, second)
    assert full_verifications == [second]


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic abc", "Bearer not.a.jwt"])
def test_a_bad_token_is_refused_every_time_and_never_cached(header):
    tokens = VerifiedTokens(clock=cache_clock())
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            tokens.verify(KEYS, header)
    assert len(tokens) == 0


def test_a_token_verified_with_one_key_is_not_reused_for_another():
    tokens = VerifiedTokens(clock=cache_clock())
    header = bearer(KEYS, 42)
    assert tokens.verify(KEYS, header) == Principal(42)
    with pytest.raises(Unauthenticated, match="not valid"):
        tokens.verify(OTHER, header)


def test_a_token_signed_with_another_key_for_a_cached_user_is_refused():
    tokens = VerifiedTokens(clock=cache_clock())
    tokens.verify(KEYS, bearer(KEYS, 42))
    with pytest.raises(Unauthenticated, match="not valid"):
        tokens.verify(KEYS, bearer(OTHER, 42))


def test_the_cache_never_shows_tokens_in_its_repr():
    tokens = VerifiedTokens(clock=cache_clock())
    header = bearer(KEYS, 42)
    tokens.verify(KEYS, header)
    assert header.split()[1] not in repr(tokens)


def spellings(header: str) -> list[str]:
    """Spellings of one authorization value that verify as that token: the scheme's case and the
    spaces around the token (PyJWT refuses any other change to the token itself)."""
    token = header.split()[1]
    schemes, gaps, tails = ("Bearer", "bearer", "BEARER"), (" ", "  "), ("", " ", "\t", "   ")
    return [f"{scheme}{gap}{token}{tail}" for scheme in schemes for gap in gaps for tail in tails]


def test_every_spelling_of_one_token_is_one_cache_entry_verified_once(full_verifications):
    tokens = VerifiedTokens(clock=cache_clock())
    header = bearer(KEYS, 42)
    for spelling in spellings(header):
        assert tokens.verify(KEYS, spelling) == Principal(42)
    assert len(tokens) == 1
    assert len(full_verifications) == 1


def test_one_caller_cannot_flush_the_cache_by_respelling_their_token(full_verifications):
    tokens = VerifiedTokens(max_entries=4, clock=cache_clock())
    alice = bearer(KEYS, 1)
    tokens.verify(KEYS, alice)
    for spelling in spellings(bearer(KEYS, 666)):
        tokens.verify(KEYS, spelling)
    full_verifications.clear()
    assert tokens.verify(KEYS, alice) == Principal(1)
    assert full_verifications == []  # still cached


def test_a_cached_signature_under_other_claims_is_not_a_cache_hit():
    tokens = VerifiedTokens(clock=cache_clock())
    header = bearer(KEYS, 42)
    tokens.verify(KEYS, header)
    _, _, signature = header.split()[1].rpartition(".")
    forged_head = bearer(KEYS, 666).split()[1].rpartition(".")[0]
    with pytest.raises(Unauthenticated, match="not valid"):
        tokens.verify(KEYS, f"Bearer {forged_head}.{signature}")
