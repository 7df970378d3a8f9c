"""Socket Mode: the same edge as HTTP, over Slack's WebSocket.

An Events API envelope is stored in the inbox and acknowledged once stored (left unacknowledged
when it cannot be stored, so Slack delivers it again); commands and interactivity go to Bolt and
are acknowledged with its answer. Every envelope is acknowledged, whatever it holds.

Our own small client over ``websockets`` rather than slack-sdk's: on ``disconnect`` (Slack asks
for a refresh every few hours) it opens the new connection at once and reads it while the old one
drains, so no envelope waits for the old socket's receive timeout (slack-sdk's built-in client
acked the first envelope after a refresh 3.09 s late, past Slack's 3 s). A connection that drops
without a word is replaced with a growing pause (``apps.connections.open`` is a Tier 1 method).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from slackbot.app import Bot
from slackbot.payload import json_object

log = logging.getLogger(__name__)

ENVELOPE_WORKERS = 8
PING_INTERVAL = 10.0  # seconds between our pings; a connection that stops answering is replaced
OPEN_TIMEOUT = 10.0
FIRST_PAUSE, LONGEST_PAUSE = 1.0, 60.0  # between attempts to connect while Slack refuses


class _Link:
    """One WebSocket connection and the thread that reads it."""

    def __init__(self, connection: ClientConnection, number: int):
        self.connection = connection
        self.number = number
        self.greeted = threading.Event()
        self.send_lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> bool:
        try:
            with self.send_lock:
                self.connection.send(json.dumps(message))
            return True
        except ConnectionClosed:
            return False

    def close(self) -> None:
        self.connection.close()


class SocketModeConnection:
    def __init__(self, bot: Bot, client: WebClient, app_token: str):
        self.bot = bot
        self.client = client
        self.app_token = app_token
        self.workers = ThreadPoolExecutor(ENVELOPE_WORKERS, thread_name_prefix="socket-envelope")
        self.stopping = threading.Event()
        self.replace = threading.Event()
        self.lock = threading.Lock()
        self.links: list[_Link] = []
        self.opened = 0
        self.supervisor = threading.Thread(target=self._supervise, name="socket-mode", daemon=True)

    def start(self, wait: float = OPEN_TIMEOUT) -> bool:
        """Connect in the background; True once Slack has said hello within ``wait`` seconds."""
        self.supervisor.start()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and not self.stopping.is_set():
            current = self._current()
            if current is not None and current.greeted.wait(0.05):
                return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        """Stop taking envelopes: the connections close (Slack delivers what is unacknowledged to
        another connection or again later), and the envelopes in hand are finished."""
        self.stopping.set()
        self.replace.set()
        with self.lock:
            links = list(self.links)
        for link in links:
            link.close()
        self.supervisor.join(timeout=OPEN_TIMEOUT)
        self.workers.shutdown(wait=True)

    # ----- connections ----------------------------------------------------------------------------

    def _current(self) -> _Link | None:
        with self.lock:
            return self.links[-1] if self.links else None

    def _supervise(self) -> None:
        pause = FIRST_PAUSE
        while not self.stopping.is_set():
            self.replace.clear()
            link = self._open()
            if link is None:
                self.stopping.wait(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
                continue
            pause = FIRST_PAUSE
            self.replace.wait()

    def _open(self) -> _Link | None:
        try:
            url = str(self.client.apps_connections_open(app_token=self.app_token)["url"])
            connection = connect(
                url, open_timeout=OPEN_TIMEOUT, ping_interval=PING_INTERVAL, compression=None, proxy=None
            )
        except SlackApiError as exc:
            log.warning("Slack refused apps.connections.open: %s", exc.response.get("error"))
            return None
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            log.warning("could not connect to Slack's Socket Mode endpoint: %s", exc)
            return None
        with self.lock:
            self.opened += 1
            link = _Link(connection, self.opened)
            self.links.append(link)
        threading.Thread(target=self._read, args=(link,), name=f"socket-read-{link.number}", daemon=True).start()
        return link

    def _read(self, link: _Link) -> None:
        try:
            for raw in link.connection:
                self._on_message(link, raw)
        except ConnectionClosed:
            pass
        finally:
            with self.lock:
                if link in self.links:
                    self.links.remove(link)
                current = self.links[-1] if self.links else None
            if not self.stopping.is_set() and (current is None or current is link):
                log.warning("the Socket Mode connection closed; connecting again")
                self.replace.set()

    def _on_message(self, link: _Link, raw: str | bytes) -> None:
        message = json_object(raw)
        if message is None:
            log.warning("ignored a Socket Mode message that is not a JSON object")
            return
        kind = message.get("type")
        if kind == "hello":
            link.greeted.set()
            self._retire_all_but(link)
        elif kind == "disconnect":
            self._on_disconnect(str(message.get("reason", "")))
        elif isinstance(message.get("envelope_id"), str):
            self.workers.submit(self._answer, link, message)
        else:
            log.warning("ignored a Socket Mode message of type %r", kind)

    def _on_disconnect(self, reason: str) -> None:
        if reason == "link_disabled":
            log.error("Slack disabled Socket Mode for this app; turn it on again in the app's settings")
            return
        log.info("Slack asked for a new Socket Mode connection (%s)", reason or "no reason given")
        self.replace.set()

    def _retire_all_but(self, link: _Link) -> None:
        """The new connection is up: the old ones are closed (their reads end by themselves)."""
        with self.lock:
            old = [other for other in self.links if other is not link]
        for other in old:
            other.close()

    # ----- envelopes ------------------------------------------------------------------------------

    def _answer(self, link: _Link, envelope: dict[str, Any]) -> None:
        envelope_id = envelope["envelope_id"]
        try:
            ack = self._handle(envelope)
        except Exception:
            log.exception("a Socket Mode %s envelope failed", envelope.get("type"))
            ack = {}
        if ack is None:
            return  # not stored: Slack delivers it again
        reply = {"envelope_id": envelope_id, **({"payload": ack} if ack else {})}
        if not link.send(reply):
            current = self._current()
            if current is None or not current.send(reply):
                log.warning("could not acknowledge envelope %s: no open connection", envelope_id)

    def _handle(self, envelope: dict[str, Any]) -> dict[str, Any] | None:
        """The ack's payload ({} for none), or None to leave the envelope unacknowledged."""
        kind, payload = envelope.get("type"), envelope.get("payload")
        if not isinstance(payload, dict):
            log.warning("acknowledged a Socket Mode %s envelope without a payload", kind)
            return {}
        if kind == "events_api":
            return {} if self.bot.edge.events_api(payload).status < 500 else None
        if kind in ("slash_commands", "interactive"):
            return _ack_payload(self.bot.edge.interactive(payload, {}, mode="socket_mode"))
        log.warning("acknowledged a Socket Mode envelope of type %r", kind)
        return {}

    def connections(self) -> int:
        with self.lock:
            return len(self.links)


def _ack_payload(response: BoltResponse) -> dict[str, Any]:
    """Bolt's answer as an ack payload: its JSON body, or a text."""
    body = response.body
    if not body:
        return {}
    if isinstance(body, str) and body.lstrip().startswith("{"):
        return json_object(body) or {}
    return {"text": str(body)}
