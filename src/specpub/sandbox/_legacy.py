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
from ._errors import ApiError, validation_error
from ._http import (
    Context,
    check_key,
    check_octet_stream,
    mimetype,
    removed_on_error,
    secure_filename,
)
from ._search import compile_query, pagination, sort_order
from ._store import RecordRow
from ._validation import legacy_clean, legacy_to_native, publish_errors


def legacy_slugs(body: dict, id_to_slug: dict[str, str]) -> list[str]:
    slugs = [id_to_slug.get(i, i) for i in body["parent"]["communities"]["ids"]]
    if body["is_draft"]:
        for s in body.get("custom_fields", {}).get("legacy:communities", []):
            if s not in slugs:
                slugs.append(s)
    return slugs


def routes(ctx: Context) -> list[Route]:
    store = ctx.store

    def deposition(rec: RecordRow, *, status: int = 200) -> JSONResponse:
        which = "draft" if rec.draft is not None else "record"
        body = store.body(rec, which)
        out = _render.legacy_deposition(
            body,
            ctx.base,
            files=body["files"]["entries"],
            bucket_id=rec.bucket_id,
            slugs=legacy_slugs(body, ctx.id_to_slug()),
        )
        return JSONResponse(out, status_code=status)

    def put_nonempty(rec: RecordRow, key: str, tmp: Path, size: int, md5: str) -> Any:
        if size == 0:
            raise ApiError(400, "Empty files are not accepted.")
        return store.put_object(rec, key, tmp, size, md5, mimetype(key))

    def today() -> str:
        return _dt.datetime.fromtimestamp(ctx.clock(), _dt.UTC).date().isoformat()

    async def native_from_request(request: Request, *, empty: Any = None) -> dict:
        body = await ctx.json_body(request, empty=empty)
        native = legacy_to_native(body, today=today(), doi_prefix=ctx.config.doi_prefix)
        return legacy_clean(native)

    # ------------------------------------------------------------------ collection

    async def list_depositions(request: Request) -> Response:
        user = ctx.user(request)
        assert user is not None
        params = request.query_params
        page, size = pagination(params, default_size=10)
        q = params.get("q")
        order = sort_order(params.get("sort"), has_query=bool(q and q.strip()))
        where, args = compile_query(q, ctx.slug_to_id())
        _, bodies = store.search(
            kind="user", owner=user.id, where=where, params=args, order=order, size=size, page=page
        )
        id_to_slug = ctx.id_to_slug()
        out = [
            _render.legacy_deposition(
                b,
                ctx.base,
                files=None if b["is_draft"] else b["files"].get("entries"),
                bucket_id=None,
                slugs=legacy_slugs(b, id_to_slug),
            )
            for b in bodies
        ]
        return JSONResponse(out)

    async def create(request: Request) -> Response:
        user = ctx.user(request)
        assert user is not None
        data = await native_from_request(request, empty={})
        rec = store.create_draft(user.id, data)
        return deposition(rec, status=201)

    # ------------------------------------------------------------------ item

    async def get_one(request: Request) -> Response:
        _, rec = ctx.own(request, request.path_params["id"])
        return deposition(rec)

    async def update(request: Request) -> Response:
        _, rec = ctx.own(request, request.path_params["id"])
        if rec.draft is None:
            raise ApiError(404)
        data = await native_from_request(request)
        return deposition(store.update_draft(rec, data))

    async def delete(request: Request) -> Response:
        _, rec = ctx.own(request, request.path_params["id"])
        if rec.draft is None:
            raise ApiError(404)
        store.delete_draft(rec)
        return Response(status_code=204)

    # ------------------------------------------------------------------ files

    def file_json(rec: RecordRow, f: Any, status: int = 200) -> JSONResponse:
        entry = _render.native_file_entry(f, rec.id, rec.bucket_id)
        published_view = rec.draft is None
        return JSONResponse(
            _render.legacy_file(ctx.base, rec.id, entry, published=published_view),
            status_code=status,
        )

    async def list_files(request: Request) -> Response:
        _, rec = ctx.own(request, request.path_params["id"])
        published_view = rec.draft is None
        return JSONResponse(
            [
                _render.legacy_file(
                    ctx.base,
                    rec.id,
                    _render.native_file_entry(f, rec.id, rec.bucket_id),
                    published=published_view,
                )
                for f in store.files(rec.id)
            ]
        )

    async def not_implemented(request: Request) -> Response:
        ctx.own(request, request.path_params["id"])
        raise ApiError(405, "The method is not allowed for the requested URL.")

    async def upload_form(request: Request) -> Response:
        _, rec = ctx.own(request, request.path_params["id"])
        if rec.draft is None:
            raise ApiError(404)
        if rec.record is not None:
            raise ApiError(403, "Permission denied.")
        tmp, size, md5, name = await _receive_multipart(ctx, request, rec)
        with removed_on_error(tmp):
            key = check_key(secure_filename(name))
            f = put_nonempty(rec, key, tmp, size, md5)
        return file_json(rec, f, 201)

    def file_by_id(rec: RecordRow, file_id: str) -> Any:
        f = store.file_by_id(rec.id, file_id)
        if f is None:
            raise ApiError(404, "File not found.")
        return f

    async def get_file(request: Request) -> Response:
        _, rec = ctx.own(request, request.path_params["id"])
        return file_json(rec, file_by_id(rec, request.path_params["file_id"]))

    async def delete_file(request: Request) -> Response:
        _, rec = ctx.own(request, request.path_params["id"])
        f = file_by_id(rec, request.path_params["file_id"])
        if rec.record is not None or rec.draft is None:
            raise ApiError(403, "Permission denied.")
        store.delete_file(rec, f.key)
        return Response(status_code=204)

    # ------------------------------------------------------------------ actions

    async def action(request: Request) -> Response:
        user, rec = ctx.own(request, request.path_params["id"])
        name = request.path_params["action"]
        if name == "publish":
            if rec.draft is None:
                raise ApiError(404)
            errors = publish_errors(
                rec.draft, [(f.size or 0, f.status) for f in store.files(rec.id)]
            )
            if errors:
                raise validation_error(errors)
            rec = store.publish(rec, doi_prefix=ctx.config.doi_prefix, user_name=user.name)
            return deposition(rec, status=202)
        if name == "edit":
            if rec.draft is not None:
                return deposition(rec, status=201)
            return deposition(store.edit(rec), status=201)
        if name == "discard":
            if rec.draft is None:
                raise ApiError(404)
            store.delete_draft(rec)
            return Response(status_code=204)
        if name == "newversion":
            if rec.record is None:
                raise ApiError(404)
            return deposition(store.new_version(rec, import_files=True), status=201)
        raise ApiError(404, "The requested URL was not found on the server.")

    # ------------------------------------------------------------------ bucket

    def bucket(request: Request) -> RecordRow:
        user = ctx.user(request)
        assert user is not None
        rec = store.by_bucket(request.path_params["bucket"])
        if rec is None:
            raise ApiError(404, "Bucket does not exist.")
        if rec.owner != user.id:
            raise ApiError(403, "Permission denied.")
        return rec

    def bucket_key(request: Request) -> str:
        return check_key(request.path_params["key"])

    async def bucket_list(request: Request) -> Response:
        rec = bucket(request)
        files = store.files(rec.id)
        return JSONResponse(
            {
                "id": rec.bucket_id,
                "size": sum(f.size or 0 for f in files),
                "quota_size": ctx.config.quota_bytes,
                "max_file_size": ctx.config.max_file_bytes,
                "locked": rec.record is not None,
                "contents": [
                    _render.bucket_object(ctx.base, rec.bucket_id, f)
                    for f in files
                    if f.status == "completed"
                ],
                "links": {"self": f"{ctx.base}/api/files/{rec.bucket_id}"},
            }
        )

    async def bucket_put(request: Request) -> Response:
        rec = bucket(request)
        key = bucket_key(request)
        check_octet_stream(request)
        if rec.record is not None or rec.draft is None:
            raise ApiError(403, "Bucket is locked: the record is published.")
        tmp, size, md5 = await ctx.receive_file(request, rec, key)
        with removed_on_error(tmp):
            f = put_nonempty(rec, key, tmp, size, md5)
        return JSONResponse(_render.bucket_object(ctx.base, rec.bucket_id, f), status_code=201)

    async def bucket_get(request: Request) -> Response:
        rec = bucket(request)
        f = store.file(rec.id, bucket_key(request))
        if f is None or f.blob is None or f.status != "completed":
            raise ApiError(404, "Object does not exists.")
        return download(store.blob_path(f), f)

    async def bucket_delete(request: Request) -> Response:
        rec = bucket(request)
        key = bucket_key(request)
        if rec.record is not None or rec.draft is None:
            raise ApiError(403, "Bucket is locked: the record is published.")
        store.delete_file(rec, key)
        return Response(status_code=204)

    dep = "/api/deposit/depositions"
    return [
        Route(dep, list_depositions, methods=["GET"]),
        Route(dep, create, methods=["POST"]),
        Route(dep + "/{id}", get_one, methods=["GET"]),
        Route(dep + "/{id}", update, methods=["PUT"]),
        Route(dep + "/{id}", delete, methods=["DELETE"]),
        Route(dep + "/{id}/files", list_files, methods=["GET"]),
        Route(dep + "/{id}/files", upload_form, methods=["POST"]),
        Route(dep + "/{id}/files", not_implemented, methods=["PUT"]),
        Route(dep + "/{id}/files/{file_id}", get_file, methods=["GET"]),
        Route(dep + "/{id}/files/{file_id}", delete_file, methods=["DELETE"]),
        Route(dep + "/{id}/files/{file_id}", not_implemented, methods=["PUT"]),
        Route(dep + "/{id}/actions/{action}", action, methods=["POST"]),
        Route("/api/files/{bucket}", bucket_list, methods=["GET"]),
        Route("/api/files/{bucket}/{key:path}", bucket_put, methods=["PUT"]),
        Route("/api/files/{bucket}/{key:path}", bucket_get, methods=["GET"]),
        Route("/api/files/{bucket}/{key:path}", bucket_delete, methods=["DELETE"]),
    ]


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
