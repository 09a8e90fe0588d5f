"""Legacy Zenodo deposition API: ``/api/deposit/depositions*`` and ``/api/files/{bucket}``."""

from __future__ import annotations

import datetime as _dt
import hashlib
from pathlib import Path
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from . import _render
from ._errors import ApiError, internal_error, validation_error
from ._http import (
    Context,
    check_key,
    check_octet_stream,
    mimetype,
    removed_on_error,
    secure_filename,
)
from ._legacy_load import legacy_clean, legacy_to_native
from ._search import compile_query, pagination, sort_order
from ._store import RecordRow
from ._validation import publish_errors


def legacy_slugs(body: dict, id_to_slug: dict[str, str]) -> list[str]:
    slugs = [id_to_slug.get(i, i) for i in body["parent"]["communities"]["ids"]]
    if body["is_draft"]:
        for s in body.get("custom_fields", {}).get("legacy:communities", []):
            if s not in slugs:
                slugs.append(s)
    return slugs


class _LegacyApi:
    """The routes of this API over one :class:`Context` (each handler one method)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.store

    def deposition(self, rec: RecordRow, *, status: int = 200) -> JSONResponse:
        which = "draft" if rec.draft is not None else "record"
        body = self.store.body(rec, which)
        out = _render.legacy_deposition(
            body,
            self.ctx.base,
            files=body["files"]["entries"],
            bucket_id=rec.bucket_id,
            slugs=legacy_slugs(body, self.ctx.id_to_slug()),
            latest_draft_id=self.store.open_new_version(rec),
        )
        return JSONResponse(out, status_code=status)

    def put_nonempty(
        self, rec: RecordRow, key: str, tmp: Path, size: int, md5: str, *, replace: bool
    ) -> Any:
        if size == 0:
            raise ApiError(400, "Empty files are not accepted.")
        return self.store.put_object(rec, key, tmp, size, md5, mimetype(key), replace=replace)

    def today(self) -> str:
        return _dt.datetime.fromtimestamp(self.ctx.clock(), _dt.UTC).date().isoformat()

    async def native_from_request(self, request: Request, *, empty: Any = None) -> dict:
        body = await self.ctx.json_body(request, empty=empty)
        config = self.ctx.config
        native = legacy_to_native(
            body, today=self.today(), doi_prefix=config.doi_prefix, awards=config.awards
        )
        return legacy_clean(native, awards=config.awards)

    # ------------------------------------------------------------------ collection

    async def list_depositions(self, request: Request) -> Response:
        user = self.ctx.user(request)
        assert user is not None
        params = request.query_params
        page, size = pagination(params)
        q = params.get("q")
        order = sort_order(params.get("sort"), has_query=bool(q and q.strip()))
        where, args = compile_query(q, self.ctx.slug_to_id())
        _, bodies = self.store.search(
            kind="user", owner=user.id, where=where, params=args, order=order, size=size, page=page
        )
        id_to_slug = self.ctx.id_to_slug()
        out = [
            _render.legacy_deposition(
                b,
                self.ctx.base,
                files=None if b["is_draft"] else b["files"].get("entries"),
                bucket_id=None,
                slugs=legacy_slugs(b, id_to_slug),
            )
            for b in bodies
        ]
        return JSONResponse(out)

    async def create(self, request: Request) -> Response:
        user = self.ctx.user(request)
        assert user is not None
        data = await self.native_from_request(request, empty={})
        rec = self.store.create_draft(user.id, data)
        return self.deposition(rec, status=201)

    # ------------------------------------------------------------------ item

    async def get_one(self, request: Request) -> Response:
        _, rec = self.ctx.own(request, request.path_params["id"])
        return self.deposition(rec)

    async def update(self, request: Request) -> Response:
        _, rec = self.ctx.own(request, request.path_params["id"])
        if rec.draft is None:
            raise ApiError(404)
        data = await self.native_from_request(request)
        return self.deposition(self.store.update_draft(rec, data))

    async def delete(self, request: Request) -> Response:
        _, rec = self.ctx.own(request, request.path_params["id"])
        if rec.draft is None:
            raise ApiError(404)
        self.store.delete_draft(rec)
        return Response(status_code=204)

    # ------------------------------------------------------------------ files

    def file_object(self, rec: RecordRow, f: Any) -> dict:
        """A file as the files endpoint shows it (``filesize`` a float: ``fields.Number``)."""
        entry = _render.native_file_entry(f, rec.id, rec.bucket_id)
        out = _render.legacy_file(self.ctx.base, rec.id, entry, published=rec.draft is None)
        out["filesize"] = float(out["filesize"])
        return out

    def file_json(self, rec: RecordRow, f: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(self.file_object(rec, f), status_code=status)

    async def list_files(self, request: Request) -> Response:
        _, rec = self.ctx.own(request, request.path_params["id"])
        return JSONResponse([self.file_object(rec, f) for f in self.store.files(rec.id)])

    async def not_implemented(self, request: Request) -> Response:
        self.ctx.own(request, request.path_params["id"])
        raise ApiError(405, "The method is not allowed for the requested URL.")

    async def upload_form(self, request: Request) -> Response:
        _, rec = self.ctx.own(request, request.path_params["id"])
        if rec.draft is None:
            raise ApiError(404)
        if rec.record is not None:
            raise ApiError(403, "Permission denied.")
        tmp, size, md5, name = await _receive_multipart(self.ctx, request, rec)
        with removed_on_error(tmp):
            key = check_key(secure_filename(name))
            f = self.put_nonempty(rec, key, tmp, size, md5, replace=False)
        return self.file_json(rec, f, 201)

    def file_by_id(self, rec: RecordRow, file_id: str) -> Any:
        f = self.store.file_by_id(rec.id, file_id)
        if f is None:
            raise ApiError(404, "File not found.")
        return f

    async def get_file(self, request: Request) -> Response:
        _, rec = self.ctx.own(request, request.path_params["id"])
        return self.file_json(rec, self.file_by_id(rec, request.path_params["file_id"]))

    async def delete_file(self, request: Request) -> Response:
        _, rec = self.ctx.own(request, request.path_params["id"])
        f = self.file_by_id(rec, request.path_params["file_id"])
        if rec.record is not None or rec.draft is None:
            raise ApiError(403, "Permission denied.")
        self.store.delete_file(rec, f.key)
        return Response(status_code=204)

    # ------------------------------------------------------------------ actions

    async def action(self, request: Request) -> Response:
        user, rec = self.ctx.own(request, request.path_params["id"])
        handler = {
            "publish": self.publish,
            "edit": self.edit,
            "discard": self.discard,
            "newversion": self.new_version,
        }.get(request.path_params["action"])
        if handler is None:
            raise ApiError(404, "The requested URL was not found on the server.")
        return handler(user, rec)

    def publish(self, user: Any, rec: RecordRow) -> Response:
        if rec.draft is None:
            raise ApiError(404)
        errors = publish_errors(
            rec.draft, [(f.size or 0, f.status) for f in self.store.files(rec.id)]
        )
        if errors:
            raise validation_error(errors)
        rec = self.store.publish(rec, doi_prefix=self.ctx.config.doi_prefix, user_name=user.name)
        return self.deposition(rec, status=202)

    def edit(self, user: Any, rec: RecordRow) -> Response:
        if rec.draft is not None:
            return self.deposition(rec, status=201)
        return self.deposition(self.store.edit(rec), status=201)

    def discard(self, user: Any, rec: RecordRow) -> Response:
        if rec.draft is None:
            raise ApiError(404)
        self.store.delete_draft(rec)
        return Response(status_code=204)

    def new_version(self, user: Any, rec: RecordRow) -> Response:
        """The new-version draft, with the previous files imported *every time*.

        ZRDM's legacy resource calls ``new_version`` (which returns an open new-version
        draft) and then always ``import_files``: a repeat, once the draft has files, is a 400
        "Please remove all files first." (``docs/zenodo-api.md`` §7).
        """
        if rec.record is None:
            raise ApiError(404)
        draft = self.store.new_version(rec, import_files=False)
        self.store.import_files(draft)
        return self.deposition(self.store.reload(draft), status=201)

    # ------------------------------------------------------------------ bucket

    def bucket(self, request: Request) -> RecordRow:
        user = self.ctx.user(request)
        assert user is not None
        rec = self.store.by_bucket(request.path_params["bucket"])
        if rec is None:
            raise ApiError(404, "Bucket does not exist.")
        if rec.owner != user.id:
            raise ApiError(403, "Permission denied.")
        return rec

    def bucket_key(self, request: Request) -> str:
        return check_key(request.path_params["key"])

    async def bucket_list(self, request: Request) -> Response:
        """Listing a bucket crashes ZRDM's list serializer (it expects ``hits``): a 500."""
        rec = self.bucket(request)
        raise internal_error(f"bucket listing of {rec.bucket_id}: KeyError: 'hits'")

    async def bucket_put(self, request: Request) -> Response:
        rec = self.bucket(request)
        key = self.bucket_key(request)
        check_octet_stream(request)
        if rec.record is not None or rec.draft is None:
            raise ApiError(403, "Bucket is locked: the record is published.")
        tmp, size, md5 = await self.ctx.receive_file(request, rec, key)
        with removed_on_error(tmp):
            f = self.put_nonempty(rec, key, tmp, size, md5, replace=True)
        return JSONResponse(_render.bucket_object(self.ctx.base, rec.bucket_id, f), status_code=201)

    async def bucket_get(self, request: Request) -> Response:
        rec = self.bucket(request)
        f = self.store.file(rec.id, self.bucket_key(request))
        if f is None or f.blob is None or f.status != "completed":
            raise ApiError(404, "Object does not exists.")
        return download(self.store.blob_path(f), f)

    async def bucket_delete(self, request: Request) -> Response:
        rec = self.bucket(request)
        key = self.bucket_key(request)
        if rec.record is not None or rec.draft is None:
            raise ApiError(403, "Bucket is locked: the record is published.")
        self.store.delete_file(rec, key)
        return Response(status_code=204)

    def routes(self) -> list[Route]:
        dep = "/api/deposit/depositions"
        return [
            Route(dep, self.list_depositions, methods=["GET"]),
            Route(dep, self.create, methods=["POST"]),
            Route(dep + "/{id}", self.get_one, methods=["GET"]),
            Route(dep + "/{id}", self.update, methods=["PUT"]),
            Route(dep + "/{id}", self.delete, methods=["DELETE"]),
            Route(dep + "/{id}/files", self.list_files, methods=["GET"]),
            Route(dep + "/{id}/files", self.upload_form, methods=["POST"]),
            Route(dep + "/{id}/files", self.not_implemented, methods=["PUT"]),
            Route(dep + "/{id}/files/{file_id}", self.get_file, methods=["GET"]),
            Route(dep + "/{id}/files/{file_id}", self.delete_file, methods=["DELETE"]),
            Route(dep + "/{id}/files/{file_id}", self.not_implemented, methods=["PUT"]),
            Route(dep + "/{id}/actions/{action}", self.action, methods=["POST"]),
            Route("/api/files/{bucket}", self.bucket_list, methods=["GET"]),
            Route("/api/files/{bucket}/{key:path}", self.bucket_put, methods=["PUT"]),
            Route("/api/files/{bucket}/{key:path}", self.bucket_get, methods=["GET"]),
            Route("/api/files/{bucket}/{key:path}", self.bucket_delete, methods=["DELETE"]),
        ]


def routes(ctx: Context) -> list[Route]:
    """The Starlette routes of this API."""
    return _LegacyApi(ctx).routes()


def download(path: Path, f: Any) -> Response:
    """Serve a stored file with its checksum headers."""
    return FileResponse(
        path,
        media_type=f.mimetype or "application/octet-stream",
        headers={"ETag": f'"md5:{f.checksum}"', "Content-MD5": f.checksum or ""},
    )


async def _receive_multipart(
    ctx: Context, request: Request, rec: RecordRow
) -> tuple[Path, int, str, str]:
    """Stream a multipart/form-data upload (fields ``file`` and ``name``) under data_dir."""
    ctype, options = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or b"boundary" not in options:
        raise ApiError(400, "Expected a multipart/form-data body with a 'file' field.")
    tmp = ctx.store.new_temp_path()
    digest = hashlib.md5()  # noqa: S324 - a checksum
    state: dict[str, Any] = {"size": 0, "name": None, "filename": None, "field": None}
    header: dict[str, bytes] = {}
    cur = {"field": b"", "value": b""}
    name_buf = bytearray()
    fh = open(tmp, "wb")  # noqa: SIM115 - closed below
    limit = int(ctx.config.max_file_bytes)

    def on_header_field(data: bytes, start: int, end: int) -> None:
        cur["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        cur["value"] += data[start:end]

    def on_header_end() -> None:
        header[cur["field"].decode("latin-1").lower()] = cur["value"]
        cur["field"], cur["value"] = b"", b""

    def on_headers_finished() -> None:
        _, opts = parse_options_header(header.get("content-disposition", b""))
        state["field"] = opts.get(b"name", b"").decode("utf-8", "replace")
        if state["field"] == "file":
            state["filename"] = opts.get(b"filename", b"").decode("utf-8", "replace")
        header.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if state["field"] == "file":
            state["size"] += len(chunk)
            if state["size"] > limit:
                raise ApiError(400, "Maximum file size exceeded.")
            digest.update(chunk)
            fh.write(chunk)
        elif state["field"] == "name" and len(name_buf) < 4096:
            name_buf.extend(chunk)

    parser = MultipartParser(
        options[b"boundary"],
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
        },
    )
    with removed_on_error(tmp):
        try:
            try:
                async for chunk in request.stream():
                    parser.write(chunk)
                parser.finalize()
            finally:
                fh.close()
            if state["filename"] is None:
                raise ApiError(400, "Missing the 'file' field of the multipart upload.")
            name = name_buf.decode("utf-8", "replace") or state["filename"]
            ctx.store.check_size(rec.id, name, state["size"])
        except ApiError:
            raise
        except Exception as exc:
            raise ApiError(400, "Malformed multipart/form-data body.") from exc
    return tmp, state["size"], digest.hexdigest(), name
