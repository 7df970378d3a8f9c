"""Status alerts: probes against loopback endpoints (plain and TLS), pipelines by webhook and poller."""

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from matplotlib import image

from handlers.incidents.config import IncidentsSection
from handlers.status.config import Probe, StatusSection
from handlers.status.pipelines import Job, failed_jobs
from handlers.status.probes import threshold_to_warn
from handlers.status.service import ProbeAlerted
from slackbot.config import Config, GitLabSection
from slackbot.testing.endpoint import FlippableEndpoint
from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.gitlab_payloads import pipeline_hook
from slackbot.testing.harness import TEAM, Harness
from tests.tls import self_signed, valid_for

STATUS = "s_fulfillment_status"
APP = "gitlab-org/customers-gitlab-com"
HOOK_SECRET = "hook-secret"
JAMES = TEAM[0].id


def probe_config(url: str, **overrides: Any) -> Config:
    settings: dict[str, Any] = {
        "interval": timedelta(minutes=1),
        "timeout": timedelta(seconds=1),
        "failures_before_alert": 3,
        **overrides,
    }
    probe = Probe(name="CustomersDot production", url=url, **settings)
    return Config.of(StatusSection(probes=[probe]), IncidentsSection(declare_on_probe_alert=False))


@pytest.fixture
def endpoint() -> Iterator[FlippableEndpoint]:
    server = FlippableEndpoint(slow_seconds=2.5).start()
    yield server
    server.stop()


@pytest.fixture
def harness(database_url: str, endpoint: FlippableEndpoint) -> Iterator[Harness]:
    with Harness(database_url, probe_config(endpoint.url)) as running:
        yield running


def posts(harness: Harness) -> list[dict[str, Any]]:
    return harness.sim.messages(STATUS)


def test_alert_after_n_failures_updated_in_place_then_recovery(harness: Harness, endpoint: FlippableEndpoint) -> None:
    alerts: list[ProbeAlerted] = []
    harness.bot.ctx.signals.connect(ProbeAlerted, lambda _work, alerted: alerts.append(alerted))
    harness.tick()
    assert endpoint.hits == 1
    harness.advance(timedelta(seconds=30))
    assert endpoint.hits == 1, "not due again before its interval"

    endpoint.flip("error")
    harness.advance(timedelta(seconds=30))
    harness.advance(timedelta(minutes=1))
    endpoint.flip("healthy")
    harness.advance(timedelta(minutes=1))
    assert posts(harness) == [], "two failures then a success: no alert (no flapping)"

    endpoint.flip("error")
    started = harness.clock.now() + timedelta(minutes=1)
    for _ in range(3):
        harness.advance(timedelta(minutes=1))
    [alert] = posts(harness)
    assert alert["text"].startswith(":red_circle: *CustomersDot production is down*")
    assert "Error: HTTP 500 (expected 200)" in alert["text"]
    assert f"<!date^{int(started.timestamp())}^" in alert["text"] and "(3 failed checks in a row)" in alert["text"]
    assert [a.probe for a in alerts] == ["CustomersDot production"]

    harness.advance(timedelta(minutes=1))
    assert len(posts(harness)) == 1
    assert "(4 failed checks in a row)" in posts(harness)[0]["text"], "the same message, updated"

    harness.restart()
    harness.bot.ctx.signals.connect(ProbeAlerted, lambda _work, alerted: alerts.append(alerted))
    endpoint.flip("closed")
    harness.advance(timedelta(minutes=1))
    assert len(posts(harness)) == 1
    assert "Error: connection failed" in posts(harness)[0]["text"] and "(5 failed checks" in posts(harness)[0]["text"]
    assert len(alerts) == 1, "one hand-off per outage, also across a restart"

    endpoint.flip("healthy")
    harness.advance(timedelta(minutes=1))
    [alert] = posts(harness)
    assert alert["text"].startswith(":large_green_circle: *CustomersDot production recovered* after 5m")
    assert [m["text"] for m in harness.sim.replies(STATUS, alert["ts"])] == [
        ":white_check_mark: Recovered. The outage lasted 5m."
    ]
    harness.advance(timedelta(minutes=5))
    assert len(harness.sim.messages(STATUS, include_replies=True)) == 2


@pytest.mark.slow
def test_a_slow_endpoint_times_out(database_url: str, endpoint: FlippableEndpoint) -> None:
    endpoint.flip("slow")
    config = probe_config(endpoint.url, failures_before_alert=1)
    with Harness(database_url, config) as harness:
        harness.tick()
        [alert] = posts(harness)
        assert "Error: timed out after 1s" in alert["text"]


def test_fulfillment_status_lists_every_probe(harness: Harness, endpoint: FlippableEndpoint) -> None:
    harness.driver.command(JAMES, "/fulfillment", "status")
    assert (
        harness.sim.ephemerals_for(JAMES)[-1]["text"]
        .splitlines()[1]
        .startswith(":white_circle: *CustomersDot production*: not checked yet")
    )
    harness.tick()
    harness.clock.advance(timedelta(seconds=20))
    harness.driver.command(JAMES, "/fulfillment", "status")
    line = harness.sim.ephemerals_for(JAMES)[-1]["text"].splitlines()[1]
    assert line.startswith(":large_green_circle: *CustomersDot production*: up; last check 20s ago, ")
    assert line.endswith(" ms")
    endpoint.flip("error")
    harness.advance(timedelta(minutes=1))
    harness.driver.command(JAMES, "/fulfillment", "status")
    line = harness.sim.ephemerals_for(JAMES)[-1]["text"].splitlines()[1]
    assert line.startswith(":red_circle: *CustomersDot production*: failing for 0s (1x: HTTP 500 (expected 200))")
    assert harness.sim.ephemerals_for(JAMES)[-1]["text"].endswith("_The chart is in your DM with me._")
    shared = harness.sim.files_in(JAMES)
    assert len(shared) == 3 and {c["mimetype"] for c in shared} == {"image/png"}
    assert shared[-1]["alt_txt"] == (
        "For each probe (CustomersDot production): latency over the last 24 hours, and uptime per day over 30 days."
    )
    assert image.imread(io.BytesIO(shared[-1]["data"]), format="png").shape[:2] == (600, 800)
    assert harness.sim.dms(JAMES)[-1]["text"].startswith("*Health probes*"), "the text fallback"


def test_certificate_warnings_once_per_threshold(database_url: str, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    certificate = valid_for(tmp_path, now, days=10)
    server = FlippableEndpoint(tls=certificate.server_context()).start()
    try:
        config = probe_config(server.url, cert_warn_days=[14, 7, 1])
        with Harness(database_url, config, start=now, ca_bundle=str(certificate.cert_file)) as harness:
            harness.tick()
            harness.advance(timedelta(minutes=1))
            harness.advance(timedelta(minutes=1))
            warnings = [m["text"] for m in posts(harness)]
            assert len(warnings) == 1
            assert warnings[0].startswith(":warning: The TLS certificate of *CustomersDot production*")
            assert "expires in 10 days" in warnings[0]
            harness.clock.advance(timedelta(days=3))
            harness.tick()
            harness.advance(timedelta(minutes=1))
            assert "expires in 6 days" in posts(harness)[-1]["text"] and len(posts(harness)) == 2
            harness.clock.advance(timedelta(days=5, hours=12))
            harness.tick()
            assert "expires in 1 day," in posts(harness)[-1]["text"] and len(posts(harness)) == 3
            harness.driver.command(JAMES, "/fulfillment", "status")
            assert "certificate expires in" in harness.sim.ephemerals_for(JAMES)[-1]["text"]
    finally:
        server.stop()


def test_an_expired_certificate_alerts_like_a_failure(database_url: str, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    expired = self_signed(tmp_path, now - timedelta(days=30), now - timedelta(days=1), "expired")
    server = FlippableEndpoint(tls=expired.server_context()).start()
    try:
        config = probe_config(server.url, failures_before_alert=1)
        with Harness(database_url, config, ca_bundle=str(expired.cert_file)) as harness:
            harness.tick()
            assert "Error: invalid TLS certificate: certificate has expired" in posts(harness)[0]["text"]
    finally:
        server.stop()


def test_an_untrusted_certificate_alerts_and_a_deleted_alert_is_posted_again(database_url: str, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    server = FlippableEndpoint(tls=valid_for(tmp_path, now, days=90).server_context()).start()
    try:
        with Harness(database_url, probe_config(server.url, failures_before_alert=1)) as harness:
            harness.tick()
            [alert] = posts(harness)
            assert "Error: invalid TLS certificate: self-signed certificate" in alert["text"]
            harness.sim.api_chat_delete({"channel": alert["channel"], "ts": alert["ts"]})
            harness.advance(timedelta(minutes=1))
            [again] = posts(harness)
            assert "(2 failed checks in a row)" in again["text"]
    finally:
        server.stop()


def test_certificate_thresholds() -> None:
    assert threshold_to_warn(20, [14, 7, 1], []) is None
    assert threshold_to_warn(14, [14, 7, 1], []) == 14
    assert threshold_to_warn(5, [14, 7, 1], []) == 7, "crossing several at once: one warning"
    assert threshold_to_warn(5, [14, 7, 1], [14, 7]) is None
    assert threshold_to_warn(0, [14, 7, 1], [14, 7]) == 1


# ----- pipelines ------------------------------------------------------------------------------------


def hook(pipeline_id: int, status: str, ref: str = "main", source: str = "push", builds: Any = None) -> dict[str, Any]:
    return pipeline_hook(APP, pipeline_id, status, ref, source, builds)


BUILDS = [
    {"id": 1, "stage": "build", "name": "assets", "status": "success", "allow_failure": False},
    {"id": 2, "stage": "test", "name": "rspec 1/2", "status": "failed", "allow_failure": False},
    {"id": 3, "stage": "test", "name": "rspec 2/2", "status": "failed", "allow_failure": False},
    {"id": 4, "stage": "test", "name": "flaky-e2e", "status": "failed", "allow_failure": False},
    {"id": 7, "stage": "test", "name": "flaky-e2e", "status": "success", "allow_failure": False},
    {"id": 5, "stage": "test", "name": "danger", "status": "failed", "allow_failure": True},
    {"id": 6, "stage": "deploy", "name": "staging", "status": "skipped", "allow_failure": False},
]


@pytest.fixture
def hooked(database_url: str) -> Iterator[Harness]:
    config = Config(gitlab=GitLabSection(watched_refs=["main", "staging"]))
    with Harness(database_url, config, gitlab_webhook_secret=HOOK_SECRET) as running:
        yield running


def deliver(harness: Harness, body: Any, key: str | None = None, token: str = HOOK_SECRET) -> requests.Response:
    headers = {"X-Gitlab-Token": token, "X-Gitlab-Event": "Pipeline Hook"}
    if key:
        headers["Idempotency-Key"] = key
    response = requests.post(harness.url + "/gitlab/webhook", json=body, headers=headers, timeout=30)
    harness.settle()
    return response


def test_a_failed_pipeline_is_posted_once_and_fixed_in_its_thread(hooked: Harness) -> None:
    assert deliver(hooked, hook(2001, "running")).status_code == 200
    response = deliver(hooked, hook(2001, "failed", builds=BUILDS), key="delivery-1")
    assert response.status_code == 200 and response.json()["message"] == "accepted", "stored, processed after"
    [failure] = posts(hooked)
    assert failure["text"].splitlines() == [
        f":x: *Pipeline failed* in <https://gitlab.example.com/{APP}|{APP}> on `main`: "
        f"<https://gitlab.example.com/{APP}/-/pipelines/2001|pipeline #2001>",
        "Failed jobs: *test*: `rspec 1/2`, `rspec 2/2`",
        f"Commit: <https://gitlab.example.com/{APP}/-/commit/bcbb5ec3|Fix the invoice rounding> by Jane Doe",
        "Duration: 12m 30s",
    ]
    repeat = deliver(hooked, hook(2001, "failed", builds=BUILDS), key="delivery-1")
    assert repeat.json()["message"] == "already received"
    assert deliver(hooked, hook(2001, "failed", builds=BUILDS), key="delivery-2").status_code == 200
    assert deliver(hooked, hook(2001, "failed", builds=BUILDS)).status_code == 200
    assert len(posts(hooked)) == 1, "one post per pipeline, however often it arrives"

    deliver(hooked, hook(2002, "success", ref="feature-x"))
    deliver(hooked, hook(2000, "success"))
    assert hooked.sim.replies(STATUS, failure["ts"]) == [], "an older or other ref's success fixes nothing"
    deliver(hooked, hook(2003, "success"))
    deliver(hooked, hook(2003, "success"), key="again")
    assert [m["text"] for m in hooked.sim.replies(STATUS, failure["ts"])] == [
        f":white_check_mark: Fixed: <https://gitlab.example.com/{APP}/-/pipelines/2003|pipeline #2003> "
        "on `main` passed."
    ]
    assert len(posts(hooked)) == 1


def test_unwatched_refs_are_quiet_but_schedules_are_not(hooked: Harness) -> None:
    deliver(hooked, hook(3001, "failed", ref="feature-x", builds=BUILDS))
    assert posts(hooked) == []
    deliver(hooked, hook(3002, "failed", ref="nightly-qa", source="schedule", builds=BUILDS))
    [post] = posts(hooked)
    assert post["text"].startswith(":x: *Pipeline failed* (scheduled)") and "`nightly-qa`" in post["text"]


def test_many_failed_jobs_are_capped(hooked: Harness) -> None:
    builds = [
        {"id": i, "stage": "test", "name": f"job {i}", "status": "failed", "allow_failure": False} for i in range(13)
    ]
    deliver(hooked, hook(4001, "failed", builds=builds))
    assert "`job 9` and 3 more" in posts(hooked)[0]["text"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json at all", 400),
        ({"object_kind": "pipeline"}, 400),
        ({"object_kind": "pipeline", "object_attributes": {"id": "x"}, "project": {}}, 400),
        ({"object_kind": "push"}, 400),
        ([1, 2, 3], 400),
    ],
)
def test_webhook_bad_bodies_get_400(hooked: Harness, body: Any, status: int) -> None:
    if isinstance(body, bytes):
        response = requests.post(
            hooked.url + "/gitlab/webhook", data=body, headers={"X-Gitlab-Token": HOOK_SECRET}, timeout=30
        )
    else:
        response = deliver(hooked, body)
    assert response.status_code == status
    assert posts(hooked) == []


def test_webhook_wrong_token_is_401(hooked: Harness) -> None:
    assert deliver(hooked, hook(5001, "failed"), token="wrong").status_code == 401
    assert posts(hooked) == []


def test_failed_jobs_skip_allowed_failures_and_retried_passes() -> None:
    jobs = [Job(**{k: b[k] for k in ("id", "name", "stage", "status", "allow_failure")}) for b in BUILDS]
    assert [j.name for j in failed_jobs(jobs)] == ["rspec 1/2", "rspec 2/2"]
    retried_then_failed = [Job(1, "e2e", "test", "success", False), Job(2, "e2e", "test", "failed", False)]
    assert [j.id for j in failed_jobs(retried_then_failed)] == [2], "the latest attempt counts"


def test_the_poller_posts_what_the_webhook_missed_and_they_never_double_post(
    database_url: str, gitlab_server: FakeGitLab
) -> None:
    config = Config(gitlab=GitLabSection(app_project=APP, watched_refs=["main"], poll_interval=timedelta(minutes=5)))
    settings = {
        "gitlab_url": gitlab_server.base_url,
        "gitlab_token": gitlab_server.token,
        "gitlab_webhook_secret": HOOK_SECRET,
    }
    with Harness(database_url, config, **settings) as harness:
        recent = (harness.clock.now() - timedelta(minutes=10)).isoformat()
        old = (harness.clock.now() - timedelta(days=3)).isoformat()
        gitlab_server.add_pipeline(APP, status="failed", ref="main", updated_at=old)
        failed = gitlab_server.add_pipeline(
            APP,
            status="failed",
            ref="main",
            updated_at=recent,
            jobs=[
                {"name": "rspec", "stage": "test", "status": "failed"},
                {"name": "flaky", "stage": "test", "status": "failed", "retried": True},
                {"name": "flaky", "stage": "test", "status": "success"},
            ],
            commit={"title": "Bump the Zuora client", "author_name": "Vitaly"},
        )
        gitlab_server.add_pipeline(APP, status="failed", ref="feature", updated_at=recent)
        nightly = gitlab_server.add_pipeline(APP, status="failed", ref="qa", source="schedule", updated_at=recent)
        harness.tick()
        texts = [m["text"] for m in posts(harness)]
        assert len(texts) == 2, "the old one and the unwatched ref are not posted"
        assert f"pipeline #{failed['id']}>" in texts[0] and "Failed jobs: *test*: `rspec`" in texts[0]
        assert "Commit: " in texts[0] and "Bump the Zuora client> by Vitaly" in texts[0]
        assert f"pipeline #{nightly['id']}>" in texts[1] and "(scheduled)" in texts[1]

        webhook = hook(failed["id"], "failed", builds=[])
        webhook["project"]["path_with_namespace"] = APP
        assert deliver(harness, webhook).json()["message"] == "accepted"
        assert len(posts(harness)) == 2, "the webhook found the poller's record: nothing posted twice"

        requests_before = len(gitlab_server.requests)
        harness.advance(timedelta(minutes=1))
        assert len(gitlab_server.requests) == requests_before, "not polled before poll_interval"
        green = gitlab_server.add_pipeline(
            APP, status="success", ref="main", updated_at=harness.clock.now().isoformat()
        )
        deliver(harness, hook(green["id"], "success"))
        harness.advance(timedelta(minutes=5))
        replies = harness.sim.replies(STATUS, posts(harness)[0]["ts"])
        assert len(replies) == 1, "fixed once: by the webhook, and the poller saw it was handled"
        assert replies[0]["text"].endswith(f"|pipeline #{green['id']}> on `main` passed.")


def test_gitlab_errors_in_the_poller_are_logged_and_retried(database_url: str, gitlab_server: FakeGitLab) -> None:
    config = Config(gitlab=GitLabSection(app_project=APP, watched_refs=["main"], poll_interval=timedelta(minutes=5)))
    settings = {"gitlab_url": gitlab_server.base_url, "gitlab_token": gitlab_server.token}
    with Harness(database_url, config, **settings) as harness:
        gitlab_server.add_pipeline(APP, status="failed", ref="main")
        gitlab_server.fail_next(502)
        harness.tick()
        assert posts(harness) == []
        harness.advance(timedelta(minutes=5))
        assert len(posts(harness)) == 1
