"""The command line of the central service: ``conformance serve`` and
``conformance report push``. The ``conformance`` command (``cli/``) only
declares them here and calls :func:`dispatch_serve` and :func:`push`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from conformance.engine.config import Settings
from conformance.errors import UsageError

TOKEN_ENV = "CONFORMANCE_TOKEN"
DEFAULT_PORT = 8750


def add_serve_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """``conformance serve [tokens issue|list|revoke AGENCY]``."""
    serve = commands.add_parser(
        "serve",
        help="the central compliance service: pages, badges, certificates, intake",
        description="Serve the results history: a dashboard, agency, standard and"
        " run pages, badges and certificates, and the JSON API agencies push runs"
        " to. SQLite by default (no set-up); --database postgresql://... for a"
        " central deployment.",
    )
    serve.add_argument(
        "--database",
        metavar="URL",
        help="the results history: a SQLite file (default REPORTS_DIR/history.sqlite)"
        " or postgresql://user@host:port/database",
    )
    serve.add_argument(
        "--reports-dir", type=Path, metavar="DIR", help="where the default history is"
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    serve.add_argument(
        "--max-body",
        type=int,
        default=8 * 1024 * 1024,
        metavar="BYTES",
        help="largest report a push may send (default 8 MiB)",
    )
    serve.add_argument(
        "--pushes-per-minute",
        type=int,
        default=120,
        metavar="N",
        help="pushes one token may make in any minute (default 120)",
    )
    serve.add_argument(
        "--private",
        action="store_true",
        help="pages and the API need a token too (default: reading is public)",
    )
    actions = serve.add_subparsers(dest="serve_action", metavar="ACTION")
    tokens = actions.add_parser("tokens", help="agencies' push tokens")
    verbs = tokens.add_subparsers(dest="token_action", metavar="ACTION", required=True)
    issue = verbs.add_parser("issue", help="a new token for an agency (shown once)")
    issue.add_argument("agency", metavar="AGENCY", help="the agency's id (mia)")
    issue.add_argument("--note", help="what the token is for (a CI pipeline)")
    listing = verbs.add_parser("list", help="the tokens issued (never the tokens)")
    listing.add_argument(
        "agency", metavar="AGENCY", nargs="?", help="only this agency's tokens"
    )
    revoke = verbs.add_parser("revoke", help="revoke an agency's tokens")
    revoke.add_argument("agency", metavar="AGENCY", help="the agency's id (mia)")
    revoke.add_argument("--id", dest="token_id", help="only this token")


def _database(args: argparse.Namespace, settings: Settings) -> str:
    from conformance.history import history_location

    reports = args.reports_dir or Path(str(settings.get("reports_dir") or "reports"))
    location = history_location(args.database, reports, settings)
    return location.text if location.scheme != "sqlite" else str(location.path)


def dispatch_serve(
    args: argparse.Namespace, registry_path: Path | None, settings: Settings
) -> int:
    """Run ``conformance serve`` or one of its token actions."""
    database = _database(args, settings)
    if args.serve_action == "tokens":
        return _tokens(args, database)
    try:
        from conformance.server.app import Settings, serve
    except ImportError as exc:
        raise UsageError(
            f"conformance serve needs the server extra ({exc.name} is missing):"
            " pip install 'egov-conformance[server]'"
        ) from None
    serve(
        Settings(
            database=database,
            registry=Path(registry_path) if registry_path else None,
            max_body=args.max_body,
            pushes_per_minute=args.pushes_per_minute,
            public_read=not args.private,
        ),
        args.host,
        args.port,
    )
    return 0


def _tokens(args: argparse.Namespace, database: str) -> int:
    from conformance.history import open_history
    from conformance.history.central import issue_token, list_tokens, revoke_tokens

    store = open_history(database)
    try:
        if args.token_action == "issue":
            token, info = issue_token(store, args.agency, args.note)
            print(
                f"token {info.id} for agency {info.agency} (shown once; keep it in"
                f" the agency's CI secret {TOKEN_ENV}):\n{token}"
            )
        elif args.token_action == "list":
            for item in list_tokens(store, args.agency):
                state = f"revoked {item.revoked}" if item.revoked else "live"
                print(
                    f"{item.id}  {item.agency}  {item.created}  {state}"
                    f"  {item.note or ''}".rstrip()
                )
        else:
            revoked = revoke_tokens(store, args.agency, args.token_id)
            if not revoked:
                print(
                    f"agency {args.agency} has no live token to revoke", file=sys.stderr
                )
                return 1
            print(f"revoked {', '.join(revoked)}")
    finally:
        store.close()
    return 0


def add_push_parser(
    actions: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """``conformance report push URL``."""
    push_parser = actions.add_parser(
        "push",
        help="send a run's JSON report to the central service",
        description=f"Send a JSON report to the central service with the agency's"
        f" token, read from ${TOKEN_ENV} (never from an option, which would show in"
        " the process list and the CI log).",
    )
    push_parser.add_argument(
        "url",
        metavar="URL",
        help="the service, e.g. https://conformance.example.gov.az",
    )
    push_parser.add_argument(
        "--report",
        type=Path,
        default=Path("reports/conformance-report.json"),
        metavar="FILE",
        help="the report (default reports/conformance-report.json)",
    )
    push_parser.add_argument(
        "--token-env",
        default=TOKEN_ENV,
        metavar="NAME",
        help=f"the environment variable holding the token (default {TOKEN_ENV})",
    )


def push(args: argparse.Namespace) -> int:
    """Push a report; 0 stored (or already stored), 1 refused, 2 usage error."""
    import requests

    token = os.environ.get(args.token_env, "").strip()
    if not token:
        raise UsageError(
            f"no token: set ${args.token_env} to the agency's token (the executive"
            " group issues it with `conformance serve tokens issue AGENCY`)"
        )
    try:
        body = args.report.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"{args.report}: cannot read the report: {exc.strerror}"
        ) from None
    url = args.url.rstrip("/")
    if not url.endswith("/api/v1/runs"):
        url += "/api/v1/runs"
    try:
        reply = requests.post(
            url,
            data=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
            },
            timeout=60,
            # The token must not follow a redirect to another place.
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise UsageError(f"cannot reach {url}: {exc}") from None
    try:
        answer = reply.json()
    except ValueError:
        answer = {}
    if reply.status_code in (200, 201) and isinstance(answer, dict):
        what = "stored" if reply.status_code == 201 else "already stored (a retry)"
        print(f"run {answer.get('runId')} {what} at {answer.get('page')}")
        if answer.get("certificate"):
            print(f"certificate: {answer['certificate']}")
        return 0
    print(
        f"conformance: the service refused the report {args.report}: HTTP"
        f" {reply.status_code}",
        file=sys.stderr,
    )
    if isinstance(answer, dict) and answer.get("title"):
        print(f"  {answer['title']}: {answer.get('detail', '')}", file=sys.stderr)
        for error in answer.get("errors") or []:
            print(f"  {error.get('pointer')}: {error.get('detail')}", file=sys.stderr)
    else:
        print(f"  {reply.text[:500]}", file=sys.stderr)
    return 1


__all__ = ["add_push_parser", "add_serve_parser", "dispatch_serve", "push"]
