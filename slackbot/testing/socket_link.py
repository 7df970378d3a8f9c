"""Slack's Socket Mode endpoint, on a loopback WebSocket server, as strict as Slack.

``apps.connections.open`` (with the app-level token) hands out a single-use URL; a connection to
it is greeted with ``hello``. Envelopes (``events_api``, ``slash_commands``, ``interactive``) go to
the newest connection that has not been told to go; each must be acknowledged with its
``envelope_id`` within 3 seconds, or Slack counts it as not delivered (an event is then sent
again with ``retry_attempt``). ``disconnect`` with ``refresh_requested`` asks the app to open a
new connection: from then on envelopes wait for the new connection, and the old one is closed
once the new one is up (or after ``RETIRE_AFTER`` seconds). How long each envelope waited for its
ack is recorded from the moment it was due, so an ack held up by a reconnect counts as late.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

ACK_DEADLINE = 3.0
RETIRE_AFTER = 10.0


@dataclass
class Envelope:
    envelope_id: str
    kind: str
    payload: dict[str, Any]
    due_at: float
    retry_attempt: int = 0
    retry_reason: str = ""
    acked: threading.Event = field(default_factory=threading.Event)
    ack: dict[str, Any] | None = None
    ack_seconds: float | None = None

    def message(self) -> str:
        return json.dumps(
            {
                "envelope_id": self.envelope_id,
                "type": self.kind,
                "payload": self.payload,
                "accepts_response_payload": self.kind != "events_api",
                "retry_attempt": self.retry_attempt,
                "retry_reason": self.retry_reason,
            }
        )


@dataclass
class Link:
    number: int
    connection: ServerConnection
    retiring: bool = False
    send_lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, message: str) -> bool:
        try:
            with self.send_lock:
                self.connection.send(message)
            return True
        except ConnectionClosed:
            return False


class SocketLink:
    """The WebSocket side of the simulator: tickets, connections, envelopes and their acks."""

    def __init__(self, app_id: str):
        self.app_id = app_id
        self.lock = threading.Condition()
        self.links: list[Link] = []
        self.tickets: set[str] = set()
        self.waiting: list[Envelope] = []  # due while no connection could take them
        self.envelopes: dict[str, Envelope] = {}
        self.connections_opened = 0
        self.refused_acks: list[dict[str, Any]] = []  # acks for no envelope, or sent twice
        self._ids = itertools.count(1)
        self._server: Server | None = None

    def start(self) -> SocketLink:
        self._server = serve(self._serve, "127.0.0.1", 0, compression=None, ping_interval=None)
        threading.Thread(target=self._server.serve_forever, daemon=True, name="socket-link").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.socket.getsockname()[1])

    def issue_url(self) -> str:
        """What ``apps.connections.open`` answers: a URL that can be connected to once."""
        ticket = f"ticket-{next(self._ids)}"
        with self.lock:
            self.tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    # ----- connections ----------------------------------------------------------------------------

    def _serve(self, connection: ServerConnection) -> None:
        request = connection.request
        ticket = parse_qs(urlparse(request.path if request else "").query).get("ticket", [""])[0]
        with self.lock:
            if ticket not in self.tickets:
                connection.close(1008, "invalid ticket")
                return
            self.tickets.discard(ticket)
            self.connections_opened += 1
            link = Link(self.connections_opened, connection)
            self.links.append(link)
            retiring = [other for other in self.links if other.retiring]
        hello = {
            "type": "hello",
            "num_connections": len(self.links),
            "debug_info": {"host": "applink-simulated", "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }
        link.send(json.dumps(hello))
        for old in retiring:
            old.connection.close(1000, "refreshed")
        self._flush_waiting()
        try:
            for raw in connection:
                self._acknowledged(raw)
        except ConnectionClosed:
            pass
        finally:
            with self.lock:
                if link in self.links:
                    self.links.remove(link)
                self.lock.notify_all()

    def _acknowledged(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        with self.lock:
            envelope = self.envelopes.get(str(message.get("envelope_id")))
            if envelope is None or envelope.acked.is_set():
                self.refused_acks.append(message)
                return
            envelope.ack = message.get("payload") if isinstance(message.get("payload"), dict) else {}
            envelope.ack_seconds = time.monotonic() - envelope.due_at
            envelope.acked.set()

    def _current(self) -> Link | None:
        live = [link for link in self.links if not link.retiring]
        return live[-1] if live else None

    def _flush_waiting(self) -> None:
        with self.lock:
            waiting, self.waiting = self.waiting, []
        for envelope in waiting:
            self._send(envelope)

    def _send(self, envelope: Envelope) -> None:
        with self.lock:
            link = self._current()
            if link is None:
                self.waiting.append(envelope)
                return
        if not link.send(envelope.message()):
            with self.lock:
                self.waiting.append(envelope)

    # ----- what Slack does ------------------------------------------------------------------------

    def wait_connected(self, count: int = 1, timeout: float = 30) -> None:
        """Until ``count`` connections have been opened in all (a test setting up, not a scheduled wait)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while self.connections_opened < count or self._current() is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no Socket Mode connection number {count} within {timeout:g} s")
                self.lock.wait(min(remaining, 0.05))

    def deliver(self, kind: str, payload: dict[str, Any], retry_attempt: int = 0, retry_reason: str = "") -> Envelope:
        """Send an envelope and wait up to Slack's 3 seconds for its ack (``envelope.ack`` stays None
        when none came in time)."""
        envelope = Envelope(f"env-{next(self._ids)}", kind, payload, time.monotonic(), retry_attempt, retry_reason)
        with self.lock:
            self.envelopes[envelope.envelope_id] = envelope
        self._send(envelope)
        if not envelope.acked.wait(ACK_DEADLINE):
            with self.lock:
                if envelope in self.waiting:
                    self.waiting.remove(envelope)
        return envelope

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Tell the current connections to go: a new one is expected; the old are closed once it is up."""
        with self.lock:
            old = [link for link in self.links if not link.retiring]
            for link in old:
                link.retiring = True
        notice = json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-simulated"}})
        for link in old:
            link.send(notice)
            timer = threading.Timer(RETIRE_AFTER, lambda link=link: link.connection.close(1000, "refreshed"))
            timer.daemon = True
            timer.start()

    def drop(self) -> None:
        """The network drops every connection without a word (no ``disconnect`` message)."""
        with self.lock:
            links = list(self.links)
        for link in links:
            link.connection.close(1011, "gone")

    def ack_delays(self) -> list[float]:
        with self.lock:
            return [e.ack_seconds for e in self.envelopes.values() if e.ack_seconds is not None]

    def open_connections(self) -> int:
        with self.lock:
            return len(self.links)
