"""The demo's scenes: what people do in the simulated workspace, one capability at a time.

Scenes act only as people and Slack would (commands, clicks, messages, webhooks), so they need
nothing from the capabilities' code.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import requests

from slackbot.testing.gitlab_payloads import issue_hook, job_hook, merge_request_hook, pipeline_hook
from slackbot.testing.harness import ASKER, TEAM
from slackbot.testing.monitoring import Alert, Alertmanager

if TYPE_CHECKING:
    from slackbot.demo import Tour

INTAKE_PROJECT = "gitlab-org/fulfillment-meta"  # the demo config's [gitlab] intake_project
DEMO_WEBHOOK_SECRET = "demo-webhook-secret"
DEMO_ALERTS_TOKEN = "demo-alerts-token"
RETRO_PROJECT = "gl-retrospectives/fulfillment"  # the demo config's [retrospectives] project


def help_scene(tour: Tour) -> None:
    tour.scene("Asking the bot for help")
    james = TEAM[0].id
    tour.driver.command(james, "/fulfillment", "help", channel="s_fulfillment")
    tour.driver.say(james, "s_fulfillment_engineering", f"<@{tour.sim.bot_user_id}> what can you do?")


def standup_scene(tour: Tour) -> None:
    james = TEAM[0].id
    tour.scene("Daily standup in #s_fulfillment_daily")
    tour.narrate("prompts go out at 09:30 in each person's own timezone (James: Madrid, Vitaly: Berlin)")
    tour.wait(timedelta(hours=1, minutes=30))
    tour.driver.click(james, "Write standup")
    answers = {"q0": "Reviewed the billing MR", "q1": "Pairing on the license sync", "q2": "Waiting for Zuora access"}
    tour.driver.submit(james, tour.driver.open_views(james)[-1]["id"], answers)
    tour.narrate("James edits his answer: the same reply is updated")
    tour.driver.command(james, "/standup", channel="s_fulfillment_daily")
    tour.driver.submit(james, tour.driver.open_views(james)[-1]["id"], {**answers, "blocked": ["blocked"]})
    tour.wait(timedelta(hours=2))
    tour.wait(timedelta(hours=2))


def question_scene(tour: Tour) -> None:
    tour.scene("A question in #s_fulfillment, tracked until it gets a ✅")
    asked = tour.driver.say(ASKER.id, "s_fulfillment", "How do I extend the trial of a customer's subscription?")
    tour.driver.say(TEAM[2].id, "s_fulfillment", "Is anyone looking at the failing CustomersDot e2e job?")
    tour.wait(timedelta(hours=2, minutes=1))
    tour.driver.say(
        TEAM[1].id,
        "s_fulfillment",
        "The internal request form linked above is the way; support handles it.",
        thread_ts=asked["ts"],
    )
    tour.driver.command(TEAM[0].id, "/fulfillment", "questions", channel="s_fulfillment")
    tour.wait(timedelta(hours=24, minutes=1))
    tour.driver.react(ASKER.id, "s_fulfillment", asked["ts"], "white_check_mark")
    tour.driver.command(TEAM[0].id, "/fulfillment", "stats 1", channel="s_fulfillment")


def status_alerts_scene(tour: Tour) -> None:
    tour.scene("Status alerts in #s_fulfillment_status")
    tour.narrate("CustomersDot (a local endpoint here) starts answering 500; the probe checks every minute")
    tour.endpoint.flip("error")
    for _ in range(3):
        tour.wait(timedelta(minutes=1))
    tour.narrate("it comes back")
    tour.endpoint.flip("healthy")
    tour.wait(timedelta(minutes=1))
    tour.narrate("James looks at the services: the text privately, the chart in his DM; the status page has it too")
    tour.driver.command(TEAM[0].id, "/fulfillment", "status", channel="s_fulfillment_status")
    tour.narrate("GitLab sends a Pipeline Hook: main failed, then the next pipeline passes")
    project = tour.harness.config.gitlab.app_project
    builds = [
        {"id": 11, "stage": "test", "name": "rspec 3/8", "status": "failed", "allow_failure": False},
        {"id": 12, "stage": "test", "name": "danger", "status": "failed", "allow_failure": True},
    ]
    for body in (pipeline_hook(project, 4711, "failed", builds=builds), pipeline_hook(project, 4712, "success")):
        requests.post(
            tour.harness.url + "/gitlab/webhook", json=body, headers={"X-Gitlab-Token": DEMO_WEBHOOK_SECRET}, timeout=30
        )


def incident_scene(tour: Tour) -> None:
    james, vitaly = TEAM[0].id, TEAM[1].id
    tour.scene("An incident: its own channel, paged up the escalation chain, a lead, updates, the GitLab issue")
    tour.driver.command(
        vitaly, "/incident", "declare Checkout on CustomersDot returns 500 sev1", channel="s_fulfillment_status"
    )
    tour.narrate("nobody answers level 1 within its ack timeout")
    tour.wait(timedelta(minutes=5))
    tour.driver.click(james, "Acknowledge")
    tour.driver.command(
        james, "/incident", "update 1 rolled back the last deploy; watching error rates", channel="s_fulfillment_status"
    )
    tour.narrate("James, the lead, posts no update for 30 minutes: he is reminded once")
    tour.wait(timedelta(minutes=31))
    tour.driver.command(james, "/incident", "note 1 error rate back to normal", channel="s_fulfillment_status")
    tour.driver.click(james, "Resolve", channel="s_fulfillment_status")
    project = tour.harness.config.gitlab.app_project
    issue = tour.gitlab.issues[project][-1]
    tour.narrate(f"the incident issue in GitLab, {project}#{issue['iid']}: {issue['title']} {issue['labels']}")
    print("\n".join(f"        | {line}" for line in issue["description"].splitlines()[:12]), file=tour.out)
    tour.driver.command(james, "/incident", "stats 4", channel="s_fulfillment_status")


def alert_storm_scene(tour: Tour) -> None:
    james, vitaly = TEAM[0].id, TEAM[1].id
    tour.scene("An Alertmanager storm: one message per group, one incident, a silence, a maintenance window")
    alertmanager = Alertmanager(tour.harness.url, DEMO_ALERTS_TOKEN)
    now = tour.harness.clock.now()
    storm = {
        name: [
            Alert(
                {"alertname": name, "service": "checkout", "severity": "critical", "instance": f"web-{n}"},
                {"summary": f"{name} on web-{n}", "runbook_url": "https://runbooks.example.com/checkout"},
                starts_at=now,
            )
            for n in range(1, 4)
        ]
        for name in ("CheckoutErrors", "CheckoutLatency", "PaymentTimeouts")
    }
    tour.narrate("Prometheus sees checkout fail: three groups of three alerts arrive through Alertmanager")
    for name, alerts in storm.items():
        alertmanager.notify({"alertname": name}, alerts)
    tour.harness.settle()
    tour.narrate(
        "the route for severity=critical declared one incident; the other groups joined it, nobody paged twice"
    )
    tour.driver.click(james, "Acknowledge", channel="s_fulfillment_status")
    tour.narrate("a noisy instance is silenced on its own, for an hour")
    tour.driver.command(vitaly, "/alerts", "silence instance=web-3 for 1h noisy canary", channel="s_fulfillment_status")
    tour.driver.command(vitaly, "/alerts", channel="s_fulfillment_status")
    tour.wait(timedelta(minutes=18))
    tour.narrate("the fix is deployed: Alertmanager says every alert resolved")
    for name, alerts in storm.items():
        for alert in alerts:
            alert.ends_at = tour.harness.clock.now()
        alertmanager.notify({"alertname": name}, alerts)
    tour.harness.settle()
    tour.narrate("Zuora's upgrade is planned: nothing about checkout alerts or pages in that window")
    start = (now + timedelta(days=1)).astimezone(ZoneInfo("Europe/Madrid")).strftime("%Y-%m-%dT06:00")
    end = (now + timedelta(days=1)).astimezone(ZoneInfo("Europe/Madrid")).strftime("%Y-%m-%dT08:00")
    tour.driver.command(james, "/maintenance", f"checkout {start} {end} Zuora upgrade", channel="s_fulfillment_status")
    tour.driver.command(james, "/maintenance", "list", channel="s_fulfillment_status")
    tour.driver.click(james, "Resolve", channel="s_fulfillment_status")


def deploy_train_scene(tour: Tour) -> None:
    james, vitaly = TEAM[0].id, TEAM[1].id
    project = tour.harness.config.gitlab.app_project
    tour.scene("The deploy train: staging, E2E, a blocked train, and an expedited fix")
    stages = ["deploy:staging", "e2e:staging", "deploy:production"]

    def train(production: str) -> tuple[int, list[int]]:
        jobs = [{"name": n, "status": "success"} for n in stages[:2]] + [{"name": stages[2], "status": production}]
        made = tour.gitlab.add_pipeline(project, jobs, ref="staging")
        return made["id"], [j["id"] for j in tour.gitlab.jobs[(project, made["id"])]]

    first, jobs = train("scheduled")
    tour.narrate("a merge to staging rides the train: deployed to staging, E2E passes, production is delayed")
    for name, job, status in zip(stages, jobs, ("success", "success", "scheduled"), strict=True):
        tour.harness.gitlab_hook(job_hook(project, first, job, name, status))
    tour.narrate("at verification Vitaly sees wrong invoice totals: he blocks the train")
    tour.driver.click(vitaly, "Block", channel="s_fulfillment_status")
    tour.narrate("the fix is merged; James lifts the blocker and expedites the fix's train")
    second, fix_jobs = train("scheduled")
    for name, job, status in zip(stages, fix_jobs, ("success", "success", "scheduled"), strict=True):
        tour.harness.gitlab_hook(job_hook(project, second, job, name, status))
    tour.driver.command(james, "/blocker", "lift", channel="s_fulfillment_status")
    tour.driver.click(james, "Expedite", channel="s_fulfillment_status")
    tour.narrate(f"GitLab ran the delayed job: {tour.gitlab.played[-1]}")
    tour.harness.gitlab_hook(job_hook(project, second, fix_jobs[2], stages[2], "success"))
    tour.driver.command(james, "/deploys", channel="s_fulfillment_status")


def review_scene(tour: Tour) -> None:
    james, vitaly, alice = TEAM[0].id, TEAM[1].id, TEAM[2].id
    project = tour.harness.config.gitlab.app_project
    tour.scene("/review: a review request claimed until a maintainer is on it, then approved and merged in GitLab")
    mr = tour.gitlab.add_merge_request(project, "Add the seat true-up preview", author="alice")
    url = f"{tour.gitlab.base_url.rstrip('/')}/{project}/-/merge_requests/{mr['iid']}"
    tour.driver.command(alice, "/review", f"{url} database adds an index to subscriptions", channel="s_fulfillment")
    tour.driver.click(james, "I'll review", channel="s_fulfillment_engineering")
    tour.driver.click(vitaly, "I'll review", channel="s_fulfillment_engineering")
    reviewers = ", ".join(r["username"] for r in mr["reviewers"])
    tour.narrate(f"GitLab now lists the reviewers of {project}!{mr['iid']}: {reviewers}")
    tour.harness.gitlab_hook(merge_request_hook(project, mr["iid"], "approval", user="vitallium", title=mr["title"]))
    tour.harness.gitlab_hook(merge_request_hook(project, mr["iid"], "merge", state="merged", title=mr["title"]))
    tour.driver.command(alice, "/review", f"{url} ux the preview's empty state", channel="s_fulfillment")
    tour.narrate("nobody picks the UX review up in a day: it is nudged once, naming nobody who is away")
    tour.wait(timedelta(days=1))


def followup_scene(tour: Tour) -> None:
    james, vitaly = TEAM[0].id, TEAM[1].id
    tour.scene("Incident follow-ups: filed in GitLab, linked to the incident's issue, closed from GitLab")
    tour.driver.command(
        james, "/incident", f"followup 1 Alert on checkout 500s before customers see them <@{vitaly}|vitaly>"
    )
    project = tour.harness.config.gitlab.app_project
    issue = tour.gitlab.issues[project][-1]
    assignees = ", ".join(a["username"] for a in issue["assignees"])
    tour.narrate(f"the follow-up in GitLab, {project}#{issue['iid']}: {issue['title']} (assigned to {assignees})")
    tour.narrate(f"linked issues: {tour.gitlab.links[-1]}")
    tour.harness.gitlab_hook(issue_hook(project, issue["iid"], "close", state="closed", title=issue["title"]))


def retrospective_scene(tour: Tour) -> None:
    james, alice = TEAM[0].id, TEAM[2].id
    tour.scene("The monthly async retrospective: filed after the 8th with what the bot saw, and Add to retro")
    tour.wait(datetime.fromisoformat("2026-12-09T00:30:00+00:00") - tour.harness.clock.now())
    issue = tour.gitlab.issues[RETRO_PROJECT][-1]
    tour.narrate(f"the retrospective in GitLab, {RETRO_PROJECT}#{issue['iid']}: {issue['title']}")
    print("\n".join(f"        | {line}" for line in issue["description"].splitlines()[4:30]), file=tour.out)
    said = tour.driver.say(alice, "s_fulfillment_engineering", "Pairing on the Zuora sync saved us a week :tada:")
    tour.driver.shortcut(james, "add_to_retro", "s_fulfillment_engineering", said["ts"])
    tour.driver.submit(james, tour.driver.open_views(james)[-1]["id"], {"anonymous": []})
    tour.harness.settle()
    note = tour.gitlab.notes[(RETRO_PROJECT, issue["iid"])][-1]
    print("\n".join(f"        | {line}" for line in note["body"].splitlines()), file=tour.out)
    tour.narrate("at 09:00 the cadence announcement links the issue")
    tour.wait(timedelta(hours=8))


def oncall_scene(tour: Tour) -> None:
    james, vitaly, alice = TEAM[0].id, TEAM[1].id, TEAM[2].id
    tour.scene("On call: the rotation, an override, and a page to whoever holds the pager")
    tour.narrate("Vitaly took the pager from James at 10:00 Madrid (the DMs above); level 1 of the incident paged him")
    tour.driver.command(alice, "/oncall", channel="s_fulfillment_engineering")
    now = tour.harness.clock.now().astimezone(ZoneInfo("Europe/Madrid"))
    start, end = now.strftime("%Y-%m-%dT%H:%M"), (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    tour.narrate("Vitaly steps out for two hours: James covers")
    tour.driver.command(
        vitaly, "/oncall", f"override primary <@{james}> {start} {end}", channel="s_fulfillment_engineering"
    )
    tour.driver.command(vitaly, "/oncall", "schedule primary 2", channel="s_fulfillment_engineering")
    tour.driver.command(alice, "/incident", "declare Renewal emails bounce sev2", channel="s_fulfillment_status")
    tour.driver.click(james, "Acknowledge")
    tour.driver.click(james, "Resolve", channel="s_fulfillment_status")


def blocker_scene(tour: Tour) -> None:
    tour.scene("A production blocker stops auto-deploy, then is lifted")
    tour.driver.command(
        TEAM[0].id, "/blocker", "invoice totals are off by one cent on staging", channel="s_fulfillment_status"
    )
    tour.wait(timedelta(hours=1))
    tour.driver.command(TEAM[0].id, "/blocker", "lift", channel="s_fulfillment_status")


def intake_scene(tour: Tour) -> None:
    tour.scene("/intake: a request filed in GitLab from the team's own template")
    tour.driver.command(ASKER.id, "/intake", "Self-serve seat true-ups for resellers")
    view = tour.driver.open_views(ASKER.id)[-1]
    tour.driver.submit(
        ASKER.id,
        view["id"],
        {
            "title": "Self-serve seat true-ups for resellers",
            "problem": "Resellers email support for every true-up.",
            "requester": "Channel sales, 40 resellers",
            "impact": "About 300 tickets a quarter.",
            "urgency": "medium",
            "pm": TEAM[1].id,
        },
    )
    project = INTAKE_PROJECT
    issue = tour.gitlab.issues[project][-1]
    tour.narrate(f"the issue in GitLab, {project}#{issue['iid']}: {issue['title']}")
    print("\n".join(f"        | {line}" for line in issue["description"].splitlines()), file=tour.out)
    ran = ", ".join(f"/{command} {argument}".strip() for command, argument in issue["quick_actions"])
    print(f"        (GitLab ran the quick actions: {ran})", file=tour.out)
    tour.driver.command(ASKER.id, "/intake", "list")


def pairing_scene(tour: Tour) -> None:
    james, vitaly, alice = TEAM[0].id, TEAM[1].id, TEAM[2].id
    tour.scene("/pair: a pairing request, claimed by the first volunteer")
    tour.driver.command(alice, "/pair", "Untangling the Zuora subscription sync", channel="s_fulfillment_engineering")
    tour.driver.click(alice, "I'll pair", channel="s_fulfillment_engineering")
    tour.wait(timedelta(hours=2))
    request = next(m for m in reversed(tour.sim.messages("s_fulfillment_engineering")) if "a pair" in m["text"])
    seen_by_james = {**request, "blocks": list(request["blocks"])}
    tour.driver.click(vitaly, "I'll pair", channel="s_fulfillment_engineering")
    tour.narrate("James clicks the button his Slack still shows")
    tour.driver.click(james, "I'll pair", channel="s_fulfillment_engineering", seen=seen_by_james)


def async_update_scene(tour: Tour) -> None:
    tour.scene("The weekly async issue update reminder")
    project = tour.harness.config.gitlab.app_project
    now = tour.harness.clock.now()
    quiet = tour.gitlab.add_issue(project, "Seat usage sync drops trial seats", assignee_usernames=["jameslopez"])
    updated = tour.gitlab.add_issue(project, "Zuora invoice preview", assignee_usernames=["jameslopez"])
    tour.gitlab.add_note(project, updated["iid"], "jameslopez", "### Async issue update ...", now - timedelta(days=2))
    tour.gitlab.add_note(project, quiet["iid"], "vitallium", "Any news here?", now - timedelta(days=1))
    tour.narrate(
        "James has two open issues in GitLab and updated one of them two days ago; reminders go out on Wednesdays"
    )
    tour.wait(timedelta(days=1))


def cadence_scene(tour: Tour) -> None:
    tour.scene("Cadence announcements from the config")
    tour.narrate("the config announces the preliminary issue review at 09:00 (Madrid) on the 26th")
    tour.wait(datetime.fromisoformat("2026-11-26T07:30:00+00:00") - tour.harness.clock.now())
    tour.wait(timedelta(minutes=30))


def home_scene(tour: Tour) -> None:
    tour.scene("James opens the bot's App Home")
    tour.driver.open_home(TEAM[0].id)
    view = tour.sim.home_views[TEAM[0].id]
    for block in view["blocks"]:
        text = block.get("text", {}).get("text", "")
        if text:
            tour.narrate(text.replace("\n", " | "))


SCENES = [
    help_scene,
    standup_scene,
    question_scene,
    status_alerts_scene,
    incident_scene,
    alert_storm_scene,
    deploy_train_scene,
    oncall_scene,
    blocker_scene,
    intake_scene,
    pairing_scene,
    async_update_scene,
    review_scene,
    followup_scene,
    cadence_scene,
    retrospective_scene,
    home_scene,
]
