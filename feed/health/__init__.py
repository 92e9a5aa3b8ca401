"""Readiness: one bounded probe per dependency, checked in the background."""
