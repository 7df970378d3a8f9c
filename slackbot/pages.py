"""What a capability serves on the bot's HTTP port beside ``/healthz``: pages (``GET``: the status
page; a page gets the query string and the cookies) and hooks (``POST``: alerts from monitoring,
heartbeats; a hook gets the headers and the body). Each answers an ``Answer``."""

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
Hook = Callable[[dict[str, str], bytes], Answer]  # (headers, lower-cased names; body)


class Pages:
    def __init__(self) -> None:
        self.routes: dict[str, Page] = {}
        self.hooks: dict[str, Hook] = {}

    def get(self, path: str, page: Page) -> None:
        if path in self.routes or path in self.hooks:
            raise ValueError(f"{path} is served twice")
        self.routes[path] = page

    def post(self, path: str, hook: Hook) -> None:
        """Take ``POST`` requests to ``path``: the hook authenticates, stores and answers them."""
        if path in self.routes or path in self.hooks:
            raise ValueError(f"{path} is served twice")
        self.hooks[path] = hook
