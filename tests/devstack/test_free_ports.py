"""free_port hands out ports no outgoing connection can take before the child binds them.

Seen in CI: the write service of a test stack failed with "Failed to bind to address
127.0.0.1:40247", a port free_port had read from a bind to 0, so one of the kernel's
ephemeral ports, which a client socket took in between."""

from __future__ import annotations

import socket

from feed.devstack.procs import _ephemeral_low, free_port


def test_ports_lie_below_the_range_the_kernel_gives_outgoing_connections():
    ports = [free_port() for _ in range(50)]
    assert all(port < _ephemeral_low() for port in ports)
    assert len(set(ports)) == len(ports)  # never the same one twice


def test_a_port_handed_out_can_be_listened_on():
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
