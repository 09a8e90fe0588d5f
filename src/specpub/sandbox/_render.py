"""JSON shapes: the native record, its links, files, and the legacy deposition projection."""

from __future__ import annotations

import datetime as _dt
from typing import Any
from urllib.parse import quote

from . import _vocabularies as vocab


def iso(t: float) -> str:
    """ISO-8601 UTC with ``+00:00``.

    Examples
    --------
    >>> iso(0)
    '1970-01-01T00:00:00+00:00'
    """
    return _dt.datetime.fromtimestamp(t, _dt.UTC).isoformat()


def qkey(key: str) -> str:
    """URL-encode a file key for a link (keeps ``/``)."""
    return quote(key, safe="/")


# --------------------------------------------------------------------------- files


def native_file_entry(f: Any, record_id: int, bucket_id: str) -> dict:
    """A native file entry (no links)."""
    return {
        "key": f.key,
        "id": f.file_id,
        "file_id": f.file_id,
        "version_id": f.version_id,
        "bucket_id": bucket_id,
        "checksum": f"md5:{f.checksum}" if f.checksum else None,
        "size": f.size or 0,
        "mimetype": f.mimetype,
        "status": f.status,
        "storage_class": "L",
        "created": f.created,
        "updated": f.updated,
        "metadata": {},
        "transfer": {"type": "L"},
    }


def file_links(base: str, record_id: int, key: str, *, draft: bool) -> dict:
    prefix = f"{base}/api/records/{record_id}{'/draft' if draft else ''}/files/{qkey(key)}"
    links = {"self": prefix, "content": f"{prefix}/content"}
    if draft:
        links["commit"] = f"{prefix}/commit"
    return links


def native_files_list(base: str, record_id: int, entries: list[dict], *, draft: bool) -> dict:
    out = []
    for e in entries:
        e = dict(e)
        e["links"] = file_links(base, record_id, e["key"], draft=draft)
        out.append(e)
    return {
        "enabled": True,
        "default_preview": None,
        "order": [],
        "entries": out,
        "links": {"self": f"{base}/api/records/{record_id}{'/draft' if draft else ''}/files"},
    }


def bucket_object(base: str, bucket_id: str, f: Any) -> dict:
    self_link = f"{base}/api/files/{bucket_id}/{qkey(f.key)}"
    return {
        "key": f.key,
        "mimetype": f.mimetype,
        "checksum": f"md5:{f.checksum}",
        "size": f.size,
        "version_id": f.version_id,
        "created": f.created,
        "updated": f.updated,
        "is_head": True,
        "delete_marker": False,
        "links": {
            "self": self_link,
            "version": f"{self_link}?version_id={f.version_id}",
            "uploads": f"{self_link}?uploads=1",
        },
    }


def legacy_file(base: str, record_id: int, entry: dict, *, published: bool) -> dict:
    """A legacy deposition file object: ``checksum`` without prefix, ``filesize``, ``filename``."""
    checksum = entry.get("checksum") or ""
    key = entry["key"]
    files_url = (
        f"{base}/api/records/{record_id}/files"
        if published
        else f"{base}/api/deposit/depositions/{record_id}/files"
    )
    return {
        "id": entry["file_id"],
        "filename": key,
        "filesize": entry.get("size", 0),
        "checksum": checksum.removeprefix("md5:"),
        "links": {
            "self": f"{files_url}/{entry['file_id']}",
            # hard-coded to the draft's content, also once published (ZRDM legacyjson.py)
            "download": f"{base}/api/records/{record_id}/draft/files/{qkey(key)}/content",
        },
    }


# --------------------------------------------------------------------------- native


def native_links(body: dict, base: str) -> dict:
    rid = body["id"]
    api = f"{base}/api/records/{rid}"
    links: dict[str, str] = {}
    if body["is_draft"]:
        links.update(
            {
                "self": f"{api}/draft",
                "self_html": f"{base}/uploads/{rid}",
                "files": f"{api}/draft/files",
                "publish": f"{api}/draft/actions/publish",
                "review": f"{api}/draft/review",
                "reserve_doi": f"{api}/draft/pids/doi",
                "record": api,
                "record_html": f"{base}/records/{rid}",
            }
        )
    else:
        links.update(
            {
                "self": api,
                "self_html": f"{base}/records/{rid}",
                "files": f"{api}/files",
                "draft": f"{api}/draft",
                "latest": f"{api}/versions/latest",
                "latest_html": f"{base}/records/{rid}/latest",
            }
        )
    links["versions"] = f"{api}/versions"
    links["parent"] = f"{base}/api/records/{body['parent']['id']}"
    doi = body.get("pids", {}).get("doi", {}).get("identifier")
    if doi:
        links["doi"] = f"https://doi.org/{doi}"
    parent_doi = body["parent"].get("pids", {}).get("doi", {}).get("identifier")
    if parent_doi:
        links["parent_doi"] = f"https://doi.org/{parent_doi}"
    return links


def native_response(body: dict, base: str) -> dict:
    """The body as served (adds ``links`` to the record and its file entries)."""
    out = dict(body)
    out["links"] = native_links(body, base)
    files = body.get("files")
    if isinstance(files, dict) and "entries" in files:
        files = dict(files)
        files["entries"] = {
            e["key"]: {
                **e,
                "links": file_links(base, body["id"], e["key"], draft=body["is_draft"]),
            }
            for e in files["entries"]
        }
        out["files"] = files
    return out


# --------------------------------------------------------------------------- legacy


def _legacy_person(entry: dict) -> dict:
    po = entry.get("person_or_org", {})
    if po.get("type") == "organizational":
        name = po.get("name", "")
    else:
        family, given = po.get("family_name", ""), po.get("given_name")
        name = f"{family}, {given}" if given else family
    out: dict[str, Any] = {"name": name}
    affs = entry.get("affiliations") or []
    if affs and isinstance(affs[0], dict) and affs[0].get("name"):
        out["affiliation"] = affs[0]["name"]
    for ident in po.get("identifiers", []) or []:
        if ident.get("scheme") in ("orcid", "gnd"):
            out[ident["scheme"]] = ident.get("identifier")
    return out


def legacy_metadata(body: dict, prereserve_id: int, slugs: list[str]) -> dict:
    md = body.get("metadata", {})
    cf = body.get("custom_fields", {})
    out: dict[str, Any] = {}
    if "title" in md:
        out["title"] = md["title"]
    rt = (md.get("resource_type") or {}).get("id")
    if rt:
        main, _, sub = rt.partition("-")
        out["upload_type"] = main
        if sub and main == "publication":
            out["publication_type"] = sub
        elif sub and main == "image":
            out["image_type"] = sub
    for key in ("publication_date", "description", "version"):
        if key in md:
            out[key] = md[key]
    if "creators" in md:
        out["creators"] = [_legacy_person(c) for c in md["creators"]]
    contributors = []
    for c in md.get("contributors", []):
        p = _legacy_person(c)
        role = (c.get("role") or {}).get("id")
        if role:
            p["type"] = vocab.ROLES.get(role, role)
        contributors.append(p)
    if contributors:
        out["contributors"] = contributors
    access = body.get("access", {})
    if access.get("embargo", {}).get("active"):
        out["access_right"] = "embargoed"
        out["embargo_date"] = access["embargo"].get("until")
    elif access.get("files") == "restricted":
        out["access_right"] = "restricted"
    else:
        out["access_right"] = "open"
    rights = md.get("rights") or []  # restricted/closed records have none by default
    if rights and rights[0].get("id"):
        out["license"] = vocab.LICENSE_LEGACY_NAMES.get(rights[0]["id"], rights[0]["id"])
    subjects = [s["subject"] for s in md.get("subjects", []) if "subject" in s]
    if subjects:
        out["keywords"] = subjects
    if cf.get("legacy:subjects"):
        out["subjects"] = cf["legacy:subjects"]
    for d in md.get("additional_descriptions", []):
        kind = (d.get("type") or {}).get("id")
        if kind == "notes":
            out["notes"] = d.get("description")
        elif kind == "methods":
            out["method"] = d.get("description")
    related = []
    for r in md.get("related_identifiers", []):
        relation = vocab.RELATION_TYPES.get((r.get("relation_type") or {}).get("id", ""), "")
        if not relation:
            continue
        item = {"identifier": r.get("identifier"), "relation": relation, "scheme": r.get("scheme")}
        if r.get("resource_type"):
            item["resource_type"] = r["resource_type"].get("id")
        related.append(item)
    for ident in md.get("identifiers", []):
        related.append(
            {
                "identifier": ident.get("identifier"),
                "relation": "isAlternateIdentifier",
                "scheme": ident.get("scheme"),
            }
        )
    if related:
        out["related_identifiers"] = related
    if md.get("references"):
        out["references"] = [r.get("reference") for r in md["references"]]
    if slugs:
        out["communities"] = [{"identifier": s} for s in slugs]
    grants = [
        legacy_grant_id(f["award"]["id"])
        for f in md.get("funding", [])
        if "id" in f.get("award", {})
    ]
    if grants:
        out["grants"] = [{"id": g} for g in grants]
    langs = md.get("languages") or []
    if langs:
        out["language"] = langs[0].get("id")
    locations = []
    for feat in (md.get("locations") or {}).get("features", []):
        loc: dict[str, Any] = {}
        if feat.get("place"):
            loc["place"] = feat["place"]
        if feat.get("description"):
            loc["description"] = feat["description"]
        coords = (feat.get("geometry") or {}).get("coordinates")
        if isinstance(coords, list) and len(coords) == 2:
            loc["lon"], loc["lat"] = coords
        locations.append(loc)
    if locations:
        out["locations"] = locations
    dates = [legacy_date(d) for d in md.get("dates", []) if isinstance(d.get("date"), str)]
    if dates:
        out["dates"] = dates
    if md.get("publisher"):
        out["imprint_publisher"] = md["publisher"]
    for cf_name, prefix in (("journal:journal", "journal_"), ("meeting:meeting", "conference_")):
        for k, v in (cf.get(cf_name) or {}).items():
            out[prefix + k] = v
    imprint = cf.get("imprint:imprint") or {}
    for k in ("isbn", "place"):
        if k in imprint:
            out[f"imprint_{k}"] = imprint[k]
    for k in ("title", "pages"):
        if k in imprint:
            out[f"partof_{k}"] = imprint[k]
    if (cf.get("thesis:thesis") or {}).get("university"):
        out["thesis_university"] = cf["thesis:thesis"]["university"]
    custom = {k: v for k, v in cf.items() if ":" in k and k.split(":", 1)[0] not in _INTERNAL_NS}
    if custom:
        out["custom"] = custom
    doi = body.get("pids", {}).get("doi", {}).get("identifier")
    if doi:
        out["doi"] = doi
    out["prereserve_doi"] = {"doi": f"10.5281/zenodo.{prereserve_id}", "recid": prereserve_id}
    return out


_INTERNAL_NS = frozenset({"legacy", "journal", "meeting", "imprint", "thesis"})


def legacy_date(d: dict) -> dict:
    """A date as the legacy serializer shows it: the type's lower-case id, and ``start``/
    ``end`` only for an interval (a single date shows neither: ZRDM ``DateSchema``).

    Examples
    --------
    >>> legacy_date({"date": "1890-05-01/1890-05-03", "type": {"id": "collected"}})
    {'type': 'collected', 'start': '1890-05-01', 'end': '1890-05-03'}
    >>> legacy_date({"date": "1890-05-01", "type": {"id": "collected"}})
    {'type': 'collected'}
    """
    item: dict[str, Any] = {"type": (d.get("type") or {}).get("id")}
    start, sep, end = d["date"].partition("/")
    if sep:
        item.update(start=start, end=end)
    if d.get("description"):
        item["description"] = d["description"]
    return item


def legacy_grant_id(award_id: str) -> str:
    """A legacy grant id: ``"<funder DOI>::<number>"``, the plain number for FP7 awards.

    Examples
    --------
    >>> legacy_grant_id("00k4n6c32::777483"), legacy_grant_id("00k4n6c32::312848")
    ('10.13039/501100000780::777483', '312848')
    """
    key = vocab.award_key(award_id)
    award = vocab.AWARDS_BY_KEY.get(key)
    return award.number if award is not None and award.program == "FP7" else key


def legacy_deposition(
    body: dict,
    base: str,
    *,
    files: list[dict] | None,
    bucket_id: str | None,
    slugs: list[str],
    latest_draft_id: int | None = None,
) -> dict:
    """Project a native body onto the legacy deposition JSON.

    ``files`` are native entries (``None`` = not available: shown as ``[]``); ``bucket_id``
    ``None`` leaves out ``links.bucket`` (list results). ``latest_draft_id``: the concept's
    open new-version draft, for ``links.latest_draft`` (default: this deposition).
    """
    rid = int(body["id"])
    published = body["is_published"]
    is_draft = body["is_draft"]
    state = "done" if published and not is_draft else ("inprogress" if published else "unsubmitted")
    api = f"{base}/api/deposit/depositions/{rid}"
    links: dict[str, str] = {}
    if is_draft:
        links.update({"self": api, "html": f"{base}/deposit/{rid}", "files": f"{api}/files"})
    else:
        links.update(
            {
                "self": f"{base}/api/records/{rid}",
                "html": f"{base}/records/{rid}",
                "files": f"{base}/api/records/{rid}/files",
            }
        )
    if bucket_id:
        links["bucket"] = f"{base}/api/files/{bucket_id}"
    links.update(
        {
            "latest_draft": f"{base}/api/deposit/depositions/{latest_draft_id or rid}",
            "latest_draft_html": f"{base}/deposit/{latest_draft_id or rid}",
            "publish": f"{api}/actions/publish",
            "edit": f"{api}/actions/edit",
            "discard": f"{api}/actions/discard",
            "newversion": f"{api}/actions/newversion",
        }
    )
    doi = body.get("pids", {}).get("doi", {}).get("identifier")
    if published:
        links.update(
            {
                "record": f"{base}/api/records/{rid}",
                "record_html": f"{base}/records/{rid}",
                "latest": f"{base}/api/records/{rid}/versions/latest",
                "latest_html": f"{base}/records/{rid}/latest",
            }
        )
    if doi:
        links["doi"] = f"https://doi.org/{doi}"
        links["badge"] = f"{base}/badge/doi/{doi}.svg"
    out: dict[str, Any] = {
        "id": rid,
        "record_id": rid,
        "conceptrecid": str(body["parent"]["id"]),
        "created": body["created"],
        "modified": body["updated"],
        "owner": body["parent"]["access"]["owned_by"]["user"],
        "title": body.get("metadata", {}).get("title", ""),
        "state": state,
        "submitted": bool(published),
        "files": [legacy_file(base, rid, e, published=not is_draft) for e in (files or [])],
        "metadata": legacy_metadata(body, rid, slugs),
        "links": links,
    }
    if doi:
        out["doi"] = doi
        out["doi_url"] = f"https://doi.org/{doi}"
    parent_doi = body["parent"].get("pids", {}).get("doi", {}).get("identifier")
    if parent_doi:
        out["conceptdoi"] = parent_doi
    return out


# --------------------------------------------------------------------------- Zenodo v1

#: Legacy metadata keys the "Zenodo v1" shape shares with the deposition shape.
_V1_SHARED = (
    "title",
    "doi",
    "publication_date",
    "description",
    "access_right",
    "embargo_date",
    "creators",
    "contributors",
    "keywords",
    "subjects",
    "related_identifiers",
    "locations",
    "dates",
    "version",
    "references",
    "language",
    "notes",
    "method",
)


def _v1_grant(funding: dict) -> dict | None:
    key = vocab.award_key(funding["award"]["id"])
    funder_doi, _, number = key.partition("::")
    funder = vocab.FUNDERS.get(funder_doi)
    award = vocab.AWARDS_BY_KEY.get(key)
    if funder is None:
        return None
    grant: dict[str, Any] = {
        "code": number,
        "internal_id": key,
        "funder": {"name": funder.name, "doi": funder.doi, "acronym": funder.acronym},
    }
    if award is not None:
        grant.update(title=award.title, acronym=award.acronym)
        if award.program:
            grant["program"] = award.program
    return grant


def zenodo_v1(body: dict, base: str, slugs: list[str]) -> dict:
    """A record in Zenodo's "Zenodo v1" JSON: what zenodo.org answers to ``application/json``
    on ``/api/records*`` (ZRDM ``resources.py``, ``legacy/serializers/schemas/zenodojson.py``).

    Third-party clients written for zenodo.org read ``conceptrecid``, ``metadata.version`` and
    ``files`` as a list of ``{id, key, size, checksum, links.self}`` from it.
    """
    links = native_links(body, base)
    rid = int(body["id"])
    legacy = legacy_metadata(body, rid, slugs)
    md: dict[str, Any] = {k: legacy[k] for k in _V1_SHARED if k in legacy}
    native_md = body.get("metadata", {})
    rt = (native_md.get("resource_type") or {}).get("id")
    if rt:
        main, _, sub = rt.partition("-")
        md["resource_type"] = {
            "type": main,
            **({"subtype": sub} if sub else {}),
            "title": (sub or main).replace("physicalobject", "physical object").capitalize(),
        }
    if "license" in legacy:
        md["license"] = {"id": legacy["license"]}
    grants = [g for f in native_md.get("funding", []) if (g := _v1_grant(f))]
    if grants:
        md["grants"] = grants
    if slugs:
        md["communities"] = [{"id": s} for s in slugs]
    cf = body.get("custom_fields", {})
    for name, cf_name in (
        ("journal", "journal:journal"),
        ("meeting", "meeting:meeting"),
        ("imprint", "imprint:imprint"),
        ("thesis", "thesis:thesis"),
    ):
        if cf.get(cf_name):
            md[name] = dict(cf[cf_name])
    md["relations"] = {
        "version": [
            {
                "index": body["versions"]["index"] - 1,
                "is_last": body["versions"]["is_latest"],
                "parent": {"pid_type": "recid", "pid_value": body["parent"]["id"]},
            }
        ]
    }
    files_url = links.get("files")
    files = [
        {
            "id": e["file_id"],
            "key": e["key"],
            "size": e["size"],
            "checksum": e["checksum"],
            "links": {"self": f"{files_url}/{qkey(e['key'])}/content"},
        }
        for e in body.get("files", {}).get("entries", [])
    ]
    is_published, is_draft = body["is_published"], body["is_draft"]
    out: dict[str, Any] = {
        "created": body["created"],
        "modified": body["updated"],
        "updated": body["updated"],
        "id": rid,
        "recid": str(rid),
        "conceptrecid": str(body["parent"]["id"]),
        "revision": body["revision_id"],
        "title": native_md.get("title", ""),
        "metadata": md,
        "files": files,
        "links": links,
        "owners": [{"id": body["parent"]["access"]["owned_by"]["user"]}],
        "status": "draft" if is_draft else "published",
        "state": "inprogress"
        if is_published and is_draft
        else ("done" if is_published else "unsubmitted"),
        "submitted": is_published,
        "swh": {},
        "stats": dict.fromkeys(
            (
                "downloads",
                "unique_downloads",
                "views",
                "unique_views",
                "volume",
                "version_downloads",
                "version_unique_downloads",
                "version_unique_views",
                "version_views",
                "version_volume",
            ),
            0,
        ),
    }
    doi = body.get("pids", {}).get("doi", {}).get("identifier")
    if doi:
        out.update(doi=doi, doi_url=f"https://doi.org/{doi}")
    parent_doi = body["parent"].get("pids", {}).get("doi", {}).get("identifier")
    if parent_doi:
        out["conceptdoi"] = parent_doi
    return out
