"""Request validation shared by the services: one clear message per bad field."""

from __future__ import annotations

from feed.errors import InvalidArgument

MAX_IDEMPOTENCY_KEY_CHARS = 128


def page_size(value: int, default: int, maximum: int) -> int:
    """0 means the default; negatives are errors; larger than maximum is clamped (AIP-158)."""
    if value < 0:
        raise InvalidArgument(f"page_size must not be negative, got {value}")
    if value == 0:
        return default
    return min(value, maximum)


def post_text(text: str, max_chars: int) -> str:
    """Non-blank text of at most max_chars characters (Unicode code points)."""
    if not text.strip():
        raise InvalidArgument("text must not be empty")
    if len(text) > max_chars:
        raise InvalidArgument(f"text is {len(text)} characters long; the limit is {max_chars}")
    return text


def idempotency_key(key: str) -> str:
    if len(key) > MAX_IDEMPOTENCY_KEY_CHARS:
        raise InvalidArgument(f"idempotency_key must be at most {MAX_IDEMPOTENCY_KEY_CHARS} characters")
    return key
