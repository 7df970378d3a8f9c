"""``/pair``: pair-programming requests in the engineering channel, claimed with `I'll pair`.

The first click by someone other than the requester wins (the row is locked, so two simultaneous
clicks cannot both claim); both people get a group DM. Unclaimed requests are bumped once and
expire, from the scheduler tick.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.pairing.models import PairRequest
from slackbot.app import BotContext
from slackbot.commands import CommandCall
from slackbot.durations import format_duration
from slackbot.signals import HomeChanged
from slackbot.slack_lookup import permalink

if TYPE_CHECKING:
    from slackbot.demo import Tour

CLAIM = "pair_claim"
CALLBACK = "pair_submit"
DURATIONS = ["30m", "1h", "2h", "half a day"]


def post_text(request: PairRequest) -> str:
    details = ", ".join(p for p in (request.area, request.duration, request.when) if p)
    head = f":handshake: <@{request.requester}> is looking for a pair: *{request.topic}*" + (
        f" ({details})" if details else ""
    )
    if request.state == "claimed":
        return f"{head}\nClaimed by <@{request.claimed_by}>. :tada:"
    if request.state == "expired":
        return f"{head}\nExpired: nobody was free this time."
    if request.state == "cancelled":
        return f"{head}\nCancelled by <@{request.requester}>."
    return head


def post_blocks(request: PairRequest) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": post_text(request)}}]
    if request.state == "open":
        button = {
            "type": "button",
            "action_id": CLAIM,
            "value": str(request.id),
            "style": "primary",
            "text": {"type": "plain_text", "text": "I'll pair"},
        }
        blocks.append({"type": "actions", "block_id": f"pair_{request.id}", "elements": [button]})
    return blocks


class Pairing:
    def __init__(self, ctx: BotContext):
        self.ctx = ctx
        self.settings = ctx.config.pairing

    def create(self, user: str, topic: str, area: str = "", duration: str = "", when: str = "") -> PairRequest:
        with self.ctx.db.transaction() as session:
            request = PairRequest(
                requester=user,
                topic=topic,
                area=area,
                duration=duration,
                when=when,
                created_at=self.ctx.clock.now(),
                state="open",
                channel_id=self.ctx.channel("engineering"),
            )
            session.add(request)
            session.flush()
            posted = self.ctx.client.chat_postMessage(
                channel=request.channel_id, text=post_text(request), blocks=post_blocks(request)
            )
            request.ts = posted["ts"]
            self.ctx.signals.home_changed.send(session, HomeChanged((user,)))
            return request

    def update_post(self, session: Session, request: PairRequest) -> None:
        """The post shows the request's new state, and so does the requester's App Home."""
        self.ctx.signals.home_changed.send(session, HomeChanged((request.requester,)))
        if request.ts:
            self.ctx.client.chat_update(
                channel=request.channel_id, ts=request.ts, text=post_text(request), blocks=post_blocks(request)
            )

    # ----- commands and the modal --------------------------------------------------------------------

    def ask(self, call: CommandCall) -> str | None:
        topic = call.text.strip()
        if not topic:
            self.ctx.client.views_open(trigger_id=call.trigger_id, view=modal())
            return None
        self.create(call.user_id, topic)
        return f"Posted in <#{self.ctx.channel('engineering')}>. `/pair cancel` withdraws it."

    def on_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        topic = (values.get("topic", {}).get("value", {}).get("value") or "").strip()
        if not topic:
            ack(response_action="errors", errors={"topic": "Say what you would like to pair on."})
            return
        ack()
        duration = (values.get("duration", {}).get("value", {}).get("selected_option") or {}).get("value", "")
        self.create(
            body["user"]["id"],
            topic,
            area=(values.get("area", {}).get("value", {}).get("value") or "").strip(),
            duration=duration,
            when=(values.get("when", {}).get("value", {}).get("value") or "").strip(),
        )

    def on_claim(self, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user = body["user"]["id"]
        with self.ctx.db.transaction() as session:
            request = session.scalar(
                select(PairRequest).where(PairRequest.id == int(body["actions"][0]["value"])).with_for_update()
            )
            answer = self.claim(session, request, user) if request is not None else "That request no longer exists."
        if answer:
            respond(text=answer, response_type="ephemeral", replace_original=False)

    def claim(self, session: Session, request: PairRequest, user: str) -> str | None:
        if request.requester == user:
            return "That is your own request: someone else has to claim it."
        if request.state == "claimed":
            return f"Already claimed by <@{request.claimed_by}>."
        if request.state != "open":
            return f"This request is {request.state}."
        request.state, request.claimed_by, request.claimed_at = "claimed", user, self.ctx.clock.now()
        self.update_post(session, request)
        group = self.ctx.client.conversations_open(users=f"{request.requester},{user}")["channel"]["id"]
        self.ctx.client.chat_postMessage(
            channel=group,
            text=f":handshake: <@{request.requester}>, <@{user}> will pair with you on *{request.topic}*. "
            "Pick a time that suits you both.",
        )
        return None

    def cancel(self, call: CommandCall) -> str:
        with self.ctx.db.transaction() as session:
            mine = list(
                session.scalars(
                    select(PairRequest)
                    .where(PairRequest.requester == call.user_id, PairRequest.state == "open")
                    .with_for_update()
                )
            )
            for request in mine:
                request.state, request.closed_at = "cancelled", self.ctx.clock.now()
                self.update_post(session, request)
        return f"Cancelled {len(mine)} open request(s)." if mine else "You have no open pair request."

    def list_open(self, _call: CommandCall) -> str:
        now = self.ctx.clock.now()
        with self.ctx.db.reading() as session:
            found = list(
                session.scalars(select(PairRequest).where(PairRequest.state == "open").order_by(PairRequest.id))
            )
            links = {r.id: permalink(self.ctx.client, r.channel_id, r.ts) for r in found}
        if not found:
            return "No open pair requests. `/pair TOPIC` asks for one."
        lines = ["*Open pair requests*"]
        lines += [
            f"• <{links[r.id]}|{r.topic}> by <@{r.requester}>, {format_duration(now - r.created_at)} ago" for r in found
        ]
        return "\n".join(lines)

    def stats(self, _call: CommandCall) -> str:
        with self.ctx.db.reading() as session:
            everything = list(session.scalars(select(PairRequest)))
        claimed = [r for r in everything if r.claimed_at is not None]
        if not everything:
            return "No pair requests yet."
        waits = [(r.claimed_at - r.created_at).total_seconds() for r in claimed if r.claimed_at]
        median = format_duration(timedelta(seconds=statistics.median(waits))) if waits else "n/a"
        top = Counter(r.claimed_by for r in claimed).most_common(3)
        pairers = ", ".join(f"<@{user}> ({count})" for user, count in top) or "nobody yet"
        return (
            f"*Pairing*: {len(everything)} requests, {len(claimed)} claimed, median time to claim {median}.\n"
            f"Paired most: {pairers}"
        )

    # ----- scheduled ---------------------------------------------------------------------------------

    def bump_and_expire(self, now: datetime) -> None:
        with self.ctx.db.reading() as session:
            due = list(
                session.scalars(
                    select(PairRequest.id).where(
                        PairRequest.state == "open", PairRequest.created_at <= now - self.settings.bump_after
                    )
                )
            )
        self.ctx.each(due, lambda session, request_id: self._age(session, request_id, now), "pair request")

    def _age(self, session: Session, request_id: int, now: datetime) -> None:
        request = session.scalar(select(PairRequest).where(PairRequest.id == request_id).with_for_update())
        if request is None or request.state != "open":
            return
        if now >= request.created_at + self.settings.expire_after:
            request.state, request.closed_at = "expired", now
            self.update_post(session, request)
            self.ctx.client.chat_postMessage(
                channel=request.requester,
                text=f"Nobody claimed your pair request “{request.topic}” within "
                f"{format_duration(self.settings.expire_after)}, so it has expired. Ask again any time with `/pair`.",
            )
        elif request.bumped_at is None:
            request.bumped_at = now
            self.ctx.client.chat_postMessage(
                channel=request.channel_id,
                thread_ts=request.ts,
                text=f"Still looking for a pair: <@{request.requester}> would like help with *{request.topic}*. "
                "Click `I'll pair` above if you have time.",
            )


def modal() -> dict[str, Any]:
    def text_input(block_id: str, label: str, optional: bool, multiline: bool = False) -> dict[str, Any]:
        return {
            "type": "input",
            "block_id": block_id,
            "optional": optional,
            "label": {"type": "plain_text", "text": label},
            "element": {"type": "plain_text_input", "action_id": "value", "multiline": multiline},
        }

    options = [{"text": {"type": "plain_text", "text": d}, "value": d} for d in DURATIONS]
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "private_metadata": json.dumps({}),
        "title": {"type": "plain_text", "text": "Find a pair"},
        "submit": {"type": "plain_text", "text": "Ask"},
        "blocks": [
            text_input("topic", "What would you like to pair on?", optional=False, multiline=True),
            text_input("area", "Area (CustomersDot, license app, ...)", optional=True),
            {
                "type": "input",
                "block_id": "duration",
                "optional": True,
                "label": {"type": "plain_text", "text": "How long"},
                "element": {"type": "static_select", "action_id": "value", "options": options},
            },
            text_input("when", "When", optional=True),
        ],
    }


def register(app: App, ctx: BotContext) -> None:
    pairing = Pairing(ctx)
    app.action(CLAIM)(pairing.on_claim)
    app.view(CALLBACK)(pairing.on_submit)
    router = ctx.commands.router("/pair")
    router.add("", pairing.ask, "ask for a pair in the engineering channel (no topic: a form)", "[TOPIC]")
    router.add("list", pairing.list_open, "open pair requests")
    router.add("cancel", pairing.cancel, "withdraw your open request")
    router.add("stats", pairing.stats, "requests, claims, median time to claim, who paired most")
    ctx.scheduler.add("pairing.bump_and_expire", pairing.bump_and_expire)


def demo_scene(tour: Tour) -> None:
    from slackbot.testing.harness import TEAM

    james, vitaly, alice = TEAM[0].id, TEAM[1].id, TEAM[2].id
    tour.scene("/pair: a pairing request, claimed by the first volunteer")
    tour.driver.command(alice, "/pair", "Untangling the Zuora subscription sync", channel="s_fulfillment_engineering")
    tour.driver.click(alice, "I'll pair", channel="s_fulfillment_engineering")
    tour.wait(timedelta(hours=2))
    request = tour.sim.messages("s_fulfillment_engineering")[-1]
    seen_by_james = {**request, "blocks": list(request["blocks"])}
    tour.driver.click(vitaly, "I'll pair", channel="s_fulfillment_engineering")
    tour.narrate("James clicks the button his Slack still shows")
    tour.driver.click(james, "I'll pair", channel="s_fulfillment_engineering", seen=seen_by_james)
