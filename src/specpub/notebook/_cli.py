"""``specpub run``: run a notebook unattended through papermill.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="specpub")
>>> register(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["run", "nb.ipynb", "-p", "concurrency", "8", "--workspace", "ws"])
>>> args.param, args.workspace
([['concurrency', '8']], 'ws')
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from specpub.errors import InputError

__all__ = ["register"]


def _exit_code_epilog() -> str:
    from specpub.notebook._runner import EXIT_CODES

    lines = ["exit codes:"]
    lines += [f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES.items()]
    return "\n".join(lines)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """A scheduler's SIGTERM ends the run like Ctrl-C: the report is still written."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print_parameters(notebook: str, as_json: bool) -> int:
    from specpub.notebook import read_parameters

    params = read_parameters(notebook)
    if as_json:
        rows = [
            {"name": p.name, "type": p.type, "default": p.default, "help": p.help}
            for p in params.values()
        ]
        print(json.dumps(rows, indent=2))
        return 0
    width = max((len(n) for n in params), default=4)
    twidth = max((len(p.type) for p in params.values()), default=4)
    for p in params.values():
        print(f"{p.name:<{width}}  {p.type:<{twidth}}  default {p.default!r:<24}  {p.help}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from specpub.notebook import convert_values, read_parameters, run_notebook

    if args.list_parameters:
        return _print_parameters(args.notebook, args.json)
    params = read_parameters(args.notebook)
    texts: dict[str, str] = {}
    for name, value in args.param or []:
        if name in texts:
            raise InputError(
                f"parameter {name!r} is given twice", field=name, fix="pass each -p NAME once"
            )
        texts[name] = value
    values = convert_values(texts, params, notebook=args.notebook)
    with _sigterm_as_interrupt():
        run = run_notebook(
            args.notebook,
            values,
            workspace=args.workspace,
            out=args.out,
            kernel=args.kernel,
            timeout=args.timeout,
            cwd=args.cwd,
            prepare_only=args.prepare_only,
            echo=None if args.quiet else sys.stderr,
        )
    if args.json:
        print(json.dumps(run.report, indent=2, default=str))
    else:
        print(run.summary())
        for name, value in run.results.items():
            if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                print(f"  {name} ({len(value)}):")
                for item in value[:100]:
                    print(f"    {item}")
                if len(value) > 100:
                    print(f"    ... and {len(value) - 100} more (see report.json)")
                continue
            text = json.dumps(value, default=str)
            print(f"  {name}: {text if len(text) <= 200 else text[:197] + '...'}")
    return run.exit_code


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("the timeout must be more than 0 seconds")
    return value


def register(subparsers: Any) -> None:
    """Add ``specpub run`` to the ``specpub`` parser.

    Examples
    --------
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> register(sub)
    >>> "run" in sub.choices
    True
    """
    parser = subparsers.add_parser(
        "run",
        help="run a notebook unattended (papermill), into a run folder with report.json",
        description=(
            "Run a specpub notebook unattended through papermill. Parameter names and types "
            "are checked against the notebook's cell tagged 'parameters' before anything runs; "
            "'interactive' is False unless given. Each run writes a folder OUT/<time>-<name>/ "
            "with the executed notebook, run.log and report.json. Secrets are never "
            "parameters: pass the NAME of the token's environment variable (token_env)."
        ),
        epilog=_exit_code_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("notebook", metavar="NOTEBOOK", help="the .ipynb file to run")
    parser.add_argument(
        "-p",
        "--parameter",
        dest="param",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="set a parameter (converted to its declared type); repeat for more",
    )
    parser.add_argument(
        "--workspace",
        "-w",
        metavar="WS",
        help="the workspace folder (sets the 'workspace' parameter)",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="where run folders go (default: WS/runs with a workspace, else ./runs)",
    )
    parser.add_argument(
        "--kernel", default="python3", metavar="NAME", help="Jupyter kernel (python3)"
    )
    parser.add_argument(
        "--timeout",
        type=_timeout,
        metavar="SECONDS",
        help="fail a cell that runs longer than this (default: no limit)",
    )
    parser.add_argument(
        "--cwd", metavar="DIR", help="the kernel's working directory (default: the current one)"
    )
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="write the parameterised notebook without running it (workshops)",
    )
    parser.add_argument(
        "--list-parameters",
        action="store_true",
        help="print the notebook's parameters (name, type, default, help) and exit",
    )
    parser.add_argument("--json", action="store_true", help="print report.json instead")
    parser.add_argument("--quiet", action="store_true", help="do not echo the log to stderr")
    parser.set_defaults(handler=_run)
