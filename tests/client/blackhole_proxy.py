"""A TCP proxy that can go silent: what a NAT or load balancer that drops a connection's state does.

blackhole() makes every connection open at that moment swallow what either side sends, with no
FIN or RST: only an application-level probe (gRPC keepalive pings) can tell. Connections made
afterwards are forwarded as before, so a client that notices can reconnect through it.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading

CHUNK = 65536
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"  # what an HTTP/2 client sends first
PING, ACK = 0x6, 0x1  # an HTTP/2 frame type, and its flag for an answer


class BlackholeProxy:
    """Forwards 127.0.0.1:<port> to target; counts connections and the HTTP/2 pings clients sent."""

    def __init__(self, target: str) -> None:
        host, _, port = target.rpartition(":")
        self._target = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.addr = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self.connections = 0
        self.pings = 0  # PING frames clients sent (not answers), forwarded or swallowed
        self._lock = threading.Lock()
        self._silent: set[int] = set()  # ids of the connections that swallow everything
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def blackhole(self) -> None:
        """From now on, the open connections forward nothing in either direction (and say nothing)."""
        with self._lock:
            self._silent.update(range(self.connections))

    def close(self) -> None:
        self._closed = True
        for sock in [self._listener, *self._sockets]:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
                upstream = socket.create_connection(self._target)
            except OSError:
                return
            with self._lock:
                number = self.connections
                self.connections += 1
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(number, client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(number, upstream, client, False), daemon=True).start()

    def _pump(self, number: int, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        frames = _PingCounter() if from_client else None
        with contextlib.suppress(OSError):
            while data := source.recv(CHUNK):
                with self._lock:
                    self.pings += frames.feed(data) if frames else 0
                    silent = number in self._silent
                if not silent:
                    sink.sendall(data)
        if number not in self._silent:  # a silent connection says nothing, not even goodbye
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)


class _PingCounter:
    """Reads the frames of one client's HTTP/2 byte stream as they come, counting its PINGs."""

    def __init__(self) -> None:
        self._buffer = b""
        self._preface = True

    def feed(self, data: bytes) -> int:
        self._buffer += data
        if self._preface:
            if len(self._buffer) < len(PREFACE):
                return 0
            self._buffer, self._preface = self._buffer[len(PREFACE) :], False
        pings = 0
        while len(self._buffer) >= 9:
            high, low, kind, flags = struct.unpack(">BHBB", self._buffer[:5])
            length = high << 16 | low
            if len(self._buffer) < 9 + length:
                break
            pings += kind == PING and not flags & ACK
            self._buffer = self._buffer[9 + length :]
        return pings
