"""Web pages a capability serves on the bot's HTTP port (``GET`` only), beside ``/healthz``: the
status page. A page gets the query string and the cookies, and answers an ``Answer``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from slackbot.edge import Answer


@dataclass(frozen=True)
class PageRequest:
    query: dict[str, str]
    cookies: dict[str, str]

    @classmethod
    def parse(cls, query_string: str, cookie_header: str) -> PageRequest:
        query = {k: v[-1] for k, v in parse_qs(query_string, keep_blank_values=True).items()}
        cookies: dict[str, str] = {}
        try:
            jar = SimpleCookie(cookie_header)
        except CookieError:
            jar = SimpleCookie()
        for name, morsel in jar.items():
            cookies[name] = morsel.value
        return cls(query, cookies)


Page = Callable[[PageRequest], Answer]


class Pages:
    def __init__(self) -> None:
        self.routes: dict[str, Page] = {}

    def get(self, path: str, page: Page) -> None:
        if path in self.routes:
            raise ValueError(f"the page {path} is served twice")
        self.routes[path] = page
