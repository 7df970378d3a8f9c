import io

from slackbot.cli import main
from slackbot.demo import run_demo


def test_the_demo_tours_the_bot_without_network() -> None:
    out = io.StringIO()
    assert run_demo(out) == 0
    text = out.getvalue()
    assert "=== Asking the bot for help ===" in text
    assert "#s_fulfillment (only james sees) */fulfillment*" in text
    assert "#s_fulfillment_engineering   ↳ fulfillbot: Hi! I'm fulfillbot." in text
    assert text.rstrip().endswith("Demo finished.")


def test_demo_is_a_cli_command(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["demo"]) == 0
    assert "Demo finished." in capsys.readouterr().out
