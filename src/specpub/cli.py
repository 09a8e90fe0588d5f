"""The ``specpub`` command.

Each area of specpub contributes its sub-commands from a private ``_cli``
module with a ``register(subparsers)`` function, the way papermill registers
engines by name: this module only assembles them and turns specpub's errors
into clear messages and exit codes.

Exit codes: 0 success, 1 repository or runtime failure, 2 bad input or usage,
3 finished with failed records (see ``specpub status``), 130 interrupted.

Examples
--------
>>> parser = build_parser()
>>> parser.prog
'specpub'
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from specpub import __version__
from specpub.errors import InputError, SpecpubError

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

#: Modules that contribute sub-commands, in help order.
COMMAND_MODULES = (
    "specpub.specimens._cli",
    "specpub.media._cli",
    "specpub.records._cli",
    "specpub.preservation._cli",
    "specpub.batch._cli",
    "specpub.sandbox._cli",
    "specpub.demo._cli",
    "specpub.notebook._cli",
    "specpub._whoami_cli",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="specpub",
        description=(
            "Publish digitised natural-history specimens (Darwin Core tables + images) "
            "to Zenodo and InvenioRDM, one DOI per specimen."
        ),
    )
    parser.add_argument("--version", action="version", version=f"specpub {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``specpub`` command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print(
            "specpub: interrupted; nothing is lost, run the same command again to resume.",
            file=sys.stderr,
        )
        return 130
    except InputError as err:
        print(f"specpub: error: {err}", file=sys.stderr)
        return 2
    except SpecpubError as err:
        print(f"specpub: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
