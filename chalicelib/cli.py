"""Command line: ``python -m chalicelib.cli <command>``.

Locally, with DATABASE_URL / CLICKHOUSE_URL unset, commands use the embedded stack of infra/local
(started on demand). In a deployed environment both variables are set and infra/ is never imported.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Sequence

DEMO_PASSWORD = "demo-password-2026"
DEMO_USERS = (
    ("admin@proxima.local", "admin", "Dilnoza Karimova"),
    ("accountant@proxima.local", "accountant", "Rustam Aliyev"),
    ("approver@proxima.local", "approver", "Nodira Yusupova"),
    ("viewer@proxima.local", "viewer", "Timur Saidov"),
)


def _prepare_local() -> None:
    if not os.environ.get("DATABASE_URL") or not os.environ.get("CLICKHOUSE_URL"):
        from infra.local.stack import prepare_environment

        prepare_environment()
    from .config import get_settings

    get_settings.cache_clear()


def cmd_migrate(args: argparse.Namespace) -> int:
    from .adapters.migrations import migrate_down, migrate_up
    from .config import get_settings

    dsn = get_settings().database_url
    if args.down:
        done = migrate_down(dsn, target=args.to or "000000")
        print(f"reverted: {', '.join(done) or 'nothing'}")
    else:
        done = migrate_up(dsn, target=args.to)
        print(f"applied: {', '.join(done) or 'nothing (up to date)'}")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from .domain.errors import DomainError
    from .services import auth

    try:
        user = auth.create_user(args.email, args.password, args.role, args.name or "", replace=args.replace)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(json.dumps(user))
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from .adapters.migrations import migrate_up
    from .config import get_settings
    from .services import auth

    settings = get_settings()
    try:
        from infra.local.seed import seed_demo
    except ImportError:
        print("error: seed-demo needs the local stack (infra/local), which is not deployed", file=sys.stderr)
        return 2
    migrate_up(settings.database_url)
    summary = seed_demo(settings.clickhouse_url, settings.database_url, scale=args.scale)
    for email, role, name in DEMO_USERS:
        auth.create_user(email, DEMO_PASSWORD, role, name, replace=True)
    print(json.dumps(summary, default=str, indent=2))
    print_demo_logins()
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from .domain.billing import Period
    from .domain.errors import DomainError
    from .services import generation

    try:
        period = Period.parse(args.period)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2

    def progress(keys):
        keys = list(keys)
        try:
            from tqdm import tqdm
        except ImportError:
            return keys
        return tqdm(keys, desc=f"drafts {period}", unit="app")

    summary = generation.generate_month(period, only=args.application, progress=progress).to_dict()
    print(f"period {summary['period']}: created {summary['created']}, "
          f"already existing {summary['already_existing']}, skipped {len(summary['skipped'])}, "
          f"failed {len(summary['failed'])}")
    for item in summary["skipped"]:
        print(f"  skipped {item['application_key']}: {item['reason']}")
    for item in summary["failed"]:
        print(f"  FAILED  {item['application_key']}: {item['reason']}")
    return 1 if summary["failed"] else 0


def print_demo_logins() -> None:
    print("Demo logins (password for all: %s):" % DEMO_PASSWORD)
    for email, role, _ in DEMO_USERS:
        print(f"  {role:<11} {email}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description="Proxima Invoice commands")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="apply (or revert) PostgreSQL migrations")
    p.add_argument("--down", action="store_true", help="revert instead of apply")
    p.add_argument("--to", help="target version, e.g. 000002")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("create-user", help="create a user (or reset one with --replace)")
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--role", required=True, choices=["viewer", "accountant", "approver", "admin"])
    p.add_argument("--name", default="")
    p.add_argument("--replace", action="store_true", help="reset password and role of an existing user")
    p.set_defaults(func=cmd_create_user)

    p = sub.add_parser("seed-demo", help="write deterministic demo data to the embedded stack")
    p.add_argument("--scale", type=int, default=1, help="multiply the worklog volume (10 for benchmarks)")
    p.set_defaults(func=cmd_seed_demo)

    p = sub.add_parser("generate", help="create the month's draft invoices (idempotent)")
    p.add_argument("--period", required=True, help="YYYY-MM")
    p.add_argument("--application", help="only this application key")
    p.set_defaults(func=cmd_generate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _prepare_local()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
