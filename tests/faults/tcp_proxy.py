"""A small threaded TCP proxy for fault tests.

``TcpProxy(target_host, target_port)`` listens on an ephemeral port of
127.0.0.1 and forwards every connection to the target. :meth:`TcpProxy.cut`
simulates a network outage: every live connection is reset (both the client's
and the server's side, with RST, not a polite FIN) and, until
:meth:`TcpProxy.restore`, new connections are accepted and reset at once, so
clients fail fast ("connection reset") instead of waiting for a timeout. The
listening port stays the same throughout, so clients reconnect to the same
address after the restore.

Usage::

    with TcpProxy("127.0.0.1", 5432) as proxy:
        url = f"postgresql://postgres@127.0.0.1:{proxy.port}/test"
        ...
        proxy.cut()
        ...
        proxy.restore()
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading
from typing import Any

__all__ = ("TcpProxy",)

_BUFFER = 65536
_LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST


def _reset(sock: socket.socket) -> None:
    """Close ``sock`` abortively (RST), ignoring errors."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    with contextlib.suppress(OSError):
        sock.close()


class _Link:
    """One client connection and its upstream connection, pumped by one thread."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self.killed = False
        self._wake_r, self._wake_w = socket.socketpair()
        self.thread = threading.Thread(target=self._pump, name="tcp-proxy-link", daemon=True)

    def kill(self) -> None:
        """Reset both sides; the pump thread does the closing."""
        self.killed = True
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _pump(self) -> None:
        peer = {self.client: self.upstream, self.upstream: self.client}
        with selectors.DefaultSelector() as selector:
            selector.register(self.client, selectors.EVENT_READ)
            selector.register(self.upstream, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            try:
                while not self.killed:
                    for key, _ in selector.select():
                        if key.fileobj is self._wake_r or self.killed:
                            break
                        source: socket.socket = key.fileobj  # type: ignore[assignment]
                        data = source.recv(_BUFFER)
                        if not data:
                            # one side closed: close the other (politely)
                            with contextlib.suppress(OSError):
                                peer[source].shutdown(socket.SHUT_RDWR)
                            return
                        peer[source].sendall(data)
            except OSError:
                pass
            finally:
                _reset(self.client)
                _reset(self.upstream)
                self._wake_r.close()
                self._wake_w.close()


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``(target_host, target_port)``."""

    def __init__(
        self,
        target_host: str,
        target_port: int,
        listen_host: str = "127.0.0.1",
        connect_timeout: float = 5.0,
    ) -> None:
        self.target = (target_host, target_port)
        self.connect_timeout = connect_timeout
        self._listener = socket.create_server((listen_host, 0), backlog=128)
        self._listener.settimeout(0.1)
        self.host, self.port = self._listener.getsockname()[:2]
        self._lock = threading.Lock()
        self._links: set[_Link] = set()
        self._is_cut = False
        self._closed = False
        #: connections forwarded, and connections reset on arrival during a cut
        self.accepted = 0
        self.refused = 0
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self._thread.start()

    @property
    def is_cut(self) -> bool:
        return self._is_cut

    @property
    def live_connections(self) -> int:
        with self._lock:
            return sum(1 for link in self._links if link.thread.is_alive())

    def cut(self) -> None:
        """Reset every live connection and reset new ones until :meth:`restore`.
        Returns once the live connections are closed."""
        with self._lock:
            self._is_cut = True
            links = list(self._links)
            self._links.clear()
        for link in links:
            link.kill()
        for link in links:
            link.thread.join(5)

    def restore(self) -> None:
        """Forward new connections again."""
        with self._lock:
            self._is_cut = False

    def close(self) -> None:
        """Stop listening and reset every connection."""
        self._closed = True
        self.cut()
        self._thread.join(5)
        with contextlib.suppress(OSError):
            self._listener.close()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "cut" if self._is_cut else "forwarding"
        return f"<TcpProxy {self.host}:{self.port} -> {self.target[0]}:{self.target[1]} {state}>"

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._closed:
                    return
                continue
            client.settimeout(None)
            if self._is_cut or self._closed:
                self.refused += 1
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=self.connect_timeout)
            except OSError:
                self.refused += 1
                _reset(client)
                continue
            upstream.settimeout(None)
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            link = _Link(client, upstream)
            with self._lock:
                if self._is_cut:
                    # cut() ran while we connected upstream
                    self.refused += 1
                    _reset(client)
                    _reset(upstream)
                    continue
                self._links.add(link)
                self.accepted += 1
            link.thread.start()
            self._prune()

    def _prune(self) -> None:
        with self._lock:
            self._links = {link for link in self._links if link.thread.is_alive()}
