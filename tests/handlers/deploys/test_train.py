"""The deploy train, driven as GitLab drives the bot: Pipeline Hook and Job Hook bodies into
``/gitlab/webhook``, the `Block` and `Expedite` buttons, and the job played in the fake GitLab."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from handlers.deploys.config import DeploysSection
from handlers.incidents.config import EscalationLevel, IncidentsSection
from slackbot.config import Config, SlackSection
from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.gitlab_payloads import job_hook, pipeline_hook
from slackbot.testing.harness import TEAM, Harness

JAMES, VITALY, ALICE, BOB, ADMIN = (p.id for p in TEAM)
APP = "gitlab-org/customers-gitlab-com"
STATUS, QUESTIONS = "s_fulfillment_status", "s_fulfillment"
SECRET = "hook-secret"
STAGES = ["deploy:staging", "e2e:staging", "deploy:production"]
CONFIG = Config.of(
    IncidentsSection(escalation=[EscalationLevel(users=[JAMES], ack_timeout=timedelta(minutes=5))]),
    DeploysSection(maintainers=[VITALY]),
    slack=SlackSection(admins=[ADMIN]),
)


@pytest.fixture
def harness(database_url: str, gitlab_server: FakeGitLab) -> Iterator[Harness]:
    settings = {
        "gitlab_url": gitlab_server.base_url,
        "gitlab_token": gitlab_server.token,
        "gitlab_webhook_secret": SECRET,
    }
    with Harness(database_url, CONFIG, **settings) as running:
        yield running


def hook(harness: Harness, body: dict[str, Any]) -> None:
    assert harness.gitlab_hook(body) == 200


def pipeline(gitlab: FakeGitLab, production: str = "created") -> tuple[int, list[int]]:
    """A pipeline of staging in the fake GitLab: its id and its three jobs' ids."""
    jobs = [{"name": "deploy:staging", "status": "success"}, {"name": "e2e:staging", "status": "success"}]
    made = gitlab.add_pipeline(APP, [*jobs, {"name": "deploy:production", "status": production}], ref="staging")
    return made["id"], [j["id"] for j in gitlab.jobs[(APP, made["id"])]]


def trains(harness: Harness) -> list[dict[str, Any]]:
    return [m for m in harness.sim.messages(STATUS) if "*Train #" in m["text"]]


def text(message: dict[str, Any]) -> str:
    return str(message["blocks"][0]["text"]["text"])


def ride(harness: Harness, pipeline_id: int, jobs: list[int], up_to: int, production: str = "scheduled") -> None:
    times = ["2026-11-23T12:02:00Z", "2026-11-23T12:41:00Z", "2026-11-23T15:04:00Z"]
    for n in range(up_to):
        status = production if n == 2 else "success"
        hook(harness, job_hook(APP, pipeline_id, jobs[n], STAGES[n], status, at=times[n]))


def test_a_train_through_every_stage_is_one_message(harness: Harness, gitlab_server: FakeGitLab) -> None:
    pipeline_id, jobs = pipeline(gitlab_server)
    hook(harness, pipeline_hook(APP, pipeline_id, "running", ref="staging"))
    ride(harness, pipeline_id, jobs, 3)
    [message] = trains(harness)
    assert text(message).splitlines()[1:] == [
        f":white_check_mark: <https://gitlab.example.com/{APP}/-/jobs/{jobs[0]}|deploy:staging> success at "
        "<!date^1795435320^{time}|12:02 UTC>",
        f":white_check_mark: <https://gitlab.example.com/{APP}/-/jobs/{jobs[1]}|e2e:staging> success at "
        "<!date^1795437660^{time}|12:41 UTC>",
        f":alarm_clock: <https://gitlab.example.com/{APP}/-/jobs/{jobs[2]}|deploy:production>: production is "
        "scheduled (the delayed job); `Expedite` runs it now",
    ]
    hook(harness, job_hook(APP, pipeline_id, jobs[2], "deploy:production", "success", at="2026-11-23T15:04:00Z"))
    [message] = trains(harness)
    assert message["text"].startswith(f":large_green_circle: *Train #{pipeline_id} is in production*: Fix the invoice")
    assert [b["type"] for b in message["blocks"]] == ["section"], "no buttons once it is in production"


def test_a_failed_e2e_turns_the_train_red_and_names_the_job(harness: Harness, gitlab_server: FakeGitLab) -> None:
    pipeline_id, jobs = pipeline(gitlab_server)
    ride(harness, pipeline_id, jobs, 1)
    hook(harness, job_hook(APP, pipeline_id, jobs[1], "e2e:staging", "failed"))
    [message] = trains(harness)
    assert message["text"].startswith(f":red_circle: *Train #{pipeline_id} stopped*: e2e:staging failed")
    assert f"<https://gitlab.example.com/{APP}/-/jobs/{jobs[1]}|e2e:staging> failed" in text(message)


@pytest.mark.both_databases
def test_a_newer_train_overtakes_an_older_one_and_both_say_so(harness: Harness, gitlab_server: FakeGitLab) -> None:
    first, first_jobs = pipeline(gitlab_server)
    ride(harness, first, first_jobs, 2)
    second, second_jobs = pipeline(gitlab_server)
    ride(harness, second, second_jobs, 1)
    older, newer = trains(harness)
    assert f"Overtaken by train #{second}" in text(older) and len(older["blocks"]) == 1
    assert f"Overtakes train #{first}" in text(newer)


@pytest.mark.both_databases
def test_block_opens_the_production_blocker_and_lifting_it_unblocks(
    harness: Harness, gitlab_server: FakeGitLab
) -> None:
    pipeline_id, jobs = pipeline(gitlab_server)
    ride(harness, pipeline_id, jobs, 2)
    harness.driver.click(BOB, "Block", channel=STATUS)
    assert harness.sim.ephemerals_for(BOB)[-1]["text"].startswith("Only the escalation policy's people")
    assert gitlab_server.issues[APP] == []
    harness.driver.click(JAMES, "Block", channel=STATUS)
    [issue] = gitlab_server.issues[APP]
    assert issue["labels"] == ["production::blocker"] and f"Deploy train #{pipeline_id}" in issue["description"]
    assert f":no_entry: Blocked by <{issue['web_url']}|#1>" in text(trains(harness)[0])
    harness.driver.click(VITALY, "Expedite", channel=STATUS)
    assert harness.sim.ephemerals_for(VITALY)[-1]["text"].startswith("A production::blocker is open (#1)")
    harness.driver.command(JAMES, "/blocker", "lift 1", channel=STATUS)
    assert ":arrow_forward: Unblocked" in text(trains(harness)[0])


def test_expedite_plays_the_delayed_job_for_a_maintainer_only(harness: Harness, gitlab_server: FakeGitLab) -> None:
    pipeline_id, jobs = pipeline(gitlab_server, production="scheduled")
    ride(harness, pipeline_id, jobs, 3)
    harness.driver.click(JAMES, "Expedite", channel=STATUS)
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"].startswith("Only `[deploys] maintainers`, or an admin,")
    assert gitlab_server.played == []
    harness.driver.click(VITALY, "Expedite", channel=STATUS)
    assert gitlab_server.played == [(APP, jobs[2])]
    [announcement] = harness.sim.messages(QUESTIONS)
    assert announcement["text"].startswith(
        f":zap: <@{VITALY}> expedited train #{pipeline_id} (Fix the invoice rounding)"
    )
    assert f":zap: Expedited by <@{VITALY}>" in text(trains(harness)[0])


def test_the_fake_gitlab_refuses_to_play_a_job_that_is_not_waiting(gitlab_server: FakeGitLab) -> None:
    _pipeline_id, jobs = pipeline(gitlab_server, production="scheduled")
    headers = {"PRIVATE-TOKEN": gitlab_server.token}
    base = f"{gitlab_server.base_url}/api/v4/projects/{APP.replace('/', '%2F')}/jobs"
    refused = requests.post(f"{base}/{jobs[0]}/play", headers=headers, timeout=10)
    assert (refused.status_code, refused.json()) == (400, {"message": "400 Bad request - Unplayable Job"})
    assert requests.post(f"{base}/{jobs[2]}/play", headers=headers, timeout=10).json()["status"] == "pending"
    assert requests.post(f"{base}/{jobs[2]}/play", headers=headers, timeout=10).status_code == 400, "only once"


def test_deploys_lists_recent_trains(harness: Harness, gitlab_server: FakeGitLab) -> None:
    pipeline_id, jobs = pipeline(gitlab_server)
    ride(harness, pipeline_id, jobs, 1)
    harness.driver.command(ALICE, "/deploys")
    assert harness.sim.ephemerals_for(ALICE)[-1]["text"] == (
        f"*Recent deploy trains*\n• :steam_locomotive: *Train #{pipeline_id} to production*: Fix the invoice rounding"
    )
    harness.driver.command(ALICE, "/deploys", "lock")
    assert harness.sim.ephemerals_for(ALICE)[-1]["text"].startswith("No production change lock is configured")


def test_an_incident_shows_the_production_deploys_of_the_six_hours_before(
    harness: Harness, gitlab_server: FakeGitLab
) -> None:
    pipeline_id, jobs = pipeline(gitlab_server)
    ride(harness, pipeline_id, jobs, 3, production="success")  # in production at 15:04
    harness.clock.advance(timedelta(hours=7, minutes=30))  # 15:30
    harness.driver.command(ALICE, "/incident", "declare Renewals fail sev2", channel=STATUS)
    incident = next(m for m in harness.sim.messages(STATUS) if m["text"].startswith(":rotating_light: *Incident #1"))
    [deploys] = [r["text"] for r in harness.sim.replies(STATUS, incident["ts"]) if r["text"].startswith(":package:")]
    assert deploys == (
        ":package: Production deploys in the 6 hours before this incident:\n"
        f"• train #{pipeline_id}: Fix the invoice rounding, in production at 15:04 UTC: "
        f"https://gitlab.example.com/{APP}/-/pipelines/{pipeline_id}"
    )
    harness.driver.click(JAMES, "Resolve", channel=STATUS)
    [issue] = [i for i in gitlab_server.issues[APP] if i.get("issue_type") == "incident"]
    assert (
        f"| deployed before |  | train #{pipeline_id}: Fix the invoice rounding, in production at 15:04 UTC: "
        in (issue["description"])
    )
    assert f"https://gitlab.example.com/{APP}/-/pipelines/{pipeline_id} |" in issue["description"]
    harness.clock.advance(timedelta(hours=7))
    harness.driver.command(ALICE, "/incident", "declare Renewals fail again sev2", channel=STATUS)
    second = next(m for m in harness.sim.messages(STATUS) if m["text"].startswith(":rotating_light: *Incident #2"))
    assert not any(r["text"].startswith(":package:") for r in harness.sim.replies(STATUS, second["ts"]))


def test_a_train_carries_the_merge_requests_since_the_last_production_deploy(
    harness: Harness, gitlab_server: FakeGitLab
) -> None:
    def mr(iid: int, title: str, author: str) -> dict[str, Any]:
        return {
            "iid": iid,
            "title": title,
            "web_url": f"https://gitlab.example.com/{APP}/-/merge_requests/{iid}",
            "author": {"username": author},
        }

    jobs = [{"name": n, "status": "success"} for n in STAGES]
    first = gitlab_server.add_pipeline(APP, jobs, ref="staging", merge_requests=[mr(10, "Old change", "jane")])
    first_jobs = [j["id"] for j in gitlab_server.jobs[(APP, first["id"])]]
    hook(harness, pipeline_hook(APP, first["id"], "running", ref="staging", sha=first["sha"]))
    ride(harness, first["id"], first_jobs, 3, production="success")  # in production
    gitlab_server.add_pipeline(APP, ref="main", merge_requests=[mr(11, "Seat true-ups <!channel>", "vitaly")])
    latest = gitlab_server.add_pipeline(APP, jobs, ref="staging", merge_requests=[mr(12, "Refund rounding", "james")])
    hook(harness, pipeline_hook(APP, latest["id"], "running", ref="staging", sha=latest["sha"]))
    newest = trains(harness)[-1]
    assert text(newest).splitlines()[1] == (
        f"Carries <https://gitlab.example.com/{APP}/-/merge_requests/11|!11> Seat true-ups &lt;!channel&gt; (vitaly), "
        f"<https://gitlab.example.com/{APP}/-/merge_requests/12|!12> Refund rounding (james)"
    )


@pytest.mark.both_databases
def test_the_poller_shows_a_train_whose_hooks_were_missed_and_repeats_nothing(
    harness: Harness, gitlab_server: FakeGitLab
) -> None:
    pipeline_id, _jobs = pipeline(gitlab_server)  # no hook is ever sent
    job_rows = gitlab_server.jobs[(APP, pipeline_id)]
    job_rows[1]["status"], job_rows[2]["status"] = "running", "created"
    harness.tick()
    [message] = trains(harness)
    assert message["text"].startswith(f":steam_locomotive: *Train #{pipeline_id} to production*: Update the invoice")
    assert "e2e:staging> running" in text(message)
    updates = len(harness.sim.calls_to("chat.update"))
    harness.advance(timedelta(minutes=5))
    assert len(harness.sim.calls_to("chat.update")) == updates, "nothing changed: nothing said"
    job_rows[1]["status"], job_rows[2]["status"] = "success", "scheduled"
    harness.advance(timedelta(minutes=5))
    [message] = trains(harness)
    assert "production is scheduled" in text(message)


def test_a_delayed_production_job_shows_when_it_will_run(harness: Harness, gitlab_server: FakeGitLab) -> None:
    pipeline_id, jobs = pipeline(gitlab_server, production="scheduled")
    gitlab_server.jobs[(APP, pipeline_id)][2]["scheduled_at"] = "2026-11-23T15:02:00.000Z"
    ride(harness, pipeline_id, jobs, 3)
    assert text(trains(harness)[0]).splitlines()[-1] == (
        f":alarm_clock: <https://gitlab.example.com/{APP}/-/jobs/{jobs[2]}|deploy:production>: production is "
        "scheduled for <!date^1795446120^{date_short_pretty} {time}|2026-11-23 15:02 UTC> (the delayed job); "
        "`Expedite` runs it now"
    )
    asked = [path for method, path in gitlab_server.requests if path == "/api/graphql"]
    assert len(asked) == 1, "asked once, however many hooks say it is scheduled"


def test_the_fake_gitlab_answers_only_the_graphql_it_knows(gitlab_server: FakeGitLab) -> None:
    headers = {"Authorization": f"Bearer {gitlab_server.token}"}
    other = requests.post(
        f"{gitlab_server.base_url}/api/graphql", json={"query": "{ currentUser { name } }"}, headers=headers, timeout=10
    )
    assert other.status_code == 200 and "errors" in other.json()
    anonymous = requests.post(f"{gitlab_server.base_url}/api/graphql", json={"query": "{ x }"}, timeout=10)
    assert anonymous.status_code == 401
