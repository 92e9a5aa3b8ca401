"""The core package shared by the services and the workers.

It holds the domain types, pure logic (ids, fan-out planning, page tokens) and
narrow interfaces to the outside (durable store, timelines, events), each
backend in a module of its own. `feed.v1` is the code generated from protos/.
"""
