"""`feed bench`: the performance figures of this machine, measured in one run.

The run starts its own redis-server, Tansu broker, services and fan-out worker
on free loopback ports, measures the Redis ceiling, fan-out throughput, read
latency at fixed offered rates, publish-to-visible latency and timeline memory,
then stops everything. See docs/performance.md for what the figures mean.
"""
