"""``fulfillbot run | migrate | check-config [PATH] | parked [retry ID | drop ID] | demo``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from slackbot import parked
from slackbot.app import Bot, StartupError, build_bot
from slackbot.capability import config_sections, installed
from slackbot.config import ConfigError, Settings, load_config
from slackbot.db import Database
from slackbot.logs import configure_logging
from slackbot.slack_client import make_web_client

log = logging.getLogger("fulfillbot")


def bot_from_environment(migrate: bool) -> Bot:
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.secrets())
    problems = settings.problems_for_run()
    if problems:
        raise ConfigError(problems)
    capabilities = installed()
    config = load_config(settings.config_path, config_sections(capabilities))
    return build_bot(settings, config, capabilities, migrate=migrate)


def cmd_run(args: argparse.Namespace) -> int:
    bot = bot_from_environment(migrate=True)
    stopping = threading.Event()

    def stop(_signum: int, _frame: Any) -> None:
        log.info("stopping: finishing deliveries in flight, then handing the scheduler lease over")
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if not args.no_scheduler:
        bot.ctx.scheduler.start()
    bot.ctx.outbox.start()
    try:
        serve(bot, stopping)
    finally:
        bot.shutdown()
    log.info("stopped")
    return 0


def serve(bot: Bot, stopping: threading.Event) -> None:
    """HTTP on $PORT in both modes (in Socket Mode for /healthz, /metrics and /gitlab/webhook), and
    the Socket Mode connection when ``SLACK_APP_TOKEN`` is set; until ``stopping`` is set."""
    from slackbot.web import WebApp, make_http_server

    server = make_http_server(WebApp(bot), "0.0.0.0", bot.ctx.settings.port)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True, name="http").start()
    socket_mode = None
    if bot.ctx.settings.socket_mode:
        from slackbot.socket_mode import SocketModeConnection

        settings = bot.ctx.settings
        web = make_web_client("", settings.slack_api_url, retries=False)  # the app token goes with each call
        socket_mode = SocketModeConnection(bot, web, settings.app_token)
        if socket_mode.start():
            log.info(
                "connected to Slack in Socket Mode; serving /healthz, /metrics, /gitlab/webhook on 0.0.0.0:%s",
                server.server_port,
            )
        else:
            log.warning("not connected to Slack in Socket Mode yet; trying again in the background")
    else:
        log.info("serving HTTP on 0.0.0.0:%s (/slack/events, /gitlab/webhook, /healthz, /metrics)", server.server_port)
    try:
        stopping.wait()
    finally:
        if socket_mode is not None:
            socket_mode.close()
        server.shutdown()
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
        config = load_config(path, config_sections(installed()))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{path}: {len(exc.problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{path}: OK ({len(config.people)} people, {len(config.sections)} capability sections)")
    return 0


def cmd_parked(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.secrets())
    db = Database(settings.database_url)
    try:
        db.migrate()
        if args.action is None:
            lines = parked.listing(db)
            print("\n".join(lines) if lines else "Nothing is parked.")
            return 0
        if args.id is None:
            print(f"fulfillbot parked {args.action}: give the ID of a parked item (see `fulfillbot parked`)")
            return 1
        done, message = (parked.retry if args.action == "retry" else parked.drop)(db, args.id)
        print(message)
        return 0 if done else 1
    finally:
        db.dispose()


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
    parked_cmd = commands.add_parser("parked", help="events and effects that failed for good; retry or drop one")
    parked_cmd.add_argument("action", nargs="?", choices=["retry", "drop"])
    parked_cmd.add_argument("id", nargs="?", help="an ID as listed, such as in-12 or out-34")
    parked_cmd.set_defaults(func=cmd_parked)
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
