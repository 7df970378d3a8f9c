"""Socket Mode: the same edge as HTTP, over Slack's WebSocket.

An Events API envelope is stored in the inbox and acknowledged once stored (left unacknowledged
when it cannot be stored, so Slack delivers it again); commands and interactivity go to Bolt and
are acknowledged with its answer.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt.adapter.socket_mode.internals import send_response
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from slackbot.app import Bot

log = logging.getLogger(__name__)


class SocketModeConnection:
    def __init__(self, bot: Bot):
        self.bot = bot
        self.client = SocketModeClient(
            app_token=bot.ctx.settings.app_token,
            web_client=bot.ctx.client,
            logger=logging.getLogger("slack_sdk.socket_mode"),
        )
        self.client.socket_mode_request_listeners.append(self.handle)

    def connect(self) -> None:
        self.client.connect()

    def close(self) -> None:
        self.client.close()

    def handle(self, client: Any, request: SocketModeRequest) -> None:
        started = time.time()
        payload = request.payload if isinstance(request.payload, dict) else {}
        if request.type == "events_api":
            answer = self.bot.edge.events_api(payload)
            if answer.status < 500:
                client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
            return
        if request.type in ("slash_commands", "interactive"):
            response = self.bot.edge.interactive(payload, {}, mode="socket_mode")
            send_response(client, request, response, started)
            return
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
