"""Helpers for the repository-client tests."""

from __future__ import annotations

import pytest

from specpub.repository import LegacyClient, NativeClient

from ._support import BASE, TOKEN, TOKEN_ENV


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """The NAME of an environment variable holding :data:`TOKEN`."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    return TOKEN_ENV


@pytest.fixture
def make_client(token_env):
    """``make_client(api, handler, **kwargs)`` over an ``httpx.MockTransport``."""
    import httpx

    made = []

    def factory(api: str, handler, **kwargs):
        cls = {"legacy": LegacyClient, "native": NativeClient}[api]
        kwargs.setdefault("token_env", token_env)
        client = cls(BASE, transport=httpx.MockTransport(handler), **kwargs)
        made.append(client)
        return client

    return factory
