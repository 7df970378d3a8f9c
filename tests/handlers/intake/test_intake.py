"""/intake against the Slack simulator and a fake GitLab that serves a real intake template."""

from collections.abc import Iterator
from datetime import timedelta

import pytest

from handlers.intake.messages import FIELDS, fill_template
from slackbot.config import Config, GitLabSection, Person
from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.harness import ASKER, TEAM, Harness

INTAKE = "gitlab-org/fulfillment-meta"
TEMPLATE = """<!-- Thanks for opening an intake request! -->
## Problem to solve

<!-- What is the problem? Who has it? -->

## Who is asking

## Business impact and value

## Proposal

/label ~"intake" ~"devops::fulfillment"
"""
SAM, VITALY, JAMES = ASKER.id, TEAM[1].id, TEAM[0].id
ANSWERS = {
    "title": "Self-serve seat true-ups for resellers",
    "problem": "Resellers email support for every true-up.",
    "requester": "Channel sales",
    "impact": "About 300 tickets a quarter.",
    "urgency": "high",
    "pm": VITALY,
}


@pytest.fixture
def intake_gitlab() -> Iterator[FakeGitLab]:
    server = FakeGitLab().start()
    server.add_project(INTAKE)
    server.add_issue_template(INTAKE, "intake", TEMPLATE)
    yield server
    server.stop()


@pytest.fixture
def harness(database_url: str, intake_gitlab: FakeGitLab) -> Iterator[Harness]:
    no_polling = GitLabSection(poll_interval=timedelta(0))
    config = Config(people=[Person(slack=VITALY, gitlab="vitallium")], gitlab=no_polling)
    with Harness(database_url, config, gitlab_url=intake_gitlab.base_url, gitlab_token=intake_gitlab.token) as running:
        yield running


def submit(harness: Harness, answers: dict[str, object], title: str = "") -> object:
    harness.driver.command(SAM, "/intake", title)
    view = harness.driver.open_views(SAM)[-1]
    return harness.driver.submit(SAM, view["id"], answers)


def test_an_intake_request_becomes_an_issue_from_the_template(harness: Harness, intake_gitlab: FakeGitLab) -> None:
    harness.driver.command(SAM, "/intake", "Self-serve seat true-ups")
    view = harness.driver.open_views(SAM)[-1]
    assert [b["block_id"] for b in view["blocks"]] == ["title", "problem", "requester", "impact", "urgency", "pm"]
    assert view["blocks"][0]["element"]["initial_value"] == "Self-serve seat true-ups"
    response = harness.driver.submit(SAM, view["id"], ANSWERS)
    assert response.status_code == 200 and response.text == ""
    [issue] = intake_gitlab.issues[INTAKE]
    assert issue["title"] == "Self-serve seat true-ups for resellers"
    description = issue["description"]
    assert description.startswith("<!-- Thanks for opening an intake request! -->\n## Problem to solve\n\n")
    assert (
        "## Problem to solve\n\nResellers email support for every true-up.\n\n<!-- What is the problem?" in description
    )
    assert "## Who is asking\n\nChannel sales\n" in description
    assert "## Business impact and value\n\nAbout 300 tickets a quarter.\n" in description
    assert issue["labels"] == ["intake", "devops::fulfillment"], "the template's own quick action ran"
    assert "Requested by sam in Slack: https://simulated.slack.local/archives/D" in description
    assert "Urgency: **high**" in description
    assert ("cc", "@vitallium") in issue["quick_actions"] and issue["mentions"] == ["vitallium"], "the PM is told"
    dms = [m["text"] for m in harness.sim.dms(SAM)]
    assert dms[-1] == f":inbox_tray: Filed: <{issue['web_url']}|{INTAKE}#1>"

    harness.driver.command(SAM, "/intake", "list")
    assert harness.sim.ephemerals_for(SAM)[-1]["text"] == (
        f"*Your intake requests*\n• <{issue['web_url']}|#1 Self-serve seat true-ups for resellers>: opened"
    )


def test_required_fields_are_checked_in_the_modal(harness: Harness, intake_gitlab: FakeGitLab) -> None:
    response = submit(harness, {**ANSWERS, "problem": "   ", "urgency": None, "pm": None})
    assert response.json() == {  # type: ignore[attr-defined]
        "response_action": "errors",
        "errors": {"problem": "This is needed.", "urgency": "This is needed.", "pm": "This is needed."},
    }
    assert intake_gitlab.issues[INTAKE] == []


def test_gitlab_down_keeps_the_request_and_retries(harness: Harness, intake_gitlab: FakeGitLab) -> None:
    intake_gitlab.fail_next(503, 503)
    submit(harness, ANSWERS)
    assert intake_gitlab.issues[INTAKE] == []
    assert harness.sim.dms(SAM)[-1]["text"].startswith("GitLab did not take the request just now (503")
    harness.driver.command(SAM, "/intake", "list")
    assert "waiting for GitLab (retrying" in harness.sim.ephemerals_for(SAM)[-1]["text"]
    harness.advance(timedelta(seconds=61))  # first retry: GitLab still failing
    assert intake_gitlab.issues[INTAKE] == []
    harness.advance(timedelta(seconds=61))
    assert intake_gitlab.issues[INTAKE] == [], "the pause doubles: 2 minutes after the second failure"
    harness.advance(timedelta(minutes=1))
    [issue] = intake_gitlab.issues[INTAKE]
    assert harness.sim.dms(SAM)[-1]["text"].startswith(":inbox_tray: Filed:")
    assert sum("GitLab did not take" in m["text"] for m in harness.sim.dms(SAM)) == 1, "told once"
    harness.advance(timedelta(hours=1))
    assert len(intake_gitlab.issues[INTAKE]) == 1
    assert issue["title"] == ANSWERS["title"]


def test_a_project_without_the_template_still_gets_the_answers(harness: Harness, intake_gitlab: FakeGitLab) -> None:
    intake_gitlab.templates.clear()
    submit(harness, ANSWERS)
    [issue] = intake_gitlab.issues[INTAKE]
    assert issue["description"].startswith("## Details from Slack\n\n### Problem to solve\n\nResellers email")


def test_without_gitlab_intake_says_it_is_not_configured(database_url: str) -> None:
    with Harness(database_url) as harness:
        harness.driver.command(SAM, "/intake")
        assert harness.sim.ephemerals_for(SAM)[-1]["text"].startswith(
            "Intake is not configured: `GITLAB_TOKEN` is unset"
        )
        assert harness.driver.open_views(SAM) == []


def test_fill_template_puts_answers_under_matching_headings() -> None:
    answers = [(FIELDS[0], "P"), (FIELDS[1], "W"), (FIELDS[2], "I")]
    filled = fill_template("# Intake\n## The problem\nx\n## Impact\n", answers, "footer")
    assert filled == (
        "# Intake\n## The problem\n\nP\nx\n## Impact\n\nI\n\n"
        "## Details from Slack\n\n### Who is asking (team / customer)\n\nW\n\nfooter\n"
    )


@pytest.mark.both_databases
def test_answers_cannot_run_quick_actions_mention_anyone_or_hide_the_footer(
    harness: Harness, intake_gitlab: FakeGitLab
) -> None:
    hostile = "It breaks.\n/close\n/confidential\n/assign @james\n  /unlabel ~intake\n```\n@all please look\n<!--"
    submit(harness, {**ANSWERS, "problem": hostile, "impact": "/label ~security\n@fulfillment-group"})
    [issue] = intake_gitlab.issues[INTAKE]
    assert issue["quick_actions"] == [("label", '~"intake" ~"devops::fulfillment"'), ("cc", "@vitallium")]
    assert (issue["state"], issue["confidential"], issue["assignees"]) == ("opened", False, [])
    assert issue["labels"] == ["intake", "devops::fulfillment"]
    assert issue["mentions"] == ["vitallium"], "only the PM the bot names"
    assert "Requested by sam in Slack" in issue["description"], "the footer is not hidden"
    assert issue["description"].count("<!--") == TEMPLATE.count("<!--"), "only the template's own comments"
    assert "\\/close" in issue["description"] and "@\u200ball please look" in issue["description"], "shown, inert"
