from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackApiError

from slackbot.metrics import Metrics
from slackbot.slack_client import make_web_client
from slackbot.testing.slack_sim import SlackSimulator


@pytest.fixture
def sim() -> Iterator[SlackSimulator]:
    simulator = SlackSimulator().start()
    simulator.add_user("U0JAMES01", "james", tz="Europe/Madrid")
    yield simulator
    simulator.stop()


def test_base_url_comes_from_settings(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url.rstrip("/"))
    assert client.base_url == sim.api_url
    assert client.auth_test()["user_id"] == sim.bot_user_id


def test_rate_limits_are_retried_after_retry_after(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    sim.rate_limit("users.info", times=2, retry_after=0)
    assert client.users_info(user="U0JAMES01")["user"]["tz"] == "Europe/Madrid"
    assert len(sim.calls_to("users.info")) == 3


def test_server_errors_are_retried(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    sim.fail("auth.test", times=1, status=503)
    assert client.auth_test()["ok"]
    assert len(sim.calls_to("auth.test")) == 2


def test_api_errors_are_raised_and_counted(sim: SlackSimulator) -> None:
    metrics = Metrics()
    client = make_web_client(sim.token, sim.api_url, metrics)
    with pytest.raises(SlackApiError) as caught:
        client.users_info(user="U0NOBODY1")
    assert caught.value.response["error"] == "user_not_found"
    assert metrics.slack_api_errors.labels("users.info", "user_not_found")._value.get() == 1


def test_the_simulator_answers_unknown_methods_as_slack_does(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    with pytest.raises(SlackApiError) as caught:
        client.api_call("nonsense.method")
    assert caught.value.response["error"] == "unknown_method"


def test_the_simulator_rejects_a_wrong_token(sim: SlackSimulator) -> None:
    client = make_web_client("xoxb-wrong", sim.api_url)
    with pytest.raises(SlackApiError) as caught:
        client.auth_test()
    assert caught.value.response["error"] == "invalid_auth"
