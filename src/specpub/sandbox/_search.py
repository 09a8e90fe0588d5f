"""A subset of the OpenSearch ``query_string`` syntax, compiled to SQL over the search docs.

Supported: ``field:value``, ``field:"quoted phrase"``, escaped field names
(``custom_fields.dwc\\:catalogNumber:"BR1"``), ``AND`` / ``OR`` / ``NOT`` (also ``&&``, ``||``,
``!``, ``+``/``-`` prefixes), parentheses, value groups ``field:("a" OR "b")``, ranges
``field:[a TO b]`` / ``{a TO b}`` with ``*`` for open ends, ``field:*`` (exists), trailing ``*``
prefix match, ``is_published:true|false``, and Zenodo's legacy field aliases. As in OpenSearch,
juxtaposed clauses are joined with ``OR`` (the default operator) unless marked ``+`` (must) or
``-`` (must not). Anything else → 400 "Invalid query string syntax.".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ._errors import ApiError

#: Zenodo's legacy search aliases (ZRDM ``queryparser.py``) plus a few native shorthands.
ALIASES = {
    "title": "metadata.title",
    "description": "metadata.description",
    "doi": "pids.doi.identifier",
    "conceptdoi": "parent.pids.doi.identifier",
    "recid": "id",
    "conceptrecid": "parent.id",
    "keywords": "metadata.subjects.subject",
    "subjects": "metadata.subjects.subject",
    "related.identifier": "metadata.related_identifiers.identifier",
    "alternate.identifier": "metadata.identifiers.identifier",
    "communities": "parent.communities.ids",
    "creators.name": "metadata.creators.person_or_org.name",
    "owners": "parent.access.owned_by.user",
    "user": "parent.access.owned_by.user",
    "filename": "files.entries.key",
    "_files.checksum": "files.entries.checksum",
    "files.checksum": "files.entries.checksum",
    "publication_date": "metadata.publication_date",
    "type": "metadata.resource_type.props.type",
    "subtype": "metadata.resource_type.props.subtype",
    "resource_type": "metadata.resource_type.id",
    "language": "metadata.languages.id",
}
#: Fields held in columns of the ``docs`` table.
COLUMNS = {
    "id": "d.record_id",
    "parent.id": "d.parent_id",
    "is_published": "d.is_published",
    "created": "d.created",
    "updated": "d.updated",
    "metadata.publication_date": "d.publication_date",
    "parent.access.owned_by.user": "d.owner",
}
_INT_COLUMNS = {"id", "parent.id", "parent.access.owned_by.user"}
#: Analysed fields (OpenSearch ``text``): matched word by word, not as whole values.
TEXT_COLUMNS = {
    "metadata.title": "title",
    "metadata.description": "description",
    "metadata.creators.person_or_org.name": "creators",
    "metadata.identifiers.identifier": "identifiers",
}
_WORD = re.compile(r"[^\W_]+")


def fts_query(value: str, *, prefix: bool, column: str | None = None) -> str | None:
    """An FTS5 query matching ``value`` as analysed text: its words, in order (a phrase);
    ``prefix``: the last word may be the start of a word. ``None`` if it has no words.

    Examples
    --------
    >>> fts_query("Quercus robur", prefix=False, column="title")
    'title : "quercus robur"'
    >>> fts_query("herb", prefix=True), fts_query("!!", prefix=False)
    ('"herb"*', None)
    """
    words = _WORD.findall(value.lower())
    if not words:
        return None
    query = '"' + " ".join(words) + '"' + ("*" if prefix else "")
    return f"{column} : {query}" if column else query


SORTS = {
    "bestmatch": "d.created DESC, d.record_id DESC",
    "mostrecent": "d.created DESC, d.record_id DESC",
    "newest": "d.created DESC, d.record_id DESC",
    "-mostrecent": "d.created ASC, d.record_id ASC",
    "oldest": "d.created ASC, d.record_id ASC",
    "updated-desc": "d.updated DESC, d.record_id DESC",
    "updated-asc": "d.updated ASC, d.record_id ASC",
    "publication-desc": "d.publication_date DESC, d.record_id DESC",
    "publication-asc": "d.publication_date ASC, d.record_id ASC",
    # Zenodo's legacy options, as configured (LEGACY_SORT_OPTIONS): note the signs
    "publication_date": "d.publication_date DESC, d.record_id DESC",
    "-publication_date": "d.publication_date ASC, d.record_id ASC",
    "-bestmatch": "d.created ASC, d.record_id ASC",
    "version": "d.record_id DESC",
    "-version": "d.record_id ASC",
    "journal": "d.created DESC, d.record_id DESC",
    "mostviewed": "d.created DESC, d.record_id DESC",
    "mostdownloaded": "d.created DESC, d.record_id DESC",
}


def _syntax() -> ApiError:
    return ApiError(400, "Invalid query string syntax.")


@dataclass
class Tok:
    kind: str  # word, phrase, lparen, rparen, and, or, not, range, colon-word
    value: Any = None
    field: str | None = None


def tokenize(q: str) -> list[Tok]:
    """Split a query string into tokens (fields attached to their value)."""
    toks: list[Tok] = []
    i, n = 0, len(q)
    pending_field: str | None = None

    def emit(tok: Tok) -> None:
        nonlocal pending_field
        if pending_field is not None:
            if tok.kind not in ("word", "phrase", "range", "lparen"):
                raise _syntax()
            tok.field = pending_field
            pending_field = None
        toks.append(tok)

    while i < n:
        ch = q[i]
        if ch.isspace():
            if pending_field is not None:
                raise _syntax()
            i += 1
        elif ch == "(":
            emit(Tok("lparen"))
            i += 1
        elif ch == ")":
            if pending_field is not None:
                raise _syntax()
            toks.append(Tok("rparen"))
            i += 1
        elif ch == '"':
            j, buf = i + 1, []
            while j < n and q[j] != '"':
                if q[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(q[j])
                j += 1
            if j >= n:
                raise _syntax()
            emit(Tok("phrase", "".join(buf)))
            i = j + 1
        elif ch in "[{":
            closers = [k for k in (q.find("]", i), q.find("}", i)) if k != -1]
            if not closers:
                raise _syntax()
            j = min(closers)  # a range ends at the first ] or } (either bracket style)
            inner = q[i + 1 : j].strip()
            parts = inner.split(" TO ")
            if len(parts) != 2:
                raise _syntax()
            lo, hi = (p.strip().strip('"') for p in parts)
            if not lo or not hi:
                raise _syntax()
            emit(Tok("range", (lo, hi, ch == "[", q[j] == "]")))
            i = j + 1
        elif q.startswith("&&", i):
            toks.append(Tok("and"))
            i += 2
        elif q.startswith("||", i):
            toks.append(Tok("or"))
            i += 2
        elif ch in "!-+" and pending_field is None and (i == 0 or q[i - 1] in " (\t"):
            toks.append(Tok("must" if ch == "+" else "not"))
            i += 1
        else:
            j, buf = i, []
            while j < n and not q[j].isspace() and q[j] not in '()"[]{}':
                if q[j] == "\\":
                    if j + 1 >= n:
                        raise _syntax()
                    buf.append(q[j + 1])
                    j += 2
                    continue
                if q[j] == ":":
                    break
                buf.append(q[j])
                j += 1
            word = "".join(buf)
            if j < n and q[j] == ":":
                if not word or pending_field is not None:
                    raise _syntax()
                pending_field = word
                i = j + 1
                continue
            if not word:
                raise _syntax()
            if pending_field is None and word in ("AND", "OR", "NOT"):
                toks.append(Tok(word.lower()))
            else:
                emit(Tok("word", word))
            i = j
    if pending_field is not None:
        raise _syntax()
    return toks


class _Parser:
    def __init__(self, toks: list[Tok]) -> None:
        self.toks = toks
        self.i = 0

    def peek(self) -> Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise _syntax()
        self.i += 1
        return tok

    def parse(self) -> tuple:
        node = self.sequence(None)
        if self.peek() is not None:
            raise _syntax()
        return node

    def sequence(self, field: str | None) -> tuple:
        """Juxtaposed clauses, as query_string reads them (default operator OR).

        ``+x`` must match, ``-x`` / ``NOT x`` must not; plain clauses are optional when a
        ``+`` clause is present, otherwise at least one of them must match.
        """
        musts, nots, shoulds = [], [], []
        while (tok := self.peek()) is not None and tok.kind != "rparen":
            if tok.kind == "must":
                self.take()
                musts.append(self.unary(field))
                continue
            clause = self.or_expr(field)
            if clause[0] == "not":
                nots.append(clause[1])
            else:
                shoulds.append(clause)
        if not (musts or nots or shoulds):
            raise _syntax()
        parts = list(musts) + [("not", n) for n in nots]
        if shoulds and not musts:
            parts.append(shoulds[0] if len(shoulds) == 1 else ("or", shoulds))
        return parts[0] if len(parts) == 1 else ("and", parts)

    def or_expr(self, field: str | None) -> tuple:
        parts = [self.and_expr(field)]
        while (tok := self.peek()) is not None and tok.kind == "or":
            self.take()
            parts.append(self.and_expr(field))
        return parts[0] if len(parts) == 1 else ("or", parts)

    def and_expr(self, field: str | None) -> tuple:
        parts = [self.unary(field)]
        while (tok := self.peek()) is not None and tok.kind == "and":
            self.take()
            parts.append(self.unary(field))
        return parts[0] if len(parts) == 1 else ("and", parts)

    def unary(self, field: str | None) -> tuple:
        tok = self.peek()
        if tok is not None and tok.kind == "not":
            self.take()
            return ("not", self.unary(field))
        return self.primary(field)

    def primary(self, field: str | None) -> tuple:
        tok = self.take()
        if tok.kind == "lparen":
            node = self.sequence(tok.field or field)
            if self.take().kind != "rparen":
                raise _syntax()
            return node
        if tok.kind in ("word", "phrase", "range"):
            return ("term", tok.field or field, tok.kind, tok.value)
        raise _syntax()


def parse(q: str) -> tuple:
    """Parse a query into a small AST.

    Examples
    --------
    >>> parse('custom_fields.dwc\\\\:catalogNumber:("A" OR "B")')[0]
    'or'
    >>> parse("is_published:false AND title:x")
    ('and', [('term', 'is_published', 'word', 'false'), ('term', 'title', 'word', 'x')])
    >>> parse("a:1 a:2")[0], parse("+a:1 a:2"), parse("-a:1")
    ('or', ('term', 'a', 'word', '1'), ('not', ('term', 'a', 'word', '1')))
    """
    toks = tokenize(q)
    if not toks:
        return ("all",)
    return _Parser(toks).parse()


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Compiler:
    """Turn an AST into an SQL condition over ``docs d`` (and ``terms``)."""

    def __init__(self, slug_to_id: dict[str, str]) -> None:
        self.slug_to_id = slug_to_id
        self.params: list[Any] = []

    def compile(self, node: tuple) -> str:
        kind = node[0]
        if kind == "all":
            return "1=1"
        if kind in ("and", "or"):
            joiner = " AND " if kind == "and" else " OR "
            return "(" + joiner.join(self.compile(n) for n in node[1]) + ")"
        if kind == "not":
            return f"NOT ({self.compile(node[1])})"
        return self.term(node[1], node[2], node[3])

    def term(self, field: str | None, kind: str, value: Any) -> str:
        if field is None:
            return self.free_text(kind, str(value))
        field = ALIASES.get(field, field)
        if field.startswith("custom_fields.") and field.count(":") == 0:
            return "0=1"
        if field in COLUMNS:
            return self.column(field, kind, value)
        if kind == "word" and value == "*":
            self.params.append(field)
            return "d.doc_id IN (SELECT t.doc_id FROM terms t WHERE t.field=?)"
        if kind == "range":
            lo, hi, lo_inc, hi_inc = value
            conds = ["t.field=?"]
            self.params.append(field)
            if lo != "*":
                conds.append(f"t.value {'>=' if lo_inc else '>'} ?")
                self.params.append(lo)
            if hi != "*":
                conds.append(f"t.value {'<=' if hi_inc else '<'} ?")
                self.params.append(hi + "\uffff" if hi_inc else hi)
            return f"d.doc_id IN (SELECT t.doc_id FROM terms t WHERE {' AND '.join(conds)})"
        value = str(value)
        if field == "parent.communities.ids":
            value = self.slug_to_id.get(value, value)
        if field in TEXT_COLUMNS:
            prefix = kind == "word" and value.endswith("*")
            return self.text_match(
                fts_query(value.rstrip("*"), prefix=prefix, column=TEXT_COLUMNS[field])
            )
        if kind == "word" and value.endswith("*") and len(value) > 1:
            self.params += [field, f"{_like(value[:-1])}%"]
            return (
                "d.doc_id IN (SELECT t.doc_id FROM terms t WHERE t.field=? AND t.value LIKE ? "
                "ESCAPE '\\')"
            )
        if field == "files.entries.checksum" and not value.startswith("md5:"):
            value = f"md5:{value}"
        self.params += [field, value]
        return "d.doc_id IN (SELECT t.doc_id FROM terms t WHERE t.field=? AND t.value=?)"

    def text_match(self, query: str | None) -> str:
        if query is None:
            return "0=1"
        self.params.append(query)
        return "d.text_id IN (SELECT rowid FROM texts WHERE texts MATCH ?)"

    def free_text(self, kind: str, value: str) -> str:
        """A term with no field: the analysed fields' words, or any keyword value exactly."""
        if kind == "word" and value == "*":
            return "1=1"
        prefix = kind == "word" and value.endswith("*")
        text = self.text_match(fts_query(value.rstrip("*"), prefix=prefix))
        self.params.append(value)
        return f"({text} OR d.doc_id IN (SELECT t.doc_id FROM terms t WHERE t.value=?))"

    def column(self, field: str, kind: str, value: Any) -> str:
        col = COLUMNS[field]
        if kind == "word" and value == "*":
            return f"{col} IS NOT NULL"
        if field == "is_published":
            if str(value).lower() not in ("true", "false"):
                return "0=1"
            self.params.append(1 if str(value).lower() == "true" else 0)
            return f"{col}=?"
        if kind == "range":
            lo, hi, lo_inc, hi_inc = value
            conds = []
            for bound, inc, ops in ((lo, lo_inc, (">=", ">")), (hi, hi_inc, ("<=", "<"))):
                if bound == "*":
                    continue
                if field in _INT_COLUMNS:
                    try:
                        self.params.append(int(bound))
                    except ValueError:
                        return "0=1"
                else:
                    self.params.append(bound + "\uffff" if inc and ops[0] == "<=" else bound)
                conds.append(f"{col} {ops[0] if inc else ops[1]} ?")
            return "(" + " AND ".join(conds) + ")" if conds else "1=1"
        if field in _INT_COLUMNS:
            try:
                self.params.append(int(str(value)))
            except ValueError:
                return "0=1"
            return f"{col}=?"
        value = str(value)
        if kind == "word" and value.endswith("*"):
            self.params.append(f"{_like(value[:-1])}%")
            return f"{col} LIKE ? ESCAPE '\\'"
        self.params.append(f"{_like(value)}%")
        return f"{col} LIKE ? ESCAPE '\\'"


def compile_query(q: str | None, slug_to_id: dict[str, str]) -> tuple[str, list[Any]]:
    """``(sql_condition, params)`` for a query string (``""`` = everything)."""
    if q is None or not q.strip():
        return "", []
    compiler = Compiler(slug_to_id)
    sql = compiler.compile(parse(q))
    return sql, compiler.params


def pagination(params: Any, *, default_size: int = 25, max_size: int = 100) -> tuple[int, int]:
    """Validated ``(page, size)`` from query parameters (IRR's default size is 25)."""
    try:
        page = int(params.get("page", 1))
        size = int(params.get("size", default_size))
    except (TypeError, ValueError):
        raise ApiError(400, "Invalid pagination parameters.") from None
    if size > max_size:
        raise ApiError(400, f"Page size cannot be greater than {max_size}.")
    if page < 1 or size < 1 or page * size > 10_000:
        raise ApiError(400, "Invalid pagination parameters.")
    return page, size


def sort_order(name: str | None, *, has_query: bool) -> str:
    """SQL ORDER BY for a sort option (``bestmatch`` without a query → ``newest``)."""
    if not name:
        return SORTS["bestmatch" if has_query else "newest"]
    if name not in SORTS:
        raise ApiError(400, f"Invalid sort option '{name}'.")
    return SORTS[name]
