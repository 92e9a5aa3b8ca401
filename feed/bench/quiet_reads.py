"""Reads of readers who quiet a lot: 100 active keyword filters and 20 mutes each (issue 23).

`read_cpu_us_per_page_filtered` is `read_cpu_us_per_page` measured again, at the same
(highest) rate, on the same readers and the same pages, after every reader got
FILTERS_PER_READER filters (realistic phrases, a third of them whole-word, each reader
its own draw) and MUTES_PER_READER mutes; `read_filtered_cpu_ratio` is the one over the
other (issue 23 asks for at most 1.2). No phrase occurs in the bench's post texts and no
muted account posts to the readers, so the pages stay the same: the figure is the price of
checking every post against a reader's mutes and filters, not of reading deeper.

The rows go straight into the SQLite store in one transaction (through the API it would be
240,000 calls), then each reader gets a new relationship version, as Mute and CreateFilter
give it, so every read replica loads and compiles the reader's mutes and filters again.
Each reader's first page is then read once on every replica, so the measured load finds
their facts compiled, as the unfiltered run found its readers' facts from earlier phases.
"""

from __future__ import annotations

import random
import time
from typing import Any

import redis

from feed.access.versions import RedisRelationshipVersions
from feed.bench.channels import keys_of
from feed.bench.first_pages import WARM_TIMEOUT_S, first_pages
from feed.bench.reads import run_reads
from feed.loadkit.tokens import TokenProvider, authenticated_channel
from feed.redis.connection import RedisFunctions
from feed.store.quiet import KeywordFilter, Mute
from feed.store.sqlite import SqliteDatabase
from feed.store.sqlite_outbox import write_transaction
from feed.store.sqlite_quiet import SqliteQuietStore
from feed.v1 import filter_service_pb2, filter_service_pb2_grpc

FILTERS_PER_READER = 100  # the API's bound per user (feed/actions/quiet.py): the worst case
MUTES_PER_READER = 20
WHOLE_WORD_EVERY = 3  # every third phrase of a reader is whole-word
MUTED_BASE = 5_000_000_000  # muted accounts: above every bench user and author, so none posts to the readers
MUTED_POOL = 1_000  # each reader mutes 20 of these
FILTER_ID_BASE = 1 << 40  # filter ids: reader * FILTERS_PER_READER + n above it, unique
# What people mute, by topic: sport, shows, spam, news, health, family. None occurs in the bench's
# post texts ("a benchmark post of about the length...", "load post N"): tests/bench checks it.
PHRASES = (
    "spoiler", "spoilers", "season finale", "box office", "trailer", "leaked", "unboxing", "hot take",
    "world cup", "final score", "super bowl", "premier league", "transfer rumours", "formula 1", "olympics",
    "tour de france", "penalty", "var decision", "eurovision", "oscars", "grammys", "met gala", "red carpet",
    "crypto", "nft", "bitcoin", "ethereum", "dogecoin", "airdrop", "giveaway", "promo code", "discount",
    "limited offer", "free shipping", "click here", "follow back", "like and share", "sponsored", "influencer",
    "election", "senate", "parliament", "referendum", "campaign", "polling", "breaking news", "earthquake",
    "wildfire", "heatwave", "storm warning", "layoffs", "recession", "inflation", "interest rates", "housing market",
    "landlord", "covid", "vaccine", "lockdown", "mask mandate", "keto", "vegan", "fasting", "marathon", "step count",
    "gym selfie", "meal prep", "baby photos", "wedding", "engagement", "gender reveal", "cat pics", "dog pics",
    "memes", "horoscope", "astrology", "tarot", "celebrity gossip", "reality tv", "love island", "bachelor",
    "game of thrones", "star wars", "marvel", "anime", "k-pop", "taylor swift", "black friday", "cyber monday",
    "prime day", "april fools", "doomscrolling", "ratio", "subtweet", "cancelled", "drama", "rumour", "scandal",
    "lawsuit", "recall", "outage", "downtime", "patch notes", "esports", "speedrun", "battle royale", "loot box",
    "microtransactions", "early access", "stock tips", "day trading", "weight loss", "diet pills", "skincare routine",
)  # fmt: skip


def quiet_rows(reader: int) -> tuple[list[KeywordFilter], list[Mute]]:
    """The reader's filters and mutes: their own draw of phrases and muted accounts, the same every run."""
    rng = random.Random(reader)
    phrases = rng.sample(PHRASES, FILTERS_PER_READER)
    first = FILTER_ID_BASE + reader * FILTERS_PER_READER
    filters = [KeywordFilter(first + n, p, n % WHOLE_WORD_EVERY == 0) for n, p in enumerate(phrases)]
    mutes = [Mute(MUTED_BASE + m) for m in rng.sample(range(MUTED_POOL), MUTES_PER_READER)]
    return filters, mutes


def load_quiet(store_url: str, readers: list[int]) -> None:
    """Every reader's filters and mutes into the SQLite store, in one transaction (one commit for all)."""
    db = SqliteDatabase(store_url.removeprefix("sqlite:///"))
    quiet = SqliteQuietStore(db)
    try:
        with write_transaction(db):  # the store's calls join it: the connection lock is re-entrant
            for reader in readers:
                filters, mutes = quiet_rows(reader)
                for f in filters:
                    quiet.add_filter(reader, f)
                for m in mutes:
                    quiet.mute(reader, m)
    finally:
        db.close()


def prepare_quiet(client: redis.Redis, store_url: str, readers: list[int]) -> None:
    """The readers' filters and mutes in the store, then a new relationship version for each, as Mute and
    CreateFilter leave them: every read replica loads their facts again on their next page."""
    load_quiet(store_url, readers)
    RedisRelationshipVersions(RedisFunctions(client)).bump(readers)


def listed_filters(base: dict[str, Any], reader: int) -> int:
    """How many active filters the write service lists for the reader: the services see the store written."""
    tokens = TokenProvider(keys_of(base["secret_file"]), issued_at=base["tokens_issued_at"])
    channel = authenticated_channel(base["write_addr"], tokens)
    try:
        stub = filter_service_pb2_grpc.FilterServiceStub(channel)
        request = filter_service_pb2.ListFiltersRequest(user_id=reader)
        return len(stub.ListFilters(request, timeout=WARM_TIMEOUT_S).filters)
    finally:
        channel.close()


def run_quiet_phase(client: redis.Redis, store_url: str, base: dict[str, Any], rate: int, seconds: float, pids) -> dict:
    """Give every reader of base its filters and mutes, check that their pages did not change, then
    read at rate as the unfiltered run did: read_cpu_us_per_page_filtered and its p99 and errors."""
    readers = base["readers"]
    before = first_pages(base, readers[:1])
    started = time.monotonic()
    prepare_quiet(client, store_url, readers)
    after = first_pages(base, readers)
    if listed_filters(base, readers[0]) != FILTERS_PER_READER:
        raise RuntimeError("the services do not see the filters loaded into the store")
    if after[readers[0]] != before[readers[0]]:
        raise RuntimeError("a filter or mute hid a post of the benchmark: the pages would not compare")
    setup_s = round(time.monotonic() - started, 1)
    figures = run_reads(base, [rate], seconds, pids)
    return {
        "read_filtered_setup_s": setup_s,
        "read_filtered_p99_ms": figures[f"read_p99_ms_at_{rate}"],
        "read_filtered_errors": figures[f"read_errors_at_{rate}"],
        "read_cpu_us_per_page_filtered": figures[f"read_cpu_us_per_page_at_{rate}"],
    }


def filtered_ratio(figures: dict[str, Any]) -> dict[str, float]:
    """read_filtered_cpu_ratio: a filtered reader's page CPU over an unfiltered one's (issue 23: <= 1.2)."""
    plain, filtered = figures.get("read_cpu_us_per_page", 0.0), figures.get("read_cpu_us_per_page_filtered", 0.0)
    return {"read_filtered_cpu_ratio": round(filtered / plain, 3)} if plain > 0 and filtered > 0 else {}
