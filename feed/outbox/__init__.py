"""The outbox relay: publishes what the write path recorded in the store (feed/store/outbox.py)."""
