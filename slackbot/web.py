"""HTTP: Slack's one URL, the GitLab webhook, health and metrics, as one WSGI app.

``slackbot.web:app`` is what gunicorn serves; it builds the bot from the environment on first
use (in each worker), never at import time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slackbot.app import Bot, parked_counts
from slackbot.edge import MAX_BODY, Answer, content_length, slack_signature_ok
from slackbot.pages import Page, PageRequest

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

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
        self.routes: dict[str, tuple[str, Callable[[WSGIEnvironment, dict[str, str], bytes], Answer]]] = {
            "/slack/events": ("POST", self.slack_events),
            "/healthz": ("GET", self.healthz),
            "/metrics": ("GET", self.metrics),
            "/gitlab/webhook": ("POST", self.gitlab_webhook),
        }
        for path, page in bot.ctx.pages.routes.items():
            self.routes[path] = ("GET", _page_handler(page))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        method = str(environ.get("REQUEST_METHOD", "GET"))
        route = self.routes.get(path)
        if route is None:
            answer = Answer(404, b"Not Found")
        elif route[0] != method:
            answer = Answer(405, f"{route[0]} only".encode())
        else:
            answer = self._serve(environ, route[1])
        self.bot.ctx.metrics.http_requests.labels(path if route else "other", str(answer.status)).inc()
        start_response(
            f"{answer.status} {REASONS.get(answer.status, '')}",
            [("Content-Type", answer.content_type), ("Content-Length", str(len(answer.body))), *answer.headers],
        )
        return [answer.body]

    def _serve(
        self, environ: WSGIEnvironment, handler: Callable[[WSGIEnvironment, dict[str, str], bytes], Answer]
    ) -> Answer:
        length = content_length(environ.get("CONTENT_LENGTH"))
        if length is None:
            log.warning("rejected a request with an unusable Content-Length")
            return Answer(400, b"bad Content-Length")
        if length > MAX_BODY:
            log.warning("rejected a request of %d bytes", length)
            return Answer(400, b"too large")
        try:
            body = environ["wsgi.input"].read(length) if length else b""
        except (OSError, ValueError):
            log.warning("could not read a request body")
            return Answer(400, b"unreadable body")
        headers = {
            key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items() if key.startswith("HTTP_")
        }
        headers["content-type"] = str(environ.get("CONTENT_TYPE", ""))
        try:
            return handler(environ, headers, body)
        except Exception:
            log.exception("unexpected error while answering %s", environ.get("PATH_INFO"))
            return Answer(500, b"internal error")

    def slack_events(self, _environ: WSGIEnvironment, headers: dict[str, str], body: bytes) -> Answer:
        if not slack_signature_ok(self.bot.ctx.settings.signing_secret, headers, body):
            log.warning("rejected a request to /slack/events with a missing, stale or wrong signature")
            return Answer(401, b"invalid signature")
        return self.bot.edge.http(headers, body)

    def healthz(self, _environ: WSGIEnvironment, _headers: dict[str, str], _body: bytes) -> Answer:
        ok = self.bot.ctx.db.ping()
        document: dict[str, Any] = {"status": "ok" if ok else "unavailable", "database": ok}
        if ok:
            document["scheduler_lease_holder"] = self.bot.ctx.scheduler.lease.current_holder()
        return Answer.json(200 if ok else 503, document)

    def metrics(self, _environ: WSGIEnvironment, _headers: dict[str, str], _body: bytes) -> Answer:
        metrics = self.bot.ctx.metrics
        try:
            for store, count in parked_counts(self.bot.ctx.db).items():
                metrics.parked.labels(store).set(count)
        except Exception:
            log.warning("could not count parked items for /metrics", exc_info=True)
        return Answer(200, metrics.render(), metrics.content_type)

    def gitlab_webhook(self, _environ: WSGIEnvironment, headers: dict[str, str], body: bytes) -> Answer:
        return self.bot.ctx.webhooks.handle(headers, body)


def _page_handler(page: Page) -> Callable[[WSGIEnvironment, dict[str, str], bytes], Answer]:
    def handle(environ: WSGIEnvironment, headers: dict[str, str], _body: bytes) -> Answer:
        return page(PageRequest.parse(str(environ.get("QUERY_STRING", "")), headers.get("cookie", "")))

    return handle


class _QuietHandler(WSGIRequestHandler):
    timeout = 10  # a client that declares more body than it sends is cut off, not waited for forever

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
        if self._web is not None:
            return self._web
        with self._lock:
            if self._web is None:
                from slackbot.cli import bot_from_environment

                bot = bot_from_environment(migrate=False)
                bot.start_background()
                self._web = WebApp(bot)
            return self._web

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.load()(environ, start_response)


app = LazyApplication()
