"""Kafka: the event publisher, the dead-letter topic, topic administration."""
