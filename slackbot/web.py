"""HTTP: Slack's one URL, the GitLab webhook, health and metrics, as one WSGI app.

``slackbot.web:app`` is what gunicorn serves; it builds the bot from the environment on first
use (in each worker), never at import time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from waitress import wasyncore
from waitress.server import create_server

from slackbot.app import Bot, parked_counts
from slackbot.edge import MAX_BODY, Answer, content_length, slack_signature_ok
from slackbot.pages import Hook, Page, PageRequest

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


SAFE_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"))


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
        for path, hook in bot.ctx.pages.hooks.items():
            self.routes[path] = ("POST", _hook_handler(hook))

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
            [
                ("Content-Type", answer.content_type),
                ("Content-Length", str(len(answer.body))),
                *SAFE_HEADERS,
                *answer.headers,
            ],
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
            document["scheduler_lease_holder"] = opaque(
                self.bot.ctx.settings.signing_secret, self.bot.ctx.scheduler.lease.current_holder()
            )
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


def opaque(secret: str, holder: str | None) -> str | None:
    """Which process holds the lease, as a digest: equal for equal holders (a load balancer, a test
    or an operator comparing replicas can tell), without telling anyone its host name and PID."""
    if holder is None:
        return None
    return hmac.new(secret.encode(), holder.encode(), hashlib.sha256).hexdigest()[:16]


def _page_handler(page: Page) -> Callable[[WSGIEnvironment, dict[str, str], bytes], Answer]:
    def handle(environ: WSGIEnvironment, headers: dict[str, str], _body: bytes) -> Answer:
        return page(PageRequest.parse(str(environ.get("QUERY_STRING", "")), headers.get("cookie", "")))

    return handle


def _hook_handler(hook: Hook) -> Callable[[WSGIEnvironment, dict[str, str], bytes], Answer]:
    def handle(_environ: WSGIEnvironment, headers: dict[str, str], body: bytes) -> Answer:
        return hook(headers, body)

    return handle


SERVER_THREADS = 8  # requests answered at once; a request reaches a thread only once it has fully arrived
CONNECTIONS = 2000  # open connections (slow ones included) before new ones wait in the listen backlog
IDLE_TIMEOUT = 30  # seconds a connection may send nothing before it is closed


class HttpServer:
    """The bot's HTTP server: waitress, which reads each request (headers and body) in its I/O loop
    and hands it to one of its threads only once the whole body has arrived. A client that trickles
    its body holds a socket, never a thread, so it cannot starve ``/healthz`` or ``/slack/events``
    (a threaded server such as wsgiref's, or gunicorn's ``gthread`` worker, reads the body in the
    thread that answers). Bodies over ``MAX_BODY`` are refused before they are read, idle connections
    are closed after ``IDLE_TIMEOUT``, and waitress never shows a traceback to a client."""

    def __init__(self, wsgi_app: Any, host: str, port: int):
        self._map: dict[int, Any] = {}
        self._server = create_server(
            wsgi_app,
            host=host,
            port=port,
            map=self._map,
            threads=SERVER_THREADS,
            connection_limit=CONNECTIONS,
            channel_timeout=IDLE_TIMEOUT,
            cleanup_interval=5,
            max_request_body_size=MAX_BODY,
            max_request_header_size=64 * 1024,
            asyncore_use_poll=True,  # select() stops at 1,024 file descriptors
            ident="fulfillbot",
            expose_tracebacks=False,
        )
        self.server_port = int(self._server.effective_port)
        self._stop = threading.Event()
        self._stopped = threading.Event()

    def serve_forever(self, poll_interval: float = 0.2) -> None:
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=poll_interval, map=self._map, use_poll=True, count=1)
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop the I/O loop, woken at once rather than at its next ``poll_interval``."""
        self._stop.set()
        self._server.pull_trigger()
        self._stopped.wait(timeout=10)

    def server_close(self) -> None:
        """Let the threads finish the requests they hold, then close the listening socket, every
        open connection and the loop's trigger (waitress's own order: a thread that finishes a
        request pulls the trigger, which must still be open then)."""
        self._server.task_dispatcher.shutdown(timeout=5)
        wasyncore.close_all(self._map)


def make_http_server(wsgi_app: Any, host: str, port: int) -> HttpServer:
    return HttpServer(wsgi_app, host, port)


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
