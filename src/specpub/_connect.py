"""Which repository a stage talks to, and with which token: the ``to=`` story.

Every public function that talks to a repository takes ``to=``:

* a registered target name: ``"zenodo"``, ``"zenodo-sandbox"``, ``"embedded"``
  (then ``url=`` says where the embedded repository runs);
* the base URL of any InvenioRDM (``"https://data.example.org"``);
* a :class:`~specpub.repository.Target`;
* a running repository handle, such as the one ``specpub.running()``
  yields: its own URL, limits and token (nothing through ``os.environ``).

The token comes from the handle, or from ``auth=`` (a token provider), or
from the environment variable *named* by ``token_env=`` (keyring fallback).
Left out, ``to`` is the target the batch was planned for.

Examples
--------
>>> target_name("Zenodo"), target_name("embedded")
('zenodo', 'embedded')
>>> target_name("https://data.example.org/")
'https://data.example.org'
"""

from __future__ import annotations

from specpub.errors import InputError
from specpub.repository.targets import RunningRepository, Target, resolve_target

__all__ = ["TargetLike", "connect_target", "target_name"]

#: What ``to=`` accepts.
TargetLike = str | Target | RunningRepository


def target_name(to: TargetLike) -> str:
    """The name a batch is planned under for ``to`` (no URL needed for ``embedded``).

    Examples
    --------
    >>> class Handle:
    ...     url, token = "http://127.0.0.1:5000", "t"
    >>> target_name(Handle())
    'embedded'
    """
    return resolve_target(to, need_url=False).name


def connect_target(to: TargetLike | None, *, planned: str | None, url: str | None = None) -> Target:
    """The target to talk to: ``to`` (default: the ``planned`` one), checked against the plan.

    Parameters
    ----------
    to
        What the caller passed (see the module docstring), or ``None``.
    planned
        The target name the batch was planned for (``None``: nothing planned).
    url
        The base URL of a target given by name (the embedded repository's).

    Raises
    ------
    InputError
        Nothing planned and no ``to``; ``to`` is not the planned target; the
        embedded repository is named without saying where it runs.

    Examples
    --------
    >>> connect_target(None, planned="zenodo").base_url
    'https://zenodo.org'
    >>> connect_target("zenodo", planned="embedded")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: field 'to': the batch was planned for 'embedded', not 'zenodo'...
    """
    if to is None:
        if planned is None:
            raise InputError(
                "no repository given and nothing planned",
                fix="pass to= (a target name, an InvenioRDM URL, or specpub.running()'s handle)",
            )
        to = planned
    target = resolve_target(to, base_url=url, need_url=False)
    if planned is not None and target.name != planned:
        raise InputError(
            f"the batch was planned for {planned!r}, not {target.name!r}",
            field="to",
            fix="publish to the target the batch was planned for (or plan it again for "
            "this one); to try a batch offline, use specpub.rehearse",
        )
    if target.base_url is None:
        raise InputError(
            f"to={target.name!r} does not say where that repository runs",
            field="to",
            fix="pass the running repository itself: `with specpub.running() as sb: "
            "specpub.publish(ws, to=sb)`, or url='http://127.0.0.1:PORT' of a running "
            "`specpub sandbox serve` (with its token in the variable named by token_env=)",
        )
    return target
