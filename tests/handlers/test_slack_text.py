"""What people write stays as they wrote it, and nothing the bot sends breaks Slack's limits.

Slack sends user text escaped (``&amp;``, ``&lt;``, ``&gt;``) with its markup (``<@U…>``,
``<#C…|name>``, ``<https://…|label>``); a modal's text comes raw. The strict simulator refuses
blocks and text beyond Slack's limits, so a message that breaks one is never posted.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select

from handlers.incidents.config import EscalationLevel, IncidentsSection
from handlers.questions.models import Question
from handlers.standups.config import StandupsSection
from handlers.standups.models import StandupEntry
from slackbot.config import Config, Person, SlackSection
from slackbot.models import SlackProfile
from slackbot.mrkdwn import plain
from slackbot.testing.driver import typed
from slackbot.testing.endpoint import FlippableEndpoint
from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.harness import ASKER, TEAM, Harness
from tests.handlers.conftest import APP_PROJECT

JAMES, VITALY, ALICE = TEAM[0].id, TEAM[1].id, TEAM[2].id
SAM = ASKER.id
WIRE = "Is <@U0JAMES01> right that <https://docs.example/x?a=1&amp;b=2|the guide> &amp; the &lt;beta&gt; agree?"
RAW = "Totals < 0 & the <script> tag > all"


def shown(harness: Harness, user: str) -> str:
    return str(harness.sim.ephemerals_for(user)[-1]["text"])


def test_a_question_shown_in_every_list_mentions_nobody_and_shows_its_links(harness: Harness) -> None:
    """The question's text is people's text: its mention is shown as a name and its link by its URL."""
    inert = "Is @U0JAMES01 right that <https://docs.example/x?a=1&amp;b=2> &amp; the &lt;beta&gt; agree?"
    asked = harness.driver.say(SAM, "s_fulfillment", WIRE)
    harness.driver.command(JAMES, "/fulfillment", "questions", channel="s_fulfillment")
    line = shown(harness, JAMES).splitlines()[1]
    assert line.startswith(f"• {inert} (<https://simulated.slack.local/archives/")
    harness.driver.open_home(SAM)
    texts = [b.get("text", {}).get("text", "") for b in harness.sim.home_views[SAM]["blocks"]]
    assert any(t.startswith(f"• {inert} (<") for t in texts)
    harness.driver.say(VITALY, "s_fulfillment", "Yes", thread_ts=asked["ts"])
    harness.advance(timedelta(hours=24, minutes=1))
    [reminder] = [m["text"] for m in harness.sim.dms(SAM)]
    assert f"> {inert}\n" in reminder and "|open it>" in reminder


def test_a_long_question_is_cut_at_a_word_and_never_inside_a_link(harness: Harness) -> None:
    words = " ".join(["word"] * 60) + " <https://docs.example/very/long/path|a link at the end> tail"
    harness.driver.say(SAM, "s_fulfillment", words)
    with harness.bot.ctx.db.reading() as session:
        [question] = session.scalars(select(Question))
    assert len(question.preview) <= 200 and question.preview.endswith("…")
    assert question.preview.count("<") == question.preview.count(">"), "no half of a link"


def test_a_deleted_question_with_replies_leaves_a_tombstone_and_is_no_longer_tracked(harness: Harness) -> None:
    asked = harness.driver.say(SAM, "s_fulfillment", "Never mind")
    harness.driver.say(JAMES, "s_fulfillment", "Which one?", thread_ts=asked["ts"])
    harness.driver.delete(SAM, "s_fulfillment", asked["ts"])
    assert harness.sim.message("s_fulfillment", asked["ts"])["subtype"] == "tombstone"
    harness.driver.command(JAMES, "/fulfillment", "questions", channel="s_fulfillment")
    assert shown(harness, JAMES).startswith("No open questions")
    harness.advance(timedelta(hours=3))
    assert [m["text"] for m in harness.sim.replies("s_fulfillment", asked["ts"])] == ["Which one?"], "no nudge"


def test_standup_answers_from_the_form_are_escaped(database_url: str) -> None:
    config = Config.of(StandupsSection(), people=[Person(slack=JAMES, timezone="UTC")])
    with Harness(database_url, config) as harness:
        harness.driver.command(JAMES, "/standup", channel="s_fulfillment_daily")
        [view] = harness.driver.open_views(JAMES)
        harness.driver.submit(JAMES, view["id"], {"q0": RAW, "q1": "x" * 2999, "q2": "<!channel> help"})
        [parent] = harness.sim.messages("s_fulfillment_daily")
        [reply] = harness.sim.replies("s_fulfillment_daily", parent["ts"])
        assert "Totals &lt; 0 &amp; the &lt;script&gt; tag &gt; all" in reply["text"]
        assert "&lt;!channel&gt; help" in reply["text"], "no @channel from a form"
        assert plain(reply["text"]).count("<script>") == 1, "shown as written"


@pytest.mark.slow
def test_a_summary_for_5000_people_names_a_few_and_mentions_nobody(database_url: str) -> None:
    people = [Person(slack=f"U{n:08d}", timezone="UTC") for n in range(5000)]
    settings = StandupsSection(remind_after=timedelta(hours=1), summary_after=timedelta(hours=2))
    with Harness(database_url, Config.of(settings, people=people)) as harness:
        monday, prompted = harness.clock.now().date(), harness.clock.now().replace(hour=9, minute=30)
        with harness.bot.ctx.db.transaction() as session:  # a morning: everyone prompted, nobody answered
            session.execute(
                insert(SlackProfile),
                [
                    {"user_id": p.slack, "name": f"person{p.slack[-4:]}", "tz": "UTC", "fetched_at": prompted}
                    for p in people
                ],
            )
            session.execute(
                insert(StandupEntry),
                [
                    {"user_id": p.slack, "day": monday, "prompted_at": prompted, "reminded_at": prompted, "answers": []}
                    for p in people
                ],
            )
        harness.clock.set(prompted + timedelta(hours=2, minutes=1))
        harness.tick()
        [parent] = harness.sim.messages("s_fulfillment_daily")
        summary = harness.sim.replies("s_fulfillment_daily", parent["ts"])[-1]["text"]
        assert "<@" not in summary, "nobody is pinged by a summary"
        assert "Missed (5,000): person0000, person0001" in summary and "and 4,970 more" in summary
        assert len(summary) < 1000
        harness.driver.command(JAMES, "/standup", "stats", channel="s_fulfillment_daily")
        stats = shown(harness, JAMES)
        lines = stats.splitlines()
        assert len(lines) == 53 and lines[-2].endswith("participation across all 5,000_") and len(stats) < 4000
        assert lines[-1] == "_The chart is in your DM with me._"
        [chart] = harness.sim.files_in(JAMES)
        assert chart["mimetype"] == "image/png" and "bars of participation for 25 people" in chart["alt_txt"]


def test_incident_summaries_notes_and_listings_are_escaped_and_kept_within_limits(database_url: str) -> None:
    policy = IncidentsSection(escalation=[EscalationLevel(users=[JAMES], ack_timeout=timedelta(minutes=5))])
    with Harness(database_url, Config.of(policy)) as harness:
        harness.driver.command(ALICE, "/incident", f"declare {typed(RAW)} {'and more ' * 200}sev1")
        message = harness.sim.messages("s_fulfillment_status")[0]
        assert "Totals &lt; 0 &amp; the &lt;script&gt; tag &gt; all" in message["text"]
        assert "&amp;amp;" not in message["text"], "escaped once"
        assert message["text"].count("…") == 1 and len(message["blocks"][0]["text"]["text"]) <= 3000
        for n in range(40):
            harness.driver.command(ALICE, "/incident", f"declare Outage number {n}")
        harness.driver.command(ALICE, "/incident", "note #1 " + "a long note " * 300)
        harness.driver.command(ALICE, "/incident", "list")
        listing = shown(harness, ALICE).splitlines()
        assert len(listing) == 31 and listing[-1] == "_and 12 more open incidents_"
        harness.driver.click(JAMES, "Resolve", channel="s_fulfillment_status", seen=message)
        timeline = harness.sim.replies("s_fulfillment_status", message["ts"])[-1]["text"]
        assert len(timeline) < 40_000 and "note by <@U0ALICE01>: a long note" in timeline


def test_probe_errors_and_names_are_escaped(database_url: str) -> None:
    from handlers.status.config import Probe, StatusSection

    endpoint = FlippableEndpoint().start()
    probe = Probe(name="Billing <prod> & co", url=endpoint.url + "?a=1&b=2", failures_before_alert=1)
    try:
        config = Config.of(StatusSection(probes=[probe]), IncidentsSection(declare_on_probe_alert=False))
        with Harness(database_url, config) as harness:
            endpoint.flip("error")
            harness.tick()
            [alert] = harness.sim.messages("s_fulfillment_status")
            assert alert["text"].startswith(":red_circle: *Billing &lt;prod&gt; &amp; co is down*")
            assert "?a=1&amp;b=2" in alert["text"]
    finally:
        endpoint.stop()


@pytest.fixture
def gitlab_harness(database_url: str, gitlab_server: FakeGitLab) -> Iterator[Harness]:
    config = Config(slack=SlackSection(admins=[JAMES]))
    with Harness(database_url, config, gitlab_url=gitlab_server.base_url, gitlab_token=gitlab_server.token) as running:
        yield running


def test_blocker_reasons_are_plain_in_gitlab_and_escaped_in_slack(
    gitlab_harness: Harness, gitlab_server: FakeGitLab
) -> None:
    gitlab_harness.driver.command(JAMES, "/blocker", typed("prices < cost & <b>wrong</b>"))
    [issue] = gitlab_server.issues[APP_PROJECT]
    assert issue["title"] == "Production blocker: prices < cost & <b>wrong</b>", "GitLab gets what was typed"
    [announcement] = gitlab_harness.sim.messages("s_fulfillment_status")
    assert "|#1 prices &lt; cost &amp; &lt;b&gt;wrong&lt;/b&gt;>" in announcement["text"]


def test_pair_topics_from_the_command_and_the_form_are_escaped_once(harness: Harness) -> None:
    harness.driver.command(ALICE, "/pair", typed("Rewrite <Billing> & co"), channel="s_fulfillment_engineering")
    harness.driver.command(VITALY, "/pair", channel="s_fulfillment_engineering")
    [view] = harness.driver.open_views(VITALY)
    harness.driver.submit(VITALY, view["id"], {"topic": "Fix a < b", "area": "<x>"})
    posts = [m["text"] for m in harness.sim.messages("s_fulfillment_engineering")]
    assert posts[0].endswith("*Rewrite &lt;Billing&gt; &amp; co*")
    assert posts[1].endswith("*Fix a &lt; b* (&lt;x&gt;)")
    harness.driver.command(JAMES, "/pair", "list")
    assert "|Rewrite &lt;Billing&gt; &amp; co> by" in shown(harness, JAMES)


def test_a_dm_to_the_bot_gets_a_short_help(harness: Harness) -> None:
    harness.driver.say(SAM, SAM, "hello bot, what do you do?")
    [help_message] = [m for m in harness.sim.dms(SAM) if m["user"] == harness.sim.bot_user_id]
    assert help_message["text"].startswith("Hi! I don't read DMs") and "`/incident`" in help_message["text"]


def test_app_rate_limited_is_acknowledged_logged_and_counted(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    response = harness.driver.app_rate_limited()
    assert response.status_code == 200 and harness.driver.retried == []
    assert harness.bot.ctx.metrics.events_rate_limited._value.get() == 1
    assert [r.levelname for r in caplog.records if "rate-limiting" in r.getMessage()] == ["WARNING"]


def test_the_day_title_is_a_header_slack_takes(harness: Harness) -> None:
    from handlers.standups.messages import day_title

    assert len(day_title(date(2026, 9, 30))) < 150
