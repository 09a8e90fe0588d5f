"""``specpub sandbox serve`` and ``specpub sandbox profiles``."""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import re
import signal
import sys
import threading
from types import FrameType
from typing import Any

from specpub._runtime import announcing
from specpub.errors import InputError


def register(subparsers: Any) -> None:
    """Add the ``sandbox`` command and its sub-commands."""
    parser = subparsers.add_parser(
        "sandbox",
        help="run the embedded Zenodo-compatible repository",
        description="The embedded Zenodo-compatible repository (offline, for demos and tests).",
    )
    sub = parser.add_subparsers(dest="sandbox_command", metavar="SUBCOMMAND")
    parser.set_defaults(handler=lambda args: _help(parser))

    serve = sub.add_parser(
        "serve",
        help="serve the sandbox until Ctrl-C",
        description=(
            "Serve the embedded repository. Prints the base URL on the first line of "
            "stdout (and the token on the second, only if it generated one)."
        ),
    )
    serve.add_argument(
        "--config",
        metavar="FILE",
        default=None,
        help="a sandbox configuration (JSON, as written by SandboxConfig.to_file); "
        "the options below override it",
    )
    serve.add_argument(
        "--host", default=None, metavar="ADDRESS", help="address to bind (default 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=int, default=None, metavar="PORT", help="port; 0 picks a free one (default)"
    )
    serve.add_argument(
        "--data",
        metavar="DIR",
        default=None,
        help="folder for the database and files (default: a temporary folder, removed at exit)",
    )
    token = serve.add_mutually_exclusive_group()
    token.add_argument(
        "--token",
        default=None,
        metavar="TOKEN",
        help="bearer token to accept (default: generated); prefer --token-env",
    )
    token.add_argument(
        "--token-env",
        metavar="VAR",
        default=None,
        help="read the token from this environment variable (keeps it out of process listings)",
    )
    serve.add_argument(
        "--faults", metavar="PROFILE", default=None, help="fault profile (see 'sandbox profiles')"
    )
    serve.add_argument(
        "--rate-limit",
        metavar="SPEC",
        default=None,
        help="e.g. '100/minute;5000/hour' (the default) or 'off'",
    )
    serve.add_argument(
        "--search-rate-limit",
        metavar="SPEC",
        default=None,
        help="e.g. '30/minute' (the default unless --rate-limit is off) or 'off'",
    )
    serve.add_argument(
        "--doi-prefix", metavar="PREFIX", default=None, help="DOI prefix (default 10.5072)"
    )
    serve.add_argument(
        "--index-lag",
        metavar="SECONDS",
        type=float,
        default=None,
        help="seconds before changes show in search (default 1.0, as on Zenodo)",
    )
    serve.add_argument(
        "--seed", type=int, default=None, metavar="N", help="seed for fault injection"
    )
    serve.add_argument(
        "--control-stdin",
        action="store_true",
        help=(
            "accept JSON control lines on stdin ({'faults': NAME or plan}, "
            "{'outage': [SECONDS, STATUS]}, {'intercept': {...}}, {'refresh_index': true}, "
            "...; see specpub.sandbox.control); each gets one JSON line on stdout "
            "(used by running_subprocess; such a managed server is not announced to "
            "`--to embedded`)"
        ),
    )
    serve.set_defaults(handler=_serve)

    profiles = sub.add_parser("profiles", help="list the fault profiles")
    profiles.set_defaults(handler=_profiles)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _profiles(args: argparse.Namespace) -> int:
    from specpub.sandbox.faults import fault_profiles

    names = fault_profiles()
    width = max(len(n) for n in names)
    for name, text in names.items():
        print(f"{name:<{width}}  {text}")
    return 0


def _control_loop(handle: Any) -> None:
    """Serve control lines from stdin until EOF (see ``--control-stdin``)."""
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = handle._command(json.loads(line))
        except Exception as err:  # report, keep serving
            answer = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        print(json.dumps(answer), flush=True)


def _bind_warning(host: str) -> str | None:
    """A warning when ``host`` is not a loopback address (``None`` if it is)."""
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (
        f"specpub sandbox: warning: listening on {host}: the sandbox is then reachable from "
        "other machines; it is meant for loopback (127.0.0.1) only."
    )


def _config_from_args(args: argparse.Namespace) -> Any:
    """The :class:`SandboxConfig` to serve: ``--config`` with the options applied."""
    from specpub.sandbox.config import SandboxConfig
    from specpub.sandbox.faults import get_fault_profile

    try:
        config = SandboxConfig.from_file(args.config) if args.config else SandboxConfig()
    except (OSError, ValueError, TypeError) as err:
        raise InputError(
            f"cannot use the sandbox configuration: {err}",
            file=args.config,
            fix="write it with SandboxConfig.to_file(), or pass the options instead",
        ) from None
    token = args.token
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            # a value that does not look like a variable's name may be the token itself,
            # passed by mistake: it is not echoed (the sandbox shares no code with the
            # clients, so this is its own copy of their rule)
            name = args.token_env
            shown = bool(re.fullmatch(r"[A-Z_][A-Z0-9_]{0,39}|[a-z_][a-z0-9_]{0,39}", name)) and (
                "_" in name or len(name) < 20
            )
            what = f"environment variable {name}" if shown else (
                "environment variable named by --token-env (not shown: it does not look like "
                "a variable name)"
            )  # fmt: skip
            raise InputError(
                f"the {what} is empty or not set",
                field="--token-env",
                fix=f"export {name if shown else 'MY_TOKEN'}=... and pass its NAME to "
                "--token-env, or pass --token",
            )
    options = {
        "data_dir": args.data,
        "token": token,
        "host": args.host,
        "port": args.port,
        "faults": args.faults,
        "rate_limit": args.rate_limit,
        "search_rate_limit": args.search_rate_limit,
        "doi_prefix": args.doi_prefix,
        "index_lag": args.index_lag,
        "seed": args.seed,
    }
    if isinstance(config.faults, str) or args.faults:
        get_fault_profile(args.faults or config.faults)  # unknown → InputError listing names
    try:
        return config.changed(**{k: v for k, v in options.items() if v is not None})
    except ValueError as err:
        fix = "e.g. --rate-limit '100/minute;5000/hour' or 'off'; --index-lag 1.0"
        raise InputError(str(err), fix=fix) from None


def _serve(args: argparse.Namespace) -> int:
    from specpub.sandbox.server import start

    config = _config_from_args(args)
    warning = _bind_warning(config.host)
    if warning:
        print(warning, file=sys.stderr)
    try:
        handle = start(config)
    except OSError as err:
        raise InputError(str(err), field="--port", fix="pick another port, or 0") from None

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    announcement = contextlib.ExitStack()
    try:
        print(handle.url, flush=True)
        if config.token is None:
            print(f"token: {handle.token}", flush=True)
        where = config.data_dir or f"{handle.data_dir} (temporary, removed at exit)"
        print(
            f"specpub sandbox: serving {handle.api_url} with data in {where}; Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        if not args.control_stdin:
            announcement.enter_context(announcing(handle, token_env=args.token_env))
            print(
                "specpub sandbox: `specpub publish --to embedded` (reconcile, audit, summary) "
                "in another terminal will use this repository",
                file=sys.stderr,
                flush=True,
            )
        if args.control_stdin:
            threading.Thread(
                target=_control_loop, args=(handle,), name="sandbox-control", daemon=True
            ).start()
        while not stop.wait(0.5):
            pass
    finally:
        announcement.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        handle.stop()
    print("specpub sandbox: stopped", file=sys.stderr)
    return 0
