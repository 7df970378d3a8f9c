"""Answers a mention of the bot with what it can do, once per mention."""

from typing import Any

from slack_bolt import App
from sqlalchemy.orm import Session

from slackbot import idempotency
from slackbot.app import BotContext


def introduction(commands: list[str]) -> str:
    listed = ", ".join(f"`{c}`" for c in commands)
    return (
        "Hi! I'm fulfillbot. I keep track of questions until they get a :white_check_mark:, run standups, "
        f"post status alerts and page people during incidents. Try {listed} (each with `help`)."
    )


def register(app: App, ctx: BotContext) -> None:
    @app.event("app_mention")
    def answer_mention(body: dict[str, Any], event: dict[str, Any]) -> None:
        def reply(_session: Session) -> None:
            ctx.client.chat_postMessage(
                channel=event["channel"],
                thread_ts=event.get("thread_ts") or event["ts"],
                text=introduction(list(ctx.commands.routers)),
            )

        ctx.once(idempotency.event_key(body["event_id"]), reply)
