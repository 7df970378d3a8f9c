"""A service to health-check on loopback, flipped between healthy, failing, slow and closed."""

from __future__ import annotations

import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self

Mode = Literal["healthy", "error", "slow", "closed"]


class FlippableEndpoint:
    """``healthy`` answers 200, ``error`` 500, ``slow`` waits ``slow_seconds`` before answering 200,
    ``closed`` stops listening (connections are refused) until flipped back, on the same port."""

    def __init__(self, tls: ssl.SSLContext | None = None, slow_seconds: float = 3.0):
        self.tls = tls
        self.slow_seconds = slow_seconds
        self.mode: Mode = "healthy"
        self.port = 0
        self.hits = 0
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}/-/liveness"

    def start(self) -> Self:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                endpoint.hits += 1
                if endpoint.mode == "slow":
                    time.sleep(endpoint.slow_seconds)
                status = 500 if endpoint.mode == "error" else 200
                body = b'{"status": "ok"}' if status == 200 else b'{"status": "failing"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        if self.tls is not None:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        self.port = server.server_port
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        return self

    def flip(self, mode: Mode) -> None:
        if mode == "closed" and self._server is not None:
            self.stop()
        elif mode != "closed" and self._server is None:
            self.start()
        self.mode = mode

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
