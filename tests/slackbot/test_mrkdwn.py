"""Slack's text rules: raw text escaped, Slack's own text kept, labels plain, long text cut cleanly."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from slackbot.mrkdwn import capped, date_token, escape, fit, label, normalise, plain, truncate

SLACK_TEXT = "Ask <@U0JAMES01> about <https://x.example/a?b=1&amp;c=2|the runbook> in <#C0123ABCD|ops> &amp; &lt;b&gt;"


def test_raw_text_is_escaped_once() -> None:
    assert escape("a & b <script> c > d") == "a &amp; b &lt;script&gt; c &gt; d"
    assert normalise("a &amp; b < c") == "a &amp; b &lt; c", "already-escaped text is not escaped twice"


def test_slack_text_becomes_what_a_person_sees() -> None:
    assert plain(SLACK_TEXT) == "Ask @U0JAMES01 about the runbook in ops & <b>"
    assert plain("<!here> <!subteam^S0123|@team> <https://x.example>") == "@here @team https://x.example"


def test_a_label_is_plain_one_line_escaped_and_has_no_bar() -> None:
    assert label("a <b|c|d>\n\nnext &amp; <@U1>") == "a c¦d next &amp; @U1"
    assert len(label("word " * 100, 50)) <= 50


def test_truncate_cuts_at_a_word_and_never_inside_markup() -> None:
    assert truncate("short", 10) == "short"
    cut = truncate(SLACK_TEXT, 40)
    assert cut == "Ask <@U0JAMES01> about…" and len(cut) <= 40
    assert truncate("one &amp; two three", 12) == "one &amp;…"
    assert truncate("x" * 50, 10) == "x" * 9 + "…", "one long word is cut where it must"


def test_long_lists_end_with_how_many_were_left_out() -> None:
    assert capped([str(n) for n in range(5)], 3) == ["0", "1", "_and 3 more_"]
    assert capped(["a"], 3) == ["a"]
    text = fit([f"line {n:04d}" for n in range(1000)], 100)
    assert len(text) <= 100 and text.endswith("more_") and text.startswith("line 0000\nline 0001")
    assert fit(["a", "b"], 100) == "a\nb"


def test_a_person_named_in_a_command_is_a_mention_or_a_bare_user_id() -> None:
    from slackbot.mrkdwn import mentioned_user

    assert mentioned_user("<@U0JAMES01>") == "U0JAMES01" and mentioned_user(" <@U0JAMES01|james> ") == "U0JAMES01"
    assert mentioned_user("W0ENTERPR1") == "W0ENTERPR1"
    for not_a_person in ("james", "@james", "<#C0123456|general>", "U0JAMES01x!", ""):
        assert mentioned_user(not_a_person) is None


def test_a_date_token_falls_back_to_utc_whatever_zone_its_moment_is_in() -> None:
    madrid = datetime(2026, 12, 20, 6, 0, tzinfo=ZoneInfo("Europe/Madrid"))
    assert date_token(madrid) == "<!date^1797742800^{date_short_pretty} {time}|2026-12-20 05:00 UTC>"
    assert date_token(datetime(2026, 12, 20, 5, 0, tzinfo=UTC)) == date_token(madrid)
    assert date_token(madrid, time_only=True) == "<!date^1797742800^{time}|05:00 UTC>"
