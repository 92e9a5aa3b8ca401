"""Live home-timeline streams: per-stream state, the index of streams by source, the subscriber."""
