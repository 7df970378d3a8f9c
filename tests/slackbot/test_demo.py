import io

import pytest

from slackbot.cli import main
from slackbot.demo import run_demo

pytestmark = pytest.mark.slow


def test_the_demo_tours_the_bot_without_network() -> None:
    out = io.StringIO()
    assert run_demo(out) == 0
    text = out.getvalue()
    assert "=== Asking the bot for help ===" in text
    assert "#s_fulfillment (only james sees) */fulfillment*" in text
    assert "#s_fulfillment_engineering   ↳ fulfillbot: Hi! I'm fulfillbot." in text
    assert "DM with vitaly fulfillbot: Reminder: your standup for Monday 23 November is still open." in text
    assert "#s_fulfillment_daily (message updated) *<@U0JAMES01>*  :no_entry: *blocked*" in text
    assert "Standup summary for Monday 23 November" in text
    assert "=== A question in #s_fulfillment, tracked until it gets a ✅ ===" in text
    assert "This question has had no reply for 2h" in text
    assert "DM with sam fulfillbot: Your question in" in text
    assert "#s_fulfillment sam reacts with :white_check_mark:" in text
    assert "#s_fulfillment_status fulfillbot: :red_circle: *CustomersDot production is down*" in text
    assert "Recovered. The outage lasted 3m." in text
    assert "Failed jobs: *test*: `rspec 3/8`\n" in text
    assert "Fixed: <https://gitlab.example.com/gitlab-org/customers-gitlab-com/-/pipelines/4712|" in text
    assert "DM with james fulfillbot: :rotating_light: You are paged (level 2 of 3)" in text
    assert "Time to acknowledge: 5m. Time to resolve: 36m." in text
    assert (
        "#inc-1-checkout-on-customersdot-returns-500 fulfillbot: :loudspeaker: *Status update* on incident #1" in text
    )
    assert "DM with james fulfillbot: :hourglass: No status update on *Incident #1 (sev1)" in text
    assert "(the incident issue in GitLab, gitlab-org/customers-gitlab-com#1: Incident #1 (sev1)" in text
    assert "#s_fulfillment_engineering fulfillbot: :pager: On call for primary: <@U0VITALY1> until Mon 30 Nov" in text
    assert "paged: level 1: <@U0JAMES01> (on call for primary)" in text, "James covers by an override: he is paged"
    assert "opened a production blocker" in text and "lifted the production blocker" in text
    assert "        | ## Problem to solve\n        | \n        | Resellers email support for every true-up." in text
    assert "        (GitLab ran the quick actions: " in text and "/cc @vitallium)" in text
    assert "group DM fulfillbot: :handshake: <@U0ALICE01>, <@U0VITALY1> will pair with you" in text
    assert "(only james sees) Already claimed by <@U0VITALY1>." in text
    assert "DM with james fulfillbot: :memo: *Weekly async issue update.*" in text
    assert "Seat usage sync drops trial seats>" in text and "Zuora invoice preview>" not in text
    assert "[Thu 09:00] #s_fulfillment_fyi fulfillbot: Preliminary issue review for the next milestone today" in text
    assert "(Issues awaiting your async update)" in text
    assert text.rstrip().endswith("Demo finished.")


def test_demo_is_a_cli_command(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["demo"]) == 0
    assert "Demo finished." in capsys.readouterr().out
