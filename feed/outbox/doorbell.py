"""The outbox doorbell: the write path rings after each commit, so the relay publishes at once.

Without it the relay finds new records only on its next poll, which adds up to its
idle wait to every post's publish-to-visible time. A ring is one Redis PUBLISH on
the write service's connection, fire and forget: the record is durable already, so a
ring that fails (Redis not answering) only means the relay finds the record on its
next poll instead. The relay listens on its own connection and falls back to polling
whenever the subscription is down.
"""

from __future__ import annotations

import logging
import threading

from redis.exceptions import RedisError

from feed.redis.connection import RedisClient

log = logging.getLogger("feed.relay")
CHANNEL = "feed:outbox:doorbell"
LISTEN_TIMEOUT_S = 1.0  # how long one get_message waits: how soon the listener sees stop
RESUBSCRIBE_S = 1.0  # the pause before subscribing again after Redis went away


class Doorbell:
    """The write path's side: ring() after a change and its outbox records are committed.

    ring() only raises a flag; a daemon thread sends the PUBLISH. So no call waits on it,
    and rings that come while one is being sent are one more PUBLISH, not one each: under
    load the bell costs a few PUBLISHes per relay pass, not one per write."""

    def __init__(self, client: RedisClient) -> None:
        self._client = client
        self._pending = threading.Event()
        threading.Thread(target=self._send_rings, name="outbox-doorbell", daemon=True).start()

    def ring(self) -> None:
        self._pending.set()

    def _send_rings(self) -> None:
        while True:
            self._pending.wait()
            self._pending.clear()  # before the send: a ring during it is sent again after
            self.ring_now()

    def ring_now(self) -> None:
        try:
            self._client.publish(CHANNEL, b"1")
        except (RedisError, OSError) as exc:  # the relay's poll finds the record all the same
            log.debug("doorbell not rung: %s", type(exc).__name__)


class DoorbellListener:
    """The relay's side: a daemon thread that sets `wake` whenever the doorbell rings."""

    def __init__(self, client: RedisClient, wake: threading.Event) -> None:
        self._client = client
        self._wake = wake
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-doorbell", daemon=True)

    def start(self) -> DoorbellListener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(LISTEN_TIMEOUT_S * 2)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                self._listen()
            except (RedisError, OSError) as exc:
                log.warning("doorbell subscription lost (%s); polling meanwhile", type(exc).__name__)
                self._wake.set()  # something may have been rung while we were away
                self._stopped.wait(RESUBSCRIBE_S)

    def _listen(self) -> None:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(CHANNEL)
            while not self._stopped.is_set():
                if pubsub.get_message(timeout=LISTEN_TIMEOUT_S) is not None:
                    self._wake.set()
        finally:
            pubsub.close()
