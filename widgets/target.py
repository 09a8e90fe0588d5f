"""The target panel: where records go, and a token check before anything is sent.

A view over :func:`specpub.whoami` — the same call as ``specpub whoami --to
TARGET --token-env NAME``. Choose the embedded repository (offline, no
token), Zenodo's sandbox, Zenodo, or any InvenioRDM by URL; type the *name*
of the environment variable that holds the token (never the token: a value
that is not a variable name, or that is the content of one, is cleared from
the field at once so it cannot be saved with the notebook); *Check token*
asks the repository whose token it is and what it may do, in the background
(the notebook stays usable while a slow or unreachable server is waited
for, at most ``timeout`` seconds per answer). Other panels
(:class:`~specpub_widgets.RecordsPanel`) and the notebook's publish call read
the choice from :attr:`TargetPanel.target_kwargs`.

Examples
--------
>>> panel = TargetPanel("zenodo-sandbox", token_env="SANDBOX_TOKEN")
>>> panel.target_kwargs
{'to': 'zenodo-sandbox', 'url': None, 'token_env': 'SANDBOX_TOKEN'}
>>> panel.choice.value = "invenio"; panel.url_input.value = "https://data.example.org"
>>> panel.target_kwargs["to"], panel.checked is None
('https://data.example.org', True)
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
from specpub_widgets._base import Background, Panel
from specpub_widgets._views import frame_html

import specpub
from specpub.notebook import check_env_name

__all__ = ["TargetPanel"]

_CHOICES = (
    ("Embedded repository (offline, no token)", "embedded"),
    ("Zenodo sandbox (sandbox.zenodo.org, test DOIs)", "zenodo-sandbox"),
    ("Zenodo (zenodo.org, real DOIs)", "zenodo"),
    ("Another InvenioRDM (its https:// address)", "invenio"),
)
_NAMES = {value for _, value in _CHOICES}


class TargetPanel(Panel):
    """Choose the repository and check the token.

    Parameters
    ----------
    target
        ``"embedded"``, ``"zenodo-sandbox"``, ``"zenodo"`` or an InvenioRDM
        ``https://`` address.
    embedded
        The running embedded repository (``specpub.running()``,
        :func:`~specpub_widgets.embedded_repository`): it brings its own URL
        and token.
    url
        Where an embedded repository started elsewhere runs (``specpub sandbox
        serve``), when no handle is given.
    token_env
        The NAME of the environment variable holding the token.
    api
        ``"legacy"`` or ``"native"`` (default: the target's).
    timeout
        Seconds each answer of the check is awaited; a server that does not
        answer in time is reported as such.
    """

    def __init__(
        self,
        target: str = "embedded",
        *,
        embedded: Any = None,
        url: str | None = None,
        token_env: str = "ZENODO_TOKEN",  # noqa: S107 - the NAME of a variable
        api: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        super().__init__("target")
        self.embedded = embedded
        self.api = api
        self.timeout = timeout
        self.checked: Any = None
        self._choice_no = 0  # counts changes of the choice: a late answer for an old one is dropped
        self._checking_no: int | None = None
        self._worker = Background(on_done=self._checked_in_background, name="specpub-whoami")
        start = target if target in _NAMES else "invenio"
        self.choice = w.Dropdown(
            options=_CHOICES, value=start, description="Repository",
            layout=w.Layout(width="70%"), style={"description_width": "110px"},
        )  # fmt: skip
        self.url_input = w.Text(
            value=(target if start == "invenio" else url) or "",
            description="Address",
            placeholder="https://data.example.org",
            layout=w.Layout(width="70%"),
            style={"description_width": "110px"},
        )
        self.token_env_input = w.Text(
            value=token_env,
            description="Token variable",
            placeholder="ZENODO_TOKEN (the variable's NAME, never the token)",
            layout=w.Layout(width="70%"),
            style={"description_width": "110px"},
        )
        self.check_button = w.Button(description="Check token", icon="key", button_style="info")
        self._result = w.HTML()
        self._result.add_class("specpub-token-check")
        self.check_button.on_click(self.guarded(lambda _: self.start()))
        self.choice.observe(self.guarded(lambda _: self._changed()), names="value")
        self.url_input.observe(self.guarded(lambda _: self._changed()), names="value")
        self.token_env_input.observe(self.guarded(self._token_env_typed), names="value")
        self._set_children(
            w.HTML("<h4 style='margin:4px 0'>Where the records go</h4>"),
            self.choice,
            self.url_input,
            self.token_env_input,
            self.check_button,
            self._result,
        )
        self._changed()

    # -- the choice --------------------------------------------------------------------
    @property
    def to(self) -> Any:
        """What ``to=`` gets: the embedded handle, a target name, or the InvenioRDM URL."""
        choice = self.choice.value
        if choice == "embedded":
            return self.embedded if self.embedded is not None else "embedded"
        if choice == "invenio":
            return self.url_input.value.strip()
        return choice

    @property
    def url(self) -> str | None:
        """``url=``: only for an embedded repository given by address."""
        if self.choice.value == "embedded" and self.embedded is None:
            return self.url_input.value.strip() or None
        return None

    @property
    def token_env(self) -> str:
        """The NAME of the token's variable."""
        return self.token_env_input.value.strip()

    @property
    def target_kwargs(self) -> dict[str, Any]:
        """``to``, ``url`` and ``token_env`` for :func:`specpub.publish`, ``whoami``, ..."""
        return {"to": self.to, "url": self.url, "token_env": self.token_env}

    @property
    def ok(self) -> bool:
        """The current choice was checked and the token may list its records."""
        return self.checked is not None and self.checked.ok

    def _changed(self) -> None:
        choice = self.choice.value
        served = choice == "embedded" and self.embedded is not None
        self.url_input.layout.display = (
            "" if choice == "invenio" or (choice == "embedded" and not served) else "none"
        )
        self.url_input.description = "Address" if choice == "invenio" else "Running at"
        self.token_env_input.disabled = served
        self.checked = None
        self._choice_no += 1
        where = html.escape(_where(self.to))
        note = (
            "<br><b style='color:#b00020'>Records published here are permanent and get real "
            "DOIs.</b>"
            if choice == "zenodo"
            else ""
        )
        token = "its own token" if served else f"the token in ${html.escape(self.token_env or '?')}"
        self._result.value = f"<div>{where}, with {token}: not checked yet.{note}</div>"
        self.say("")

    def _token_env_typed(self, _change: Any = None) -> None:
        value = self.token_env
        if value:
            try:
                check_env_name("token variable", value)
            except specpub.InputError:
                # never keep (and save with the notebook) what may be the token itself
                self.token_env_input.value = ""
                self._changed()
                raise specpub.InputError(
                    "the token variable field takes the NAME of an environment variable "
                    "(such as ZENODO_TOKEN), not the token; what was typed is cleared",
                    fix="export ZENODO_TOKEN=... in the shell that starts JupyterLab, then "
                    "type ZENODO_TOKEN here",
                ) from None
        self._changed()

    # -- the check ---------------------------------------------------------------------
    @property
    def checking(self) -> bool:
        """Whether a check started by the button is still waiting for the server."""
        return self._worker.running

    def start(self) -> bool:
        """Check in the background (the *Check token* button); returns whether it started.

        The button shows *Checking…* and is disabled until the answer, a
        refusal or the timeout; the notebook stays usable meanwhile.
        """
        if self.checking:
            self.say("The token is being checked already …")
            return False
        kwargs = self._begin()
        self._checking_no = self._choice_no
        return self._worker.start(lambda: specpub.whoami(**kwargs))

    def wait(self, timeout: float | None = None) -> Any:
        """Block until a background check ends (tests, scripts); returns its result."""
        self._worker.join(timeout)
        return self.checked

    def check(self) -> Any:
        """Ask the repository whose token it is and what it may do, in this thread.

        Returns the :class:`specpub.TokenCheck`; a refused or missing token
        raises :class:`specpub.AuthenticationError`, a server that does not
        answer within ``timeout`` seconds :class:`specpub.Transient`.
        """
        kwargs = self._begin()
        try:
            check = specpub.whoami(**kwargs)
        except Exception as err:
            self._end(None, err)
            raise
        self._end(check, None)
        return check

    def _begin(self) -> dict[str, Any]:
        """Validate the choice and show that a check runs; the arguments of ``whoami``."""
        self.checked = None
        if self.choice.value == "invenio" and not self.url_input.value.strip():
            raise specpub.InputError(
                "no address given for the InvenioRDM repository",
                fix="type its https:// address (e.g. https://data.example.org)",
            )
        self.check_button.disabled = True
        self.check_button.description = "Checking…"
        self._result.value = (
            f"<div>{html.escape(_where(self.to))}: checking… (waiting up to "
            f"{self.timeout:g} s for each answer)</div>"
        )
        self.say("Checking the token … the notebook stays usable meanwhile.")
        return {**self.target_kwargs, "api": self.api, "timeout": self.timeout}

    def _checked_in_background(self, check: Any, error: BaseException | None) -> None:
        if self._checking_no != self._choice_no:  # the choice changed meanwhile
            self._ready_again()
            self.say("The repository or token changed during the check: check again.", "warning")
            return
        self._end(check, error)
        if error is not None:
            self.show_error(error)

    def _ready_again(self) -> None:
        self.check_button.disabled = False
        self.check_button.description = "Check token"

    def _end(self, check: Any, error: BaseException | None) -> None:
        """Show the outcome of a check (from either thread)."""
        self._ready_again()
        if error is not None:
            self._result.value = (
                f"<div style='color:#b00020'>{html.escape(_where(self.to))}: "
                "the token check failed (see below).</div>"
            )
            return
        self.checked = check
        self._show(check)
        if check.ok:
            self.say(f"Ready: records go to {_where(self.to)} as {check.user}.", "ok")
        else:
            self.say("This token cannot publish here: see the checks above.", "error")

    def require(self) -> Any:
        """Check (as the button does) and raise unless the token can publish here.

        A notebook's *Run All* stops at this cell before anything is sent;
        the panel stays on screen with the reason, to fix and check again.
        """
        self.guarded(self.check)()
        if self.checked is not None:
            return self.checked.require()
        raise self.errors[-1]

    def _show(self, check: Any) -> None:
        lines = "".join(f"<div>{html.escape(line)}</div>" for line in check.summary().splitlines())
        self._result.value = f"{lines}{frame_html(check.to_frame())}"


def _where(to: Any) -> str:
    url = getattr(to, "url", None)
    if url:
        return f"the embedded repository at {url}"
    if to == "embedded":
        return "the embedded repository"
    return str(to) or "(no address)"
