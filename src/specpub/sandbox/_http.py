"""Request plumbing shared by the route modules: auth, JSON bodies, streamed uploads, keys."""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import mimetypes
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request

from ._errors import ApiError
from ._store import RecordRow, Store

#: The base URL a request was addressed to (used when ``config.base_url`` has no real port).
request_base: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_base", default=None
)


@dataclass(frozen=True)
class User:
    """The authenticated caller."""

    id: int
    name: str


class Context:
    """What every route needs: config, store, clock, authentication."""

    def __init__(self, config: Any, store: Store, clock: Callable[[], float]) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self._user_ids: dict[str, int] = {}

    @property
    def base(self) -> str:
        """Base URL for links, read at request time (the server may set it after binding).

        While ``config.base_url`` still ends in port ``:0`` (not bound yet), links use the
        address the request was sent to.
        """
        url = str(self.config.base_url or "").rstrip("/")
        if not url or url.endswith(":0"):
            return request_base.get() or url
        return url

    def slug_to_id(self) -> dict[str, str]:
        return {c.slug: c.id for c in self.config.communities}

    def id_to_slug(self) -> dict[str, str]:
        return {c.id: c.slug for c in self.config.communities}

    # ------------------------------------------------------------------ auth

    def user(self, request: Request, *, required: bool = True) -> User | None:
        """Bearer header or ``access_token``; none → 403 (if required), unknown → 401."""
        token = None
        header = request.headers.get("authorization")
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() == "bearer" and value.strip():
                token = value.strip()
            else:
                raise ApiError(401)
        if token is None:
            token = request.query_params.get("access_token") or None
        if token is None:
            if required:
                raise ApiError(403, "Permission denied.")
            return None
        name = self.config.user_for(token)
        if name is None:
            raise ApiError(401)
        uid = self._user_ids.get(name)
        if uid is None:
            uid = self._user_ids[name] = self.store.user_id(name)
        return User(uid, name)

    def record(self, raw_id: str) -> RecordRow:
        """The record id from the path, or 404."""
        if not (raw_id.isascii() and raw_id.isdigit()) or len(raw_id) > 18:
            raise ApiError(404)
        rec = self.store.get(int(raw_id))
        if rec is None:
            raise ApiError(404)
        return rec

    def own(self, request: Request, raw_id: str) -> tuple[User, RecordRow]:
        user = self.user(request)
        assert user is not None
        rec = self.record(raw_id)
        if rec.owner != user.id:
            raise ApiError(403, "Permission denied.")
        return user, rec

    # ------------------------------------------------------------------ bodies

    async def json_body(self, request: Request, *, empty: Any = None) -> Any:
        """Parse a JSON body (415 for other content types, 413 when too big)."""
        ctype = request.headers.get("content-type")
        if ctype is not None:
            main = ctype.split(";", 1)[0].strip().lower()
            if main != "application/json" and not main.endswith("+json"):
                raise ApiError(
                    415, "Invalid 'Content-Type' header. Expected one of: application/json"
                )
        limit = int(self.config.max_json_body)
        length = request.headers.get("content-length")
        if length and length.isascii() and length.isdigit() and int(length) > limit:
            raise ApiError(413, f"Request body too large (limit {limit} bytes).")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, f"Request body too large (limit {limit} bytes).")
            chunks.append(chunk)
        raw = b"".join(chunks)
        if not raw.strip():
            if empty is not None:
                return empty
            raise ApiError(400, "Invalid JSON body: the body is empty.")
        try:
            return json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "Invalid JSON body: the body is not valid JSON.") from None

    async def receive_file(
        self, request: Request, rec: RecordRow, key: str
    ) -> tuple[Path, int, str]:
        """Stream the body to a temp file under data_dir; returns ``(path, size, md5hex)``."""
        store = self.store
        length = request.headers.get("content-length")
        if length and length.isascii() and length.isdigit():
            store.check_size(rec.id, key, int(length))
        tmp = store.new_temp_path()
        digest = hashlib.md5()  # noqa: S324 - a checksum, not security
        size = 0
        limit = int(self.config.max_file_bytes)
        with removed_on_error(tmp):
            with open(tmp, "wb") as fh:
                async for chunk in request.stream():
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > limit:
                        raise ApiError(400, "Maximum file size exceeded.")
                    digest.update(chunk)
                    fh.write(chunk)
            store.check_size(rec.id, key, size)
        return tmp, size, digest.hexdigest()


@contextlib.contextmanager
def removed_on_error(tmp: Path) -> Iterator[None]:
    """Remove the received temporary file ``tmp`` if the block raises (then re-raise)."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is out of range")
    return value


def check_octet_stream(request: Request) -> None:
    ctype = request.headers.get("content-type")
    if ctype is not None and ctype.split(";", 1)[0].strip().lower() != "application/octet-stream":
        raise ApiError(
            415, "Invalid 'Content-Type' header. Expected one of: application/octet-stream"
        )


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_key(key: str, *, allow_slash: bool = False) -> str:
    """Reject keys that are empty, too long, with control characters or path tricks.

    Examples
    --------
    >>> check_key("BR1_a.jpg")
    'BR1_a.jpg'
    >>> check_key("../x")
    Traceback (most recent call last):
    ...
    specpub.sandbox._errors.ApiError: 400 Invalid file key: '../x'.
    """
    if len(key) > 255:
        raise ApiError(400, "Filename is too long.")
    parts = key.split("/")
    if (
        not key
        or _CONTROL.search(key)
        or (len(parts) > 1 and not allow_slash)
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise ApiError(400, f"Invalid file key: {key!r}.")
    return key


def secure_filename(name: str) -> str:
    """Werkzeug-style: ASCII letters, digits, ``_.-``; spaces → ``_``.

    Examples
    --------
    >>> secure_filename("My cool  photo é.jpg"), secure_filename("../../etc/passwd")
    ('My_cool_photo_e.jpg', 'etc_passwd')
    """
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    for sep in ("/", "\\"):
        name = name.replace(sep, " ")
    name = re.sub(r"[^A-Za-z0-9_.-]", "", "_".join(name.split())).strip("._")
    return name


def mimetype(key: str) -> str:
    return mimetypes.guess_type(key, strict=False)[0] or "application/octet-stream"
