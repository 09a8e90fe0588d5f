"""``specpub whoami``: the command line face of :func:`specpub.whoami`.

Kept apart from :mod:`specpub._whoami` so that building the ``specpub``
parser does not import the HTTP clients and pandas: they are imported when the
command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``specpub whoami`` to the command line."""
    p = subparsers.add_parser(
        "whoami",
        help="check a token: whose it is and what it may do (sends nothing else)",
        description=(
            "Check the access token before publishing: ask the repository whose it is "
            "(GET /api/me) and whether it may list the user's records and drafts. Nothing "
            "is created. Exit 0: the token is good; 1: refused or lacking the deposit "
            "scopes; 2: bad input (unknown target, variable not a name)."
        ),
    )
    from specpub._cliopts import add_json, add_target

    add_target(p, api_default="the target's")
    add_json(p)
    p.set_defaults(handler=_cmd_whoami)


def _cmd_whoami(args: argparse.Namespace) -> int:
    from specpub._cliopts import connect
    from specpub._whoami import whoami

    conn = connect(args)  # --to embedded: the running one, as every command finds it
    print(f"specpub: using {conn.description}", file=sys.stderr)
    check = whoami(conn.target, auth=conn.auth, api=args.api)
    if args.json:
        json.dump(check.to_dict(), sys.stdout, indent=2)
        print()
    else:
        print(check.summary())
    return 0 if check.ok else 1
