"""``fulfillbot run | migrate | check-config [PATH] | demo``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from slackbot.app import Bot, StartupError, build_bot
from slackbot.config import ConfigError, Settings, load_config
from slackbot.db import Database
from slackbot.logs import configure_logging

log = logging.getLogger("fulfillbot")


def bot_from_environment(migrate: bool) -> Bot:
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.secrets())
    problems = settings.problems_for_run()
    if problems:
        raise ConfigError(problems)
    return build_bot(settings, load_config(settings.config_path), migrate=migrate)


def cmd_run(args: argparse.Namespace) -> int:
    bot = bot_from_environment(migrate=True)
    if not args.no_scheduler:
        bot.start_scheduler()
    try:
        if bot.ctx.settings.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("connecting to Slack in Socket Mode")
            SocketModeHandler(bot.bolt, bot.ctx.settings.app_token).start()
        else:
            _serve_http(bot)
    finally:
        bot.shutdown()
    return 0


def _serve_http(bot: Bot) -> None:
    from slackbot.web import WebApp, make_http_server

    server = make_http_server(WebApp(bot), "0.0.0.0", bot.ctx.settings.port)

    def stop(_signum: int, _frame: Any) -> None:
        log.info("stopping")
        threading.Thread(target=server.shutdown, daemon=True).start()  # shutdown() waits for this thread's loop

    signal.signal(signal.SIGTERM, stop)
    log.info("serving HTTP on 0.0.0.0:%s (/slack/events, /gitlab/webhook, /healthz, /metrics)", server.server_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def cmd_migrate(_args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.secrets())
    db = Database(settings.database_url)
    db.migrate()
    db.dispose()
    log.info("database is at the latest schema")
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    path = args.path or Settings.from_env().config_path
    try:
        config = load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{path}: {len(exc.problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{path}: OK ({len(config.people)} people, {len(config.status.probes)} probes)")
    return 0


def cmd_demo(_args: argparse.Namespace) -> int:
    from slackbot.demo import run_demo

    return run_demo(sys.stdout)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="fulfillbot", description="Slack chatops bot for Fulfillment engineering")
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="migrate the database, then serve (HTTP, or Socket Mode)")
    run.add_argument("--no-scheduler", action="store_true", help="serve requests only; no scheduled work")
    run.set_defaults(func=cmd_run)
    commands.add_parser("migrate", help="upgrade the database to the latest schema").set_defaults(func=cmd_migrate)
    check = commands.add_parser("check-config", help="validate the config file")
    check.add_argument("path", nargs="?", help="config file (default: $FULFILLBOT_CONFIG or fulfillbot.toml)")
    check.set_defaults(func=cmd_check_config)
    commands.add_parser("demo", help="a scripted tour against a local Slack simulator").set_defaults(func=cmd_demo)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ConfigError, StartupError) as exc:
        problems = exc.problems if isinstance(exc, ConfigError) else [str(exc)]
        for problem in problems:
            print(f"fulfillbot: {problem}", file=sys.stderr)
        return 1
