"""HTTP sessions for remote services (GitLab, PagerDuty) that refuse to send inside a write transaction."""

from typing import Any

import requests
from requests.adapters import HTTPAdapter

from slackbot.db import refuse_in_write_transaction


class GuardedAdapter(HTTPAdapter):
    def __init__(self, service: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.service = service

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        refuse_in_write_transaction(f"{self.service} {request.method} {request.path_url.split('?')[0]}")
        return super().send(request, *args, **kwargs)


def guarded_session(service: str) -> requests.Session:
    session = requests.Session()
    for prefix in ("http://", "https://"):
        session.mount(prefix, GuardedAdapter(service))
    return session
