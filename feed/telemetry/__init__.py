"""Metrics, structured logs and the request context every process shares."""
