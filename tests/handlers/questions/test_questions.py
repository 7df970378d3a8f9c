"""Question tracking driven as Slack drives it: signed events and commands, a fake clock."""

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from handlers.questions.config import AutoReply, QuestionsSection
from handlers.questions.models import Question
from slackbot.config import Config
from slackbot.testing.harness import ASKER, TEAM, Harness

JAMES, VITALY, ALICE = TEAM[0].id, TEAM[1].id, TEAM[2].id
SAM = ASKER.id
CHANNEL = "s_fulfillment"
LICENSING = AutoReply(keywords=["license", "subscription", "trial", "grace period"], reply="Use the request form.")
URGENT = AutoReply(keywords=["urgent"], reply="Follow STAR escalation.")


@pytest.fixture
def config() -> Config:
    return Config.of(
        QuestionsSection(
            nudge_unreplied_after=timedelta(hours=2),
            remind_asker_after=timedelta(hours=24),
            triage_usergroup="fulfillment-engineering",
            autoreplies=[LICENSING, URGENT],
        )
    )


def thread(harness: Harness, ts: str) -> list[str]:
    return [m["text"] for m in harness.sim.replies(CHANNEL, ts)]


def shown(harness: Harness, user: str) -> str:
    return str(harness.sim.ephemerals_for(user)[-1]["text"])


def open_list(harness: Harness) -> str:
    harness.driver.command(JAMES, "/fulfillment", "questions", channel=CHANNEL)
    return shown(harness, JAMES)


def stored(harness: Harness) -> list[Question]:
    with harness.bot.ctx.db.transaction() as session:
        return list(session.scalars(select(Question).order_by(Question.created_at)))


def test_a_question_from_asking_to_answered(harness: Harness) -> None:
    asked = harness.driver.say(SAM, CHANNEL, "Where do I find the CustomersDot admin guide?")
    assert "*1 open question*" in open_list(harness)
    assert "Where do I find the CustomersDot admin guide?" in open_list(harness)

    harness.advance(timedelta(hours=1, minutes=59))
    assert thread(harness, asked["ts"]) == [], "not nudged before its time"
    harness.advance(timedelta(minutes=2))
    group_id = next(g for g, v in harness.sim.usergroups.items() if v["handle"] == "fulfillment-engineering")
    [nudge] = thread(harness, asked["ts"])
    assert nudge.startswith(f"<!subteam^{group_id}> This question has had no reply for 2h")
    harness.advance(timedelta(hours=3))
    assert len(thread(harness, asked["ts"])) == 1, "one nudge, ever"

    harness.driver.say(SAM, CHANNEL, "(it is for a customer call)", thread_ts=asked["ts"])
    harness.driver.say(VITALY, CHANNEL, "It's in the docs folder.", thread_ts=asked["ts"])
    assert "has replies" in open_list(harness)
    harness.advance(timedelta(hours=23, minutes=59))
    assert harness.sim.dms(SAM) == []
    harness.advance(timedelta(minutes=2))
    [reminder] = [m["text"] for m in harness.sim.dms(SAM)]
    assert "has replies" in reminder and asked["ts"].replace(".", "") in reminder
    assert "react to it with :white_check_mark:" in reminder
    harness.advance(timedelta(days=2))
    assert len(harness.sim.dms(SAM)) == 1, "one reminder, ever"

    harness.driver.react(SAM, CHANNEL, asked["ts"], "white_check_mark")
    assert open_list(harness).startswith("No open questions")
    [question] = stored(harness)
    assert question.closed_by == SAM
    assert question.first_reply_by == VITALY

    harness.driver.react(SAM, CHANNEL, asked["ts"], "white_check_mark", add=False)
    assert "*1 open question*" in open_list(harness), "removing the last ✅ reopens it"
    assert stored(harness)[0].closed_at is None


def test_only_top_level_human_messages_are_questions(harness: Harness) -> None:
    asked = harness.driver.say(SAM, CHANNEL, "A real question?")
    harness.driver.say(JAMES, CHANNEL, "a reply", thread_ts=asked["ts"])
    channel_id = harness.sim.channel_id(CHANNEL)
    harness.driver.send_event(
        {
            "type": "message",
            "subtype": "channel_join",
            "user": ALICE,
            "channel": channel_id,
            "ts": harness.sim.next_ts(),
            "text": "<@U0ALICE01> has joined",
        }
    )
    harness.driver.send_event(
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0OTHER01",
            "channel": channel_id,
            "ts": harness.sim.next_ts(),
            "text": "deploy finished",
        }
    )
    harness.driver.send_event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": channel_id,
            "ts": harness.sim.next_ts(),
            "message": {"type": "message", "user": SAM, "text": "A real question, edited?", "ts": asked["ts"]},
            "previous_message": {"type": "message", "user": SAM, "text": "A real question?", "ts": asked["ts"]},
        }
    )
    harness.driver.say(JAMES, "s_fulfillment_engineering", "not in the questions channel")
    [question] = stored(harness)
    assert question.preview == "A real question, edited?"
    assert question.asker_id == SAM

    second = harness.driver.say(ALICE, CHANNEL, "Never mind this one")
    assert len(stored(harness)) == 2
    harness.driver.send_event(
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": channel_id,
            "ts": harness.sim.next_ts(),
            "deleted_ts": second["ts"],
            "previous_message": {"ts": second["ts"]},
        }
    )
    assert [q.ts for q in stored(harness)] == [asked["ts"]]


def test_retried_events_have_one_effect(harness: Harness) -> None:
    channel_id = harness.sim.channel_id(CHANNEL)
    message = harness.sim.post(channel_id, SAM, "Is the trial extension urgent?")
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel_id,
        "user": SAM,
        "text": message["text"],
        "ts": message["ts"],
    }
    for retry in (None, 1, 2):
        harness.driver.send_event(event, event_id="Ev0QUESTION1", retry_num=retry)
    harness.driver.send_event(event, event_id="Ev0QUESTION2")
    assert len(stored(harness)) == 1, "even a new event ID for the same message is one question"
    assert thread(harness, message["ts"]) == ["Use the request form.\n\nFollow STAR escalation."]


def test_a_check_mark_before_the_message_event_is_honoured(harness: Harness) -> None:
    channel_id = harness.sim.channel_id(CHANNEL)
    message = harness.sim.post(channel_id, SAM, "Out of order?")
    harness.clock.advance(timedelta(minutes=10))
    reply = harness.driver.say(JAMES, CHANNEL, "yes", thread_ts=message["ts"])
    harness.driver.react(SAM, CHANNEL, message["ts"], "white_check_mark")
    assert stored(harness) == []
    harness.driver.send_event(
        {"type": "message", "channel": channel_id, "user": SAM, "text": message["text"], "ts": message["ts"]}
    )
    [question] = stored(harness)
    assert question.closed_by == SAM
    assert question.first_reply_by == JAMES
    assert question.first_reply_at == datetime.fromtimestamp(float(reply["ts"]), UTC)
    harness.advance(timedelta(days=3))
    assert thread(harness, message["ts"]) == ["yes"], "a closed question is never nudged"
    assert harness.sim.dms(SAM) == []


def test_closed_before_its_nudge_is_never_nudged(harness: Harness) -> None:
    asked = harness.driver.say(SAM, CHANNEL, "Quick one")
    harness.advance(timedelta(hours=1))
    harness.driver.react(JAMES, CHANNEL, asked["ts"], "white_check_mark")
    harness.advance(timedelta(hours=30))
    assert thread(harness, asked["ts"]) == []
    assert harness.sim.dms(SAM) == []


def test_only_answered_emojis_on_the_question_itself_count(harness: Harness) -> None:
    asked = harness.driver.say(SAM, CHANNEL, "Which emoji?")
    reply = harness.driver.say(JAMES, CHANNEL, "This one", thread_ts=asked["ts"])
    harness.driver.react(SAM, CHANNEL, reply["ts"], "white_check_mark")
    harness.driver.react(SAM, CHANNEL, asked["ts"], "eyes")
    other = harness.driver.say(JAMES, "s_fulfillment_engineering", "elsewhere")
    harness.driver.react(SAM, "s_fulfillment_engineering", other["ts"], "white_check_mark")
    assert stored(harness)[0].closed_at is None


@pytest.mark.parametrize(
    "config",
    [Config.of(QuestionsSection(closed_by="asker", answered_emojis=["white_check_mark", "heavy_check_mark"]))],
)
def test_closed_by_asker_and_several_emojis(harness: Harness) -> None:
    asked = harness.driver.say(SAM, CHANNEL, "Who may close?")
    harness.driver.react(JAMES, CHANNEL, asked["ts"], "white_check_mark")
    assert stored(harness)[0].closed_at is None, "only the asker closes"
    harness.driver.react(SAM, CHANNEL, asked["ts"], "heavy_check_mark")
    harness.driver.react(SAM, CHANNEL, asked["ts"], "white_check_mark")
    assert stored(harness)[0].closed_by == SAM
    harness.driver.react(SAM, CHANNEL, asked["ts"], "heavy_check_mark", add=False)
    assert stored(harness)[0].closed_at is not None, "another of the asker's ✅ is still on it"
    harness.driver.react(SAM, CHANNEL, asked["ts"], "white_check_mark", add=False)
    assert stored(harness)[0].closed_at is None, "James's ✅ does not count"


def test_autoreplies_match_whole_words_once(harness: Harness) -> None:
    licensed = harness.driver.say(SAM, CHANNEL, "Who licensed this font? Not URGENTLY needed")
    grace = harness.driver.say(SAM, CHANNEL, "Can we give a GRACE   period? It is Urgent!")
    assert thread(harness, licensed["ts"]) == []
    assert thread(harness, grace["ts"]) == ["Use the request form.\n\nFollow STAR escalation."]


def test_pages_of_open_questions_and_bad_input(harness: Harness) -> None:
    for i in range(25):
        harness.driver.say(SAM, CHANNEL, f"Question number {i}")
        harness.clock.advance(timedelta(minutes=1))
    first = open_list(harness)
    assert first.splitlines()[0] == "*25 open questions*, oldest first (page 1 of 2):"
    assert "Question number 0 (<" in first and "Question number 19 (<" in first and "Question number 20 (<" not in first
    assert first.splitlines()[-1] == "More: `/fulfillment questions 2`"
    harness.driver.command(JAMES, "/fulfillment", "questions 2", channel=CHANNEL)
    second = shown(harness, JAMES)
    assert second.count("\n• ") == 5 and "Question number 24 (<" in second
    harness.driver.command(JAMES, "/fulfillment", "questions abc", channel=CHANNEL)
    assert shown(harness, JAMES).startswith("`abc` is not a page: give a whole number from 1 to 10000.")
    harness.driver.command(JAMES, "/fulfillment", "stats 99", channel=CHANNEL)
    assert shown(harness, JAMES).startswith("`99` is not a number of weeks: give a whole number from 1 to 52.")
    assert harness.sim.messages(CHANNEL)[-1]["text"] == "Question number 24", "answers are ephemeral"


def picture(png: bytes) -> Any:
    from matplotlib import image

    return image.imread(io.BytesIO(png), format="png")


def test_stats_match_hand_computed_figures(harness: Harness) -> None:
    # Week of 16 Nov (asked Mon 16 Nov 10:00 UTC): replies after 10m, 30m, 50m; ✅ after 1h, 3h; one open.
    harness.clock.set(datetime(2026, 11, 16, 10, 0, tzinfo=UTC))
    asked = [harness.driver.say(SAM, CHANNEL, f"Last week {i}") for i in range(3)]
    start = harness.clock.now()
    for minutes, question in zip((10, 30, 50), asked, strict=True):
        harness.clock.set(start + timedelta(minutes=minutes))
        harness.driver.say(JAMES, CHANNEL, "answer", thread_ts=question["ts"])
    harness.clock.set(start + timedelta(hours=1))
    harness.driver.react(SAM, CHANNEL, asked[0]["ts"], "white_check_mark")
    harness.clock.set(start + timedelta(hours=3))
    harness.driver.react(SAM, CHANNEL, asked[1]["ts"], "white_check_mark")
    # This week: one question answered after 4h and closed after 2d.
    harness.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    now_q = harness.driver.say(SAM, CHANNEL, "This week")
    harness.clock.advance(timedelta(hours=4))
    harness.driver.say(VITALY, CHANNEL, "answer", thread_ts=now_q["ts"])
    harness.clock.advance(timedelta(days=2) - timedelta(hours=4))
    harness.driver.react(ALICE, CHANNEL, now_q["ts"], "white_check_mark")

    harness.driver.command(JAMES, "/fulfillment", "stats 3", channel=CHANNEL)
    assert shown(harness, JAMES).splitlines() == [
        "*Questions per week asked* (newest first)",
        "*Week of 23 Nov 2026*: 1 asked, 1 closed, 0 still open. First reply: median 4h, p90 4h. "
        "To :white_check_mark:: median 2d, p90 2d.",
        "*Week of 16 Nov 2026*: 3 asked, 2 closed, 1 still open. First reply: median 30m, p90 50m. "
        "To :white_check_mark:: median 2h, p90 3h.",
        "*Week of 9 Nov 2026*: 0 asked, 0 closed, 0 still open. First reply: n/a. To :white_check_mark:: n/a.",
        "_The chart is in your DM with me._",
    ]
    [chart] = harness.sim.files_in(JAMES)
    assert chart["mimetype"] == "image/png" and chart["title"] == "Questions per week"
    assert chart["alt_txt"].startswith("Bar chart of questions asked per week over 3 weeks (4 in all)")
    assert picture(chart["data"]).shape[:2] == (400, 800)
    assert harness.sim.dms(JAMES)[-1]["text"].startswith("*Questions per week asked*"), "the text fallback"


def test_weekly_digest_on_monday_once_across_restarts(harness: Harness) -> None:
    harness.clock.set(datetime(2026, 11, 18, 12, 0, tzinfo=UTC))
    harness.driver.say(SAM, CHANNEL, "Asked last Wednesday")
    harness.clock.set(datetime(2026, 11, 23, 8, 59, tzinfo=UTC))
    harness.tick()
    assert harness.sim.messages("s_fulfillment_fyi") == [], "the team timezone (UTC) is not at 09:00 yet"
    harness.advance(timedelta(minutes=1))
    [digest, chart] = harness.sim.messages("s_fulfillment_fyi")
    assert "*Week of 16 Nov 2026*: 1 asked, 0 closed, 1 still open." in digest["text"]
    assert "*Oldest of the 1 open question:*" in digest["text"] and "Asked last Wednesday" in digest["text"]
    assert (
        chart["text"] == "Questions per week, the 12 weeks to 16 Nov" and chart["files"][0]["mimetype"] == "image/png"
    )
    assert picture(harness.sim.files_in("s_fulfillment_fyi")[0]["data"]).shape[:2] == (400, 800)
    harness.restart()
    harness.advance(timedelta(hours=1))
    harness.advance(timedelta(days=1))
    assert len(harness.sim.messages("s_fulfillment_fyi")) == 2
    harness.advance(timedelta(days=6))
    assert len(harness.sim.messages("s_fulfillment_fyi")) == 4, "the next Monday's digest and chart"
    harness.advance(timedelta(days=8))
    assert len(harness.sim.messages("s_fulfillment_fyi")) == 4, "a Monday the bot did not see is let go"


def test_no_digest_when_nothing_was_asked_and_nothing_is_open(harness: Harness) -> None:
    harness.clock.set(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    harness.tick()
    assert harness.sim.messages("s_fulfillment_fyi") == []


def test_a_reminder_that_slack_refuses_is_sent_on_a_later_tick(harness: Harness) -> None:
    asked = harness.driver.say(SAM, CHANNEL, "Will this get through?")
    harness.sim.fail("chat.postMessage", times=2, status=500)  # the nudge, and Monday's digest
    harness.advance(timedelta(hours=2, minutes=1))
    assert thread(harness, asked["ts"]) == []
    harness.advance(timedelta(seconds=15))
    assert len(thread(harness, asked["ts"])) == 1
    harness.advance(timedelta(minutes=15))
    assert len(thread(harness, asked["ts"])) == 1, "sent once"


@pytest.mark.both_databases
def test_two_schedulers_nudge_once(harness: Harness, database_url: str) -> None:
    from slackbot.metrics import Metrics
    from slackbot.scheduler import Scheduler

    asked = harness.driver.say(SAM, CHANNEL, "Raced?")
    harness.clock.advance(timedelta(hours=3))
    other = Scheduler(harness.bot.ctx.db, harness.clock, timedelta(seconds=15), Metrics(), "other-replica")
    other.jobs = harness.bot.ctx.scheduler.jobs
    assert harness.tick() != other.tick(), "exactly one of them holds the lease"
    assert harness.tick() or other.tick()
    assert len(thread(harness, asked["ts"])) == 1


@pytest.mark.both_databases
def test_the_digest_shows_a_question_edited_into_a_broadcast_without_notifying_anyone(harness: Harness) -> None:
    """An edit notifies nobody in Slack, so a broadcast edited in later must not reach the digest alive."""
    harness.clock.set(datetime(2026, 11, 18, 12, 0, tzinfo=UTC))
    asked = harness.driver.say(SAM, CHANNEL, "How do trials work?")
    hostile = "<!channel> <!subteam^S0EVERYONE|@fulfillment> see <https://evil.example/x|https://handbook.gitlab.com>"
    harness.driver.send_event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": asked["channel"],
            "ts": harness.sim.next_ts(),
            "message": {"type": "message", "user": SAM, "text": hostile, "ts": asked["ts"]},
            "previous_message": {"type": "message", "user": SAM, "text": asked["text"], "ts": asked["ts"]},
        }
    )
    harness.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    harness.tick()
    digest = harness.sim.messages("s_fulfillment_fyi")[0]["text"]
    assert "@channel @fulfillment see <https://evil.example/x>" in digest
    for markup in ("<!channel>", "<!subteam^", "|https://handbook.gitlab.com>"):
        assert markup not in digest
