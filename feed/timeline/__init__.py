"""Home timelines and read-time sources in Redis: the store and its pages, audiences, rebuild from the durable store."""
