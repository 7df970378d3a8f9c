"""HTTP: Slack's one URL, the GitLab webhook, health and metrics, as one WSGI app.

``slackbot.web:app`` is what gunicorn serves; it builds the bot from the environment on first
use (in each worker), never at import time.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt.adapter.wsgi import SlackRequestHandler

from slackbot.app import Bot

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

Response = tuple[int, str, bytes]

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class WebApp:
    def __init__(self, bot: Bot):
        self.bot = bot
        self.slack = SlackRequestHandler(bot.bolt)
        self.routes: dict[str, tuple[str, Callable[[WSGIEnvironment], Response]]] = {
            "/healthz": ("GET", self.healthz),
            "/metrics": ("GET", self.metrics),
            "/gitlab/webhook": ("POST", self.gitlab_webhook),
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        metrics = self.bot.ctx.metrics
        if path == "/slack/events" and method == "POST":
            status_holder: list[str] = []

            def counting_start_response(status: str, headers: Any, *args: Any) -> Any:
                status_holder.append(status)
                return start_response(status, headers, *args)

            body = self.slack(environ, counting_start_response)
            metrics.http_requests.labels(path, status_holder[0].split()[0] if status_holder else "").inc()
            return body
        route = self.routes.get(path)
        if path == "/slack/events":
            status, content_type, payload = 405, "text/plain", b"POST only"
        elif route is None:
            status, content_type, payload = 404, "text/plain", b"Not Found"
        elif route[0] != method:
            status, content_type, payload = 405, "text/plain", f"{route[0]} only".encode()
        else:
            status, content_type, payload = route[1](environ)
        metrics.http_requests.labels(path if route else "other", str(status)).inc()
        start_response(
            f"{status} {REASONS.get(status, '')}",
            [("Content-Type", content_type), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    def healthz(self, _environ: WSGIEnvironment) -> Response:
        ok = self.bot.ctx.db.ping()
        document: dict[str, Any] = {"status": "ok" if ok else "unavailable", "database": ok}
        if ok:
            document["scheduler_lease_holder"] = self.bot.ctx.scheduler.lease.current_holder()
        return (200 if ok else 503), "application/json", json.dumps(document).encode()

    def metrics(self, _environ: WSGIEnvironment) -> Response:
        metrics = self.bot.ctx.metrics
        return 200, metrics.content_type, metrics.render()

    def gitlab_webhook(self, environ: WSGIEnvironment) -> Response:
        headers = {
            key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items() if key.startswith("HTTP_")
        }
        result = self.bot.ctx.webhooks.handle(headers, _read_body(environ))
        return result.status, "application/json", json.dumps({"message": result.message}).encode()


def _read_body(environ: WSGIEnvironment) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def make_http_server(wsgi_app: Any, host: str, port: int) -> ThreadingWSGIServer:
    server = make_server(host, port, wsgi_app, server_class=ThreadingWSGIServer, handler_class=_QuietHandler)
    assert isinstance(server, ThreadingWSGIServer)
    return server


class LazyApplication:
    """The WSGI entry point for gunicorn: builds the bot from the environment once per process."""

    def __init__(self) -> None:
        self._web: WebApp | None = None
        self._lock = threading.Lock()

    def load(self) -> WebApp:
        with self._lock:
            if self._web is None:
                from slackbot.cli import bot_from_environment

                bot = bot_from_environment(migrate=False)
                bot.start_scheduler()
                self._web = WebApp(bot)
            return self._web

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.load()(environ, start_response)


app = LazyApplication()
