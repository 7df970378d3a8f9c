import pytest

from handlers import capabilities
from slackbot.commands import FAILED, CommandRouter, UsageError, answer
from slackbot.testing.harness import TEAM, Harness

JAMES = TEAM[0].id
COMMANDS = {command.name: command.summary for capability in capabilities() for command in capability.commands}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_answers_help_ephemerally(harness: Harness, command: str) -> None:
    response = harness.driver.command(JAMES, command, "help", channel="s_fulfillment")
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    shown = harness.sim.ephemerals_for(JAMES)[-1]["text"]
    assert shown.startswith(f"*{command}*: {COMMANDS[command]}")
    assert f"`{command} help`" in shown
    assert harness.sim.messages("s_fulfillment") == [], "nothing is posted for everyone"


def test_an_unknown_subcommand_gets_the_usage(harness: Harness) -> None:
    harness.driver.command(JAMES, "/fulfillment", "frobnicate now", channel="s_fulfillment")
    shown = harness.sim.ephemerals_for(JAMES)[-1]["text"]
    assert shown.startswith("I don't know `frobnicate`. */fulfillment*")


def router_with(handler) -> CommandRouter:  # type: ignore[no-untyped-def]
    router = CommandRouter("/pair", "pairing")
    router.add("list", handler, "open requests")
    router.add("", handler, "ask for a pair", arguments="TOPIC")
    return router


def test_routing_prefers_subcommands_then_the_default() -> None:
    router = router_with(lambda call: None)
    assert router.route("list")[0].name == "list"  # type: ignore[union-attr]
    assert router.route("LIST extra")[1] == "extra"
    default, text = router.route("rubber duck the billing sync")
    assert default is router.default
    assert text == "rubber duck the billing sync"
    assert router.route("help") == (None, "help")
    assert router.usage().splitlines() == [
        "*/pair*: pairing",
        "`/pair TOPIC`: ask for a pair",
        "`/pair list`: open requests",
        "`/pair help`: this message",
    ]


def test_usage_errors_are_answered_with_the_usage_and_bugs_with_an_apology(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def bad_input() -> str:
        raise UsageError("`2026-13-40` is not a date.")

    def bug() -> str:
        raise KeyError("secret internals")

    assert answer(bad_input, lambda: "USAGE") == "`2026-13-40` is not a date.\n\nUSAGE"
    assert answer(bug, lambda: "USAGE") == FAILED
    assert FAILED.startswith("Sorry, that failed on my side and nothing was changed.")
    assert answer(lambda: "done", lambda: "USAGE") == "done"
    assert "secret internals" in caplog.text
