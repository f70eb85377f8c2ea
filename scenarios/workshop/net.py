"""The workshop server's connection limits and addresses: read and request-time limits, a cap
on connections that evicts the longest-waiting idle one, and the ``Host`` names it answers."""

from __future__ import annotations

import ipaddress
import sys
import time
from http.server import ThreadingHTTPServer
from typing import Any

#: Seconds a connection may stay silent before it is closed.
READ_TIMEOUT = 10.0
#: Seconds a client has to send a whole request (line, headers and body), however it
#: trickles them; past it the connection is closed (a byte every 9 s beats READ_TIMEOUT).
REQUEST_TIME = 30.0
#: Connections served at once (each holds a thread). One more closes the connection that
#: has waited longest for its request; when none is waiting, it gets 503.
MAX_CONNECTIONS = 256



def machine_addresses() -> list[str]:
    """This machine's own addresses (not loopback) that others can type: every interface's
    IPv4 address (Linux), the host name's addresses, and the address of the default route
    (a UDP socket connected to a documentation address; nothing is sent)."""
    import socket

    found: set[str] = set()
    try:
        import fcntl
        import struct

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            for _, name in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(probe.fileno(), 0x8915,  # SIOCGIFADDR
                                         struct.pack("256s", name[:15].encode()))
                    found.add(socket.inet_ntoa(packed[20:24]))
                except OSError:
                    continue
    except (ImportError, OSError):
        pass
    try:
        found.update(str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None))
    except OSError:
        pass
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            found.add(probe.getsockname()[0])
    except OSError:
        pass
    out = []
    for address in found:
        try:
            ip = ipaddress.ip_address(address.split("%")[0])
        except ValueError:
            continue
        if not (ip.is_loopback or ip.is_unspecified or ip.is_link_local):
            out.append(str(ip))
    return sorted(out, key=lambda a: (":" in a, a))


def allowed_hosts(host: str, port: int, others: list[str] | None = None) -> set[str]:
    """``Host`` header values the server answers: its own address and loopback names, and
    when bound to every interface (``0.0.0.0``, ``::``) the machine's addresses ``others``
    (and its host name)."""
    import socket

    names = {host, "localhost", "127.0.0.1", "[::1]"}
    if ipaddress.ip_address(host if host != "localhost" else "127.0.0.1").is_unspecified:
        names.update(others if others is not None else machine_addresses())
        names.add(socket.gethostname())
    for name in sorted(names):
        if ":" in name and not name.startswith("["):
            names.add(f"[{name}]")
    return {n.lower() for n in names} | {f"{n.lower()}:{port}" for n in names}


class CappedServer(ThreadingHTTPServer):
    """At most :data:`MAX_CONNECTIONS` connections at once; a client that goes away early
    (broken pipe, reset, timeout) is not a traceback on the facilitator's terminal."""

    daemon_threads = True
    #: Connections the kernel queues before accept: socketserver's 5 made clients past the
    #: fifth of a burst wait 1 s for a SYN retransmit (400 connections took 62 s).
    request_queue_size = 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        import threading

        self.active = 0  # connections with a thread (may pass the cap by evicted ones)
        self.count = threading.Lock()
        self.reading: dict[Any, float] = {}  # connection -> when its request must be in
        super().__init__(*args, **kwargs)
        threading.Thread(target=self._reap, daemon=True, name="request-time").start()

    def _reap(self) -> None:
        """Close connections whose request is not in after :data:`REQUEST_TIME`."""
        import socket

        while True:
            time.sleep(0.5)
            now = time.monotonic()
            for conn, deadline in list(self.reading.items()):
                if now > deadline:
                    self.reading.pop(conn, None)
                    try:
                        conn.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

    def _evict_oldest(self) -> bool:
        """All slots taken: close the connection that has waited longest for its request
        (an idle or trickling client), so that a flood of idle sockets cannot lock out a
        new client. Whether one was closed."""
        import socket

        waiting = sorted(self.reading.items(), key=lambda item: item[1])
        for conn, _ in waiting[:1]:
            self.reading.pop(conn, None)
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        return False

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.count:  # an evicted connection ends within milliseconds: no waiting here
            admitted = self.active < MAX_CONNECTIONS or self._evict_oldest()
            if admitted:
                self.active += 1
        if not admitted:  # full of connections that are being answered: say so, no thread
            try:
                request.settimeout(0.5)
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                b"Retry-After: 2\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        with self.count:
            self.active -= 1

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        kind = sys.exc_info()[0]
        if kind is not None and issubclass(kind, (ConnectionError, TimeoutError)):
            return  # the client left or stalled: nothing to tell the facilitator
        sys.stderr.write(f"futures workshop: error serving {client_address[0]}: "
                         f"{kind.__name__ if kind else 'unknown'}\n")
