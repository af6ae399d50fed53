"""``make run``: embedded PostgreSQL + ClickHouse, migrations, demo data, the API on :8000, and the side
effects: moto (S3 as R2, SQS, SES), the PlanFact/Telegram/Didox doubles, a worker draining the job queue
and the relay/poll schedules, all in this one process (the embedded ClickHouse admits one)."""
from __future__ import annotations

import argparse
import os
import signal
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run Proxima Invoice locally with demo data")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--reseed", action="store_true", help="rewrite the demo data even if present")
    parser.add_argument("--aws-port", type=int, default=4566, help="moto (S3, SQS, SES); 0 picks a free port")
    parser.add_argument("--doubles-port", type=int, default=8101,
                        help="PlanFact double on this port, Telegram on +1, Didox on +2; 0 picks free ports")
    args = parser.parse_args(argv)

    from infra.local.side_effects import LocalSideEffects
    from infra.local.stack import prepare_environment

    env = prepare_environment()
    ports = {name: args.doubles_port + offset if args.doubles_port else 0
             for offset, name in enumerate(("planfact", "telegram", "didox"))}
    effects = LocalSideEffects(args.host, args.aws_port, ports).start()
    # Before the settings are first read: every integration points at the local endpoints.
    os.environ.update(effects.environment(public_base_url=f"http://{args.host}:{args.port}"))
    from chalicelib import cli
    from chalicelib.adapters.migrations import migrate_up
    from chalicelib.config import get_settings
    from chalicelib.services import auth, container

    get_settings.cache_clear()
    settings = get_settings()
    print(f"PostgreSQL: {env['DATABASE_URL']}\nClickHouse: {env['CLICKHOUSE_URL']}")
    applied = migrate_up(settings.database_url)
    print(f"migrations applied: {', '.join(applied) or 'none (up to date)'}")

    reader = container.current().clickhouse
    has_data = _has_demo_data(reader)
    if args.reseed or not has_data:
        from infra.local.seed import seed_demo

        print("writing demo data (first run takes a little while)...")
        summary = seed_demo(settings.clickhouse_url, settings.database_url, scale=1)["clickhouse"]
        print(f"  {summary.get('worklogs')} worklogs, {summary.get('applications')} applications, "
              f"{summary.get('customers')} customers in {summary['seconds']['total']} s")
    for email, role, name in cli.DEMO_USERS:
        auth.create_user(email, cli.DEMO_PASSWORD, role, name, replace=True)
    from infra.local.seed_drift import ensure_drifted_invoice

    print(f"source drift demo (issue 15): {ensure_drifted_invoice()}")

    from infra.local.server import build_server

    server = build_server(args.host, args.port)
    worker = effects.start_workers()
    from infra.local.server import DIST_DIR

    print(f"\nProxima Invoice API on http://{args.host}:{args.port}/api/health")
    print(f"the console on http://{args.host}:{args.port}/" + (
        "" if (DIST_DIR / "index.html").is_file() else " (not built yet: `make frontend`, Node.js 20+)"))
    print("\n".join(effects.describe()))
    print(f"worker: long-polls the queue; relay every {worker.relay_every:g} s, Didox poll every {worker.poll_every:g} s")
    cli.print_demo_logins()
    print(f"  e.g. curl -s -X POST http://{args.host}:{args.port}/api/auth/login "
          f"-H 'Content-Type: application/json' "
          f"-d '{{\"email\":\"accountant@proxima.local\",\"password\":\"{cli.DEMO_PASSWORD}\"}}'")
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as Ctrl-C does, with the summary
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopping")
    finally:
        effects.stop()
        print("what the doubles received:\n" + "\n".join(effects.summary()))
    return 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _has_demo_data(reader) -> bool:
    exists = reader.query("SELECT count() AS n FROM system.tables WHERE database = 'cdm' "
                          "AND name = 'jira_applications'")
    return exists[0]["n"] > 0 and reader.query("SELECT count() AS n FROM cdm.jira_applications")[0]["n"] > 0


if __name__ == "__main__":
    sys.exit(main())
