"""InvenioRDM native API: ``/api/records*``, ``/api/user/records``, ``/api/communities``.

Both ``application/json`` and ``application/vnd.inveniordm.v1+json`` get the native InvenioRDM
JSON (as on a generic InvenioRDM instance; zenodo.org would send its "Zenodo v1" shape for
plain ``application/json``). Other ``Accept`` values get 406.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from . import _render
from ._errors import ApiError, validation_error
from ._http import Context, check_key, check_octet_stream, mimetype, removed_on_error
from ._legacy import download
from ._search import compile_query, pagination, sort_order
from ._store import RecordRow
from ._validation import clean_native, publish_errors

#: ``Accept`` types → the JSON shape answered. Zenodo answers its "Zenodo v1" JSON to plain
#: JSON (ZRDM ``resources.py``); the InvenioRDM shape needs its own media type.
_SHAPES = {
    "application/vnd.inveniordm.v1+json": "native",
    "application/vnd.zenodo.v1+json": "v1",
    "application/json": "v1",
    "application/*": "v1",
    "*/*": "v1",
}


def check_accept(request: Request) -> str:
    """The JSON shape the request asks for (``"native"`` or ``"v1"``); 406 if none fits."""
    accept = request.headers.get("accept")
    if not accept:
        return "v1"
    for part in accept.split(","):
        shape = _SHAPES.get(part.split(";", 1)[0].strip().lower())
        if shape is not None:
            return shape
    raise ApiError(
        406,
        "Invalid 'Accept' header. Expected one of: application/json, "
        "application/vnd.inveniordm.v1+json, application/vnd.zenodo.v1+json",
    )


class _NativeApi:
    """The routes of this API over one :class:`Context` (each handler one method)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.store

    def shaped(self, request: Request, body: dict) -> dict:
        """A stored record body in the shape the request asked for (see :func:`check_accept`)."""
        if check_accept(request) == "native":
            return _render.native_response(body, self.ctx.base)
        slugs = [self.ctx.id_to_slug().get(i, i) for i in body["parent"]["communities"]["ids"]]
        return _render.zenodo_v1(body, self.ctx.base, slugs)

    def record_json(
        self,
        request: Request,
        rec: RecordRow,
        which: str,
        *,
        status: int = 200,
        errors: list | None = None,
    ) -> JSONResponse:
        body = self.store.body(rec, which)
        out = self.shaped(request, body)
        if errors and check_accept(request) == "native":  # the v1 shape has no errors
            out["errors"] = errors
        headers = {"ETag": f'"{body["revision_id"]}"'}
        return JSONResponse(out, status_code=status, headers=headers)

    def own_draft(self, request: Request) -> tuple[Any, RecordRow]:
        check_accept(request)
        user, rec = self.ctx.own(request, request.path_params["id"])
        if rec.draft is None:
            raise ApiError(404)
        return user, rec

    def editable(self, rec: RecordRow) -> None:
        if rec.record is not None:
            raise ApiError(403, "Permission denied. The files of a published record are locked.")

    # ------------------------------------------------------------------ drafts

    async def create(self, request: Request) -> Response:
        check_accept(request)
        user = self.ctx.user(request)
        assert user is not None
        body = await self.ctx.json_body(request, empty={})
        data, errors = clean_native(body, awards=self.ctx.config.awards)
        return self.record_json(
            request, self.store.create_draft(user.id, data), "draft", status=201, errors=errors
        )

    async def read_draft(self, request: Request) -> Response:
        _, rec = self.own_draft(request)
        return self.record_json(request, rec, "draft")

    async def update_draft(self, request: Request) -> Response:
        _, rec = self.own_draft(request)
        if_match = request.headers.get("if-match")
        expected = None
        if if_match:
            try:
                expected = int(if_match.strip().removeprefix("W/").strip('"'))
            except ValueError:
                raise ApiError(412, "The record revision does not match.") from None
        body = await self.ctx.json_body(request)
        data, errors = clean_native(body, awards=self.ctx.config.awards)
        rec = self.store.update_draft(rec, data, if_match=expected)
        return self.record_json(request, rec, "draft", errors=errors)

    async def delete_draft(self, request: Request) -> Response:
        _, rec = self.own_draft(request)
        self.store.delete_draft(rec)
        return Response(status_code=204)

    async def edit(self, request: Request) -> Response:
        check_accept(request)
        _, rec = self.ctx.own(request, request.path_params["id"])
        if rec.draft is None:
            rec = self.store.edit(rec)
        return self.record_json(request, rec, "draft", status=201)

    def check_publishable(self, rec: RecordRow) -> None:
        assert rec.draft is not None
        errors = publish_errors(
            rec.draft, [(f.size or 0, f.status) for f in self.store.files(rec.id)]
        )
        if errors:
            raise validation_error(errors)

    async def publish(self, request: Request) -> Response:
        user, rec = self.own_draft(request)
        assert rec.draft is not None
        review = rec.draft.get("review")
        if review and review["status"] == "submitted":
            raise ApiError(
                400, "The draft is under review: it is published when the community accepts it."
            )
        errors = publish_errors(
            rec.draft, [(f.size or 0, f.status) for f in self.store.files(rec.id)]
        )
        if errors:
            raise validation_error(errors)
        rec = self.store.publish(rec, doi_prefix=self.ctx.config.doi_prefix, user_name=user.name)
        return self.record_json(request, rec, "record", status=202)

    async def reserve_doi(self, request: Request) -> Response:
        _, rec = self.own_draft(request)
        assert rec.draft is not None
        if rec.draft.get("pids", {}).get("doi"):
            raise validation_error(
                [{"field": "pids.doi", "messages": ["A PID already exists for type doi"]}]
            )
        data = {k: rec.draft[k] for k in ("metadata", "custom_fields", "access", "files")}
        data["pids"] = {
            "doi": {
                "identifier": f"{self.ctx.config.doi_prefix}/zenodo.{rec.id}",
                "provider": "datacite",
                "client": "datacite",
            }
        }
        return self.record_json(request, self.store.update_draft(rec, data), "draft", status=201)

    async def new_version(self, request: Request) -> Response:
        check_accept(request)
        _, rec = self.ctx.own(request, request.path_params["id"])
        if rec.record is None:
            raise ApiError(404)
        return self.record_json(
            request, self.store.new_version(rec, import_files=False), "draft", status=201
        )

    async def files_import(self, request: Request) -> Response:
        _, rec = self.own_draft(request)
        self.store.import_files(rec)
        rec2 = self.store.get(rec.id)
        assert rec2 is not None
        return JSONResponse(self.files_list(rec2, draft=True), status_code=201)

    # ------------------------------------------------------------------ community review

    def request_json(self, review: dict) -> dict:
        out = dict(review)
        out["links"] = {
            "self": f"{self.ctx.base}/api/requests/{review['id']}",
            "actions": {
                name: f"{self.ctx.base}/api/requests/{review['id']}/actions/{name}"
                for name in ("accept", "decline", "cancel")
            },
        }
        return out

    def find_community(self, ident: Any) -> Any:
        for c in self.ctx.config.communities:
            if ident in (c.id, c.slug):
                return c
        return None

    async def put_review(self, request: Request) -> Response:
        user, rec = self.own_draft(request)
        body = await self.ctx.json_body(request)
        receiver = body.get("receiver") if isinstance(body, dict) else None
        ident = receiver.get("community") if isinstance(receiver, dict) else None
        if not isinstance(body, dict) or body.get("type") != "community-submission":
            raise validation_error(
                [{"field": "type", "messages": ["Must be 'community-submission'."]}]
            )
        community = self.find_community(ident)
        if community is None:
            raise validation_error(
                [{"field": "receiver.community", "messages": ["Community not found."]}]
            )
        if rec.record is not None:
            raise ApiError(400, "A published record cannot be submitted for review.")
        old = (rec.draft or {}).get("review")
        if old and old["status"] == "submitted":
            raise ApiError(400, "The draft is already under review; cancel it first.")
        review = {
            "id": old["id"] if old else str(uuid.uuid4()),
            "type": "community-submission",
            "status": "created",
            "is_open": False,
            "is_closed": False,
            "receiver": {"community": community.id},
            "topic": {"record": str(rec.id)},
            "created_by": {"user": str(user.id)},
        }
        self.store.set_review(rec, review)
        return JSONResponse(self.request_json(review))

    def draft_review(self, rec: RecordRow, *, missing: int) -> dict:
        review = (rec.draft or {}).get("review")
        if not review:
            raise ApiError(missing, "No review exists for this draft.")
        return review

    async def get_review(self, request: Request) -> Response:
        _, rec = self.own_draft(request)
        review = self.draft_review(rec, missing=404)
        return JSONResponse(self.request_json(review))

    async def delete_review(self, request: Request) -> Response:
        _, rec = self.own_draft(request)
        review = self.draft_review(rec, missing=404)
        if review["status"] == "submitted":
            raise ApiError(400, "The review is open: cancel the request instead.")
        self.store.set_review(rec, None)
        return Response(status_code=204)

    async def submit_review(self, request: Request) -> Response:
        user, rec = self.own_draft(request)
        body = await self.ctx.json_body(request, empty={})
        review = self.draft_review(rec, missing=400)
        if review["status"] == "submitted":
            raise ApiError(400, "The review was already submitted.")
        self.check_publishable(rec)
        community = self.find_community(review["receiver"]["community"])
        require_review = isinstance(body, dict) and body.get("require_review") is True
        review = dict(review, status="submitted", is_open=True)
        self.store.set_review(rec, review)
        if community is not None and user.name in community.owners and not require_review:
            self.store.publish(
                rec,
                doi_prefix=self.ctx.config.doi_prefix,
                user_name=user.name,
                include=(community.id,),
            )
            self.store.close_review(review["id"], "accepted")
            review = dict(review, status="accepted", is_open=False, is_closed=True)
        return JSONResponse(self.request_json(review), status_code=202)

    def review_request(self, request: Request) -> tuple[Any, dict, RecordRow | None, Any]:
        """The caller, the review request named in the path, its record and community."""
        user = self.ctx.user(request)
        assert user is not None
        found = self.store.review_request(request.path_params["request_id"])
        if found is None:
            raise ApiError(404, "The request does not exist.")
        review, rec = found
        return user, review, rec, self.find_community(review["receiver"]["community"])

    async def request_action(self, request: Request) -> Response:
        user, review, rec, community = self.review_request(request)
        action = request.path_params["action"]
        if review["status"] != "submitted" or rec is None or rec.draft is None:
            raise ApiError(400, f"The request cannot be {action}ed in state {review['status']}.")
        if action == "cancel":
            if user.id != rec.owner:
                raise ApiError(403, "Permission denied.")
            status = "cancelled"
        elif action in ("accept", "decline"):
            if community is None or user.name not in community.owners:
                raise ApiError(403, "Permission denied.")
            status = "accepted" if action == "accept" else "declined"
        else:
            raise ApiError(404, "The requested URL was not found on the server.")
        review = dict(review, status=status, is_open=False, is_closed=True)
        if status == "accepted":
            self.check_publishable(rec)
            self.store.set_review(rec, review)
            rec = self.store.get(rec.id)
            assert rec is not None
            self.store.publish(
                rec,
                doi_prefix=self.ctx.config.doi_prefix,
                user_name=user.name,
                include=(community.id,),
            )
            self.store.close_review(review["id"], status)
        else:
            self.store.set_review(rec, review)
        return JSONResponse(self.request_json(review))

    async def get_request(self, request: Request) -> Response:
        user, review, rec, community = self.review_request(request)
        owners = community.owners if community else ()
        if (rec is None or user.id != rec.owner) and user.name not in owners:
            raise ApiError(403, "Permission denied.")
        return JSONResponse(self.request_json(review))

    # ------------------------------------------------------------------ draft files

    def files_list(self, rec: RecordRow, *, draft: bool) -> dict:
        entries = [
            _render.native_file_entry(f, rec.id, rec.bucket_id) for f in self.store.files(rec.id)
        ]
        return _render.native_files_list(self.ctx.base, rec.id, entries, draft=draft)

    def entry_json(
        self, rec: RecordRow, f: Any, *, draft: bool = True, status: int = 200
    ) -> Response:
        entry = _render.native_file_entry(f, rec.id, rec.bucket_id)
        entry["links"] = _render.file_links(self.ctx.base, rec.id, f.key, draft=draft)
        return JSONResponse(entry, status_code=status)

    async def list_draft_files(self, request: Request) -> Response:
        _, rec = self.own_draft(request)
        return JSONResponse(self.files_list(rec, draft=True))

    async def init_files(self, request: Request) -> Response:
        _, rec = self.own_draft(request)
        self.editable(rec)
        body = await self.ctx.json_body(request)
        if not isinstance(body, list) or not body:
            raise ApiError(400, "Invalid JSON body: expected a non-empty list of {'key': …}.")
        keys = []
        for i, item in enumerate(body):
            if not isinstance(item, dict) or not isinstance(item.get("key"), str):
                raise validation_error([{"field": f"{i}.key", "messages": ["Missing key."]}])
            transfer = item.get("transfer")
            if isinstance(transfer, dict) and transfer.get("type", "L") != "L":
                raise ApiError(400, "Only local ('L') transfers are supported.")
            keys.append(check_key(item["key"], allow_slash=True))
        if len(set(keys)) != len(keys):
            raise ApiError(400, "Duplicate keys in the request.")
        self.store.init_files(rec, keys)
        rec2 = self.store.get(rec.id)
        assert rec2 is not None
        return JSONResponse(self.files_list(rec2, draft=True), status_code=201)

    async def delete_all_files(self, request: Request) -> Response:
        _, rec = self.own_draft(request)
        self.editable(rec)
        self.store.delete_all_files(rec)
        return Response(status_code=204)

    async def draft_file(self, request: Request) -> Response:
        _, rec = self.own_draft(request)
        rest = request.path_params["rest"]
        op = "meta"
        for suffix in ("/content", "/commit"):
            if rest.endswith(suffix):
                op, rest = suffix[1:], rest[: -len(suffix)]
                break
        key = check_key(rest, allow_slash=True)
        method = request.method
        if op == "content" and method == "PUT":
            self.editable(rec)
            check_octet_stream(request)
            existing = self.store.file(rec.id, key)
            if existing is None:
                raise ApiError(404, "File not found.")
            if existing.status == "completed":
                raise ApiError(400, f'File with key "{key}" is already committed.')
            tmp, size, md5 = await self.ctx.receive_file(request, rec, key)
            with removed_on_error(tmp):
                f = self.store.set_content(rec, key, tmp, size, md5, mimetype(key))
            return self.entry_json(rec, f)
        if op == "commit" and method == "POST":
            self.editable(rec)
            return self.entry_json(rec, self.store.commit_file(rec, key))
        f = self.store.file(rec.id, key)
        if f is None:
            raise ApiError(404, "File not found.")
        if op == "content" and method == "GET":
            if f.blob is None:
                raise ApiError(404, "File not found.")
            return download(self.store.blob_path(f), f)
        if op == "meta" and method == "GET":
            return self.entry_json(rec, f)
        if op == "meta" and method == "DELETE":
            self.editable(rec)
            self.store.delete_file(rec, key)
            return Response(status_code=204)
        raise ApiError(405)

    # ------------------------------------------------------------------ published

    def published(self, request: Request) -> RecordRow:
        check_accept(request)
        self.ctx.user(request, required=False)
        rec = self.ctx.record(request.path_params["id"])
        if rec.record is None:
            raise ApiError(404)
        return rec

    def redirect_to_record(self, record_id: int) -> Response:
        return RedirectResponse(f"{self.ctx.base}/api/records/{record_id}", status_code=302)

    def concept_latest(self, request: Request) -> int | None:
        """The latest published version when the path names a concept (parent) id."""
        raw = request.path_params["id"]
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            return None
        return self.store.concept_latest(int(raw))

    async def read_record(self, request: Request) -> Response:
        """A published record; a concept record id redirects to its latest version."""
        latest = self.concept_latest(request)
        if latest is not None:
            return self.redirect_to_record(latest)
        return self.record_json(request, self.published(request), "record")

    async def record_files(self, request: Request) -> Response:
        rec = self.published(request)
        return JSONResponse(self.files_list(rec, draft=False))

    async def record_file(self, request: Request) -> Response:
        rec = self.published(request)
        rest = request.path_params["rest"]
        content = rest.endswith("/content")
        key = rest[: -len("/content")] if content else rest
        f = self.store.file(rec.id, key)
        if f is None or f.status != "completed":
            raise ApiError(404, "File not found.")
        if content:
            if rec.record and rec.record["access"].get("files") == "restricted":
                user = self.ctx.user(request, required=False)
                if user is None or user.id != rec.owner:
                    raise ApiError(403, "Permission denied.")
            return download(self.store.blob_path(f), f)
        return self.entry_json(rec, f, draft=False)

    async def versions(self, request: Request) -> Response:
        rec = self.published(request)
        hits = [
            self.shaped(request, self.store.body(v, "record"))
            for v in self.store.versions(rec.parent_id)
            if v.record is not None
        ]
        hits.reverse()
        return JSONResponse({"hits": {"hits": hits, "total": len(hits)}})

    async def latest(self, request: Request) -> Response:
        """A 302 to the latest version, from any version's id or the concept id (IDR)."""
        latest = self.concept_latest(request)
        if latest is None:
            rec = self.published(request)
            latest = self.store.parent(rec.parent_id).latest_id or rec.id
        return self.redirect_to_record(latest)

    async def me(self, request: Request) -> Response:
        """The token's user (``GET /api/me``), as clients use to check a token."""
        user = self.ctx.user(request)
        assert user is not None
        return JSONResponse(
            {
                "id": str(user.id),
                "username": user.name,
                "active": True,
                "confirmed": True,
                "is_current_user": True,
                "profile": {"full_name": user.name, "affiliations": ""},
                "links": {"self": f"{self.ctx.base}/api/users/{user.id}"},
            }
        )

    # ------------------------------------------------------------------ search

    def search_response(
        self, request: Request, *, kind: str, owner: int | None, guest: bool
    ) -> dict:
        params = request.query_params
        page, size = pagination(params, max_size=25 if guest else 100)
        q = params.get("q")
        parts = [q] if q and q.strip() else []
        if kind == "public":
            for param, field in (("communities", "communities"), ("type", "type")):
                if params.get(param):
                    parts.append(f'{field}:"{params[param]}"')
        query = " AND ".join(f"({p})" for p in parts)
        order = sort_order(params.get("sort"), has_query=bool(q and q.strip()))
        where, args = compile_query(query, self.ctx.slug_to_id())
        all_versions = str(params.get("allversions", params.get("all_versions", ""))).lower()
        total, bodies = self.store.search(
            kind=kind,
            owner=owner,
            where=where,
            params=args,
            order=order,
            size=size,
            page=page,
            latest_only=kind == "public" and all_versions not in ("true", "1", "yes"),
        )
        hits = [self.shaped(request, b) for b in bodies]
        return {
            "hits": {"hits": hits, "total": total},
            "aggregations": {},
            "sortBy": params.get("sort") or ("bestmatch" if q else "newest"),
            "links": {"self": str(request.url.remove_query_params("access_token"))},
        }

    async def search_records(self, request: Request) -> Response:
        check_accept(request)
        user = self.ctx.user(request, required=False)
        return JSONResponse(
            self.search_response(request, kind="public", owner=None, guest=user is None)
        )

    async def search_user_records(self, request: Request) -> Response:
        check_accept(request)
        user = self.ctx.user(request)
        assert user is not None
        return JSONResponse(self.search_response(request, kind="user", owner=user.id, guest=False))

    def community_json(self, c: Any) -> dict:
        return {
            "id": c.id,
            "slug": c.slug,
            "metadata": {"title": c.title or c.slug},
            "access": {"visibility": "public"},
            "links": {
                "self": f"{self.ctx.base}/api/communities/{c.id}",
                "self_html": f"{self.ctx.base}/communities/{c.slug}",
            },
        }

    async def record_communities(self, request: Request) -> Response:
        rec = self.published(request)
        ids = self.store.parent(rec.parent_id).communities
        hits = [self.community_json(c) for c in self.ctx.config.communities if c.id in ids]
        return JSONResponse({"hits": {"hits": hits, "total": len(hits)}})

    async def add_record_communities(self, request: Request) -> Response:
        user, rec = self.ctx.own(request, request.path_params["id"])
        if rec.record is None:
            raise ApiError(404)
        body = await self.ctx.json_body(request)
        entries = body.get("communities") if isinstance(body, dict) else None
        if not isinstance(entries, list) or not entries:
            raise validation_error(
                [{"field": "communities", "messages": ["Missing data for required field."]}]
            )
        idents = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                raise validation_error(
                    [{"field": f"communities.{i}.id", "messages": ["Missing data."]}]
                )
            idents.append(entry["id"])
        processed, errors = self.store.add_communities(rec, idents, user.name)
        status = 200 if processed else 400
        return JSONResponse({"processed": processed, "errors": errors}, status_code=status)

    async def community(self, request: Request) -> Response:
        ident = request.path_params["slug"]
        for c in self.ctx.config.communities:
            if ident in (c.slug, c.id):
                return JSONResponse(self.community_json(c))
        raise ApiError(404, "The community does not exist.")

    def routes(self) -> list[Route]:
        r = "/api/records/{id}"
        return [
            Route("/api/records", self.create, methods=["POST"]),
            Route("/api/records", self.search_records, methods=["GET"]),
            Route("/api/user/records", self.search_user_records, methods=["GET"]),
            Route(r + "/draft", self.read_draft, methods=["GET"]),
            Route(r + "/draft", self.update_draft, methods=["PUT"]),
            Route(r + "/draft", self.delete_draft, methods=["DELETE"]),
            Route(r + "/draft", self.edit, methods=["POST"]),
            Route(r + "/draft/actions/publish", self.publish, methods=["POST"]),
            Route(r + "/draft/actions/files-import", self.files_import, methods=["POST"]),
            Route(r + "/draft/pids/doi", self.reserve_doi, methods=["POST"]),
            Route(r + "/draft/review", self.put_review, methods=["PUT"]),
            Route(r + "/draft/review", self.get_review, methods=["GET"]),
            Route(r + "/draft/review", self.delete_review, methods=["DELETE"]),
            Route(r + "/draft/actions/submit-review", self.submit_review, methods=["POST"]),
            Route("/api/requests/{request_id}", self.get_request, methods=["GET"]),
            Route(
                "/api/requests/{request_id}/actions/{action}", self.request_action, methods=["POST"]
            ),
            Route(r + "/draft/files", self.list_draft_files, methods=["GET"]),
            Route(r + "/draft/files", self.init_files, methods=["POST"]),
            Route(r + "/draft/files", self.delete_all_files, methods=["DELETE"]),
            Route(
                r + "/draft/files/{rest:path}",
                self.draft_file,
                methods=["GET", "PUT", "POST", "DELETE"],
            ),
            Route(r, self.read_record, methods=["GET"]),
            Route(r + "/files", self.record_files, methods=["GET"]),
            Route(r + "/files/{rest:path}", self.record_file, methods=["GET"]),
            Route(r + "/versions", self.versions, methods=["GET"]),
            Route(r + "/versions", self.new_version, methods=["POST"]),
            Route(r + "/versions/latest", self.latest, methods=["GET"]),
            Route(r + "/communities", self.record_communities, methods=["GET"]),
            Route(r + "/communities", self.add_record_communities, methods=["POST"]),
            Route("/api/communities/{slug}", self.community, methods=["GET"]),
            Route("/api/me", self.me, methods=["GET"]),
        ]


def routes(ctx: Context) -> list[Route]:
    """The Starlette routes of this API."""
    return _NativeApi(ctx).routes()
