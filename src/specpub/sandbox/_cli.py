"""``specpub sandbox serve`` and ``specpub sandbox profiles``."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

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
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    serve.add_argument(
        "--data",
        metavar="DIR",
        default=None,
        help="folder for the database and files (default: a temporary folder, removed at exit)",
    )
    token = serve.add_mutually_exclusive_group()
    token.add_argument("--token", default=None, help="bearer token to accept (default: generated)")
    token.add_argument(
        "--token-env",
        metavar="NAME",
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
        "--search-rate-limit", metavar="SPEC", default=None, help="e.g. '30/minute' or 'off'"
    )
    serve.add_argument("--doi-prefix", metavar="P", default="10.5072", help="default 10.5072")
    serve.add_argument(
        "--index-lag", metavar="S", type=float, default=0.0, help="search visibility delay (s)"
    )
    serve.add_argument("--seed", type=int, default=None, help="seed for fault injection")
    serve.add_argument(
        "--control-stdin",
        action="store_true",
        help=(
            "accept JSON control lines on stdin ({'faults': NAME or plan}, "
            "{'outage': [SECONDS, STATUS]}, {'clear_outages': true}, {'stats': true}); "
            "each gets one JSON line on stdout (used by running_subprocess)"
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


def _control(handle: Any, command: dict[str, Any]) -> dict[str, Any]:
    """Apply one control command to a running sandbox; the JSON-ready answer."""
    from specpub.sandbox.faults import FaultPlan

    if "faults" in command:
        spec = command["faults"]
        plan = FaultPlan.from_dict(spec) if isinstance(spec, dict) else spec
        return {"ok": True, "plan": handle.set_faults(plan).to_dict()}
    if "outage" in command:
        duration, status = command["outage"]
        handle.add_outage(float(duration), int(status))
        return {"ok": True}
    if command.get("clear_outages"):
        handle.clear_outages()
        return {"ok": True}
    if command.get("stats"):
        return {"ok": True, "stats": handle.fault_stats()}
    return {"ok": False, "error": f"unknown command {sorted(command)}"}


def _control_loop(handle: Any, stop: threading.Event) -> None:
    """Serve control lines from stdin until EOF (see ``--control-stdin``)."""
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = _control(handle, json.loads(line))
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


def _spec(value: str | None, option: str) -> Any:
    from specpub.sandbox.config import parse_rate_limits
    from specpub.sandbox.server import _DEFAULT

    if value is None:
        return _DEFAULT
    try:
        return parse_rate_limits(value)
    except ValueError as err:
        fix = "e.g. '100/minute;5000/hour' or 'off'"
        raise InputError(str(err), field=option, fix=fix) from None


def _serve(args: argparse.Namespace) -> int:
    from specpub.sandbox.faults import get_fault_profile
    from specpub.sandbox.server import start

    token = args.token
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            raise InputError(
                f"environment variable {args.token_env} is empty or not set",
                field="--token-env",
                fix=f"export {args.token_env}=... or pass --token",
            )
    if args.faults:
        get_fault_profile(args.faults)  # unknown name → InputError listing the names
    warning = _bind_warning(args.host)
    if warning:
        print(warning, file=sys.stderr)
    overrides: dict[str, Any] = {}
    if args.seed is not None:
        overrides["seed"] = args.seed
    try:
        handle = start(
            args.data,
            token=token,
            host=args.host,
            port=args.port,
            faults=args.faults,
            rate_limit=_spec(args.rate_limit, "--rate-limit"),
            search_rate_limit=_spec(args.search_rate_limit, "--search-rate-limit"),
            doi_prefix=args.doi_prefix,
            index_lag=args.index_lag,
            **overrides,
        )
    except OSError as err:
        raise InputError(str(err), field="--port", fix="pick another port, or 0") from None

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(handle.url, flush=True)
        if not token:
            print(f"token: {handle.token}", flush=True)
        where = args.data or f"{handle.data_dir} (temporary, removed at exit)"
        print(
            f"specpub sandbox: serving {handle.api_url} with data in {where}; Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        if args.control_stdin:
            threading.Thread(
                target=_control_loop, args=(handle, stop), name="sandbox-control", daemon=True
            ).start()
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        handle.stop()
    print("specpub sandbox: stopped", file=sys.stderr)
    return 0
