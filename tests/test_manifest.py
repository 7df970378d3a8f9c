"""manifest.yml declares what the bot uses: every slash command, the shortcut, every event."""

from pathlib import Path

from handlers import capabilities
from handlers.incidents.messages import SHORTCUT

MANIFEST = (Path(__file__).resolve().parents[1] / "manifest.yml").read_text()


def test_every_slash_command_is_declared() -> None:
    commands = [command.name for capability in capabilities() for command in capability.commands]
    assert len(commands) >= 6
    for command in commands:
        assert f"- command: {command}\n" in MANIFEST


def test_the_shortcut_events_and_interactivity_are_declared() -> None:
    assert f"callback_id: {SHORTCUT}" in MANIFEST
    events = {event for capability in capabilities() for event in capability.events}
    assert {"app_home_opened", "app_mention", "message.channels", "reaction_added"} <= events
    for event in events:
        assert f"      - {event}\n" in MANIFEST
    assert "interactivity:\n    is_enabled: true" in MANIFEST
    assert "- command: /oncall\n" in MANIFEST and "should_escape: true" in MANIFEST, "/oncall needs <@U…> mentions"
    scopes = ("chat:write", "commands", "channels:join", "channels:manage", "users:read", "usergroups:read")
    scopes += ("usergroups:write", "files:write")
    for scope in (*scopes, "mpim:write", "im:write"):
        assert f"      - {scope}\n" in MANIFEST
