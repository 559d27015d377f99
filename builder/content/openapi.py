"""OpenAPI 3 and Swagger 2 specs -> the parts of one operation that paper can print.

A spec file is read through the read gate (so editing it makes the manual stale) and parsed
with the space's bounded YAML loader (JSON is YAML's subset, read as JSON when it says so).
`$ref`s are resolved by `referencing` (python-jsonschema's JSON reference library): a
registry whose retriever reads the other files of the space through the gate, and refuses
remote ones and files outside the space. Schemas become an outline (fields with their type,
required mark, enum values, description); a schema that contains itself prints "↻ Name" where
it comes back, and the outline stops past MAX_DEPTH levels and MAX_FIELDS fields.

Problems inside a spec (a broken `$ref`) are collected, not raised: the operation prints what
it can, and the block reports each problem with its page line.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from builder.content.yamlsafe import load_yaml
from builder.errors import ContentError
from builder.gate import current

if TYPE_CHECKING:
    from referencing import Resource

MAX_DEPTH = 6  # nested objects shown; deeper ones print "…" (a reader stops long before)
MAX_FIELDS = 400  # fields in one outline: a spec that shares big schemas everywhere stays short
MAX_HOPS = 32  # a $ref to a $ref to …
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class SpecError(ContentError):
    """A spec that cannot be used at all: unreadable, not YAML/JSON, no such operation."""


@dataclass
class Field:
    """One line of a schema outline."""

    name: str  # the property name; "" for the schema itself
    type: str = ""  # "string (email)", "array of Pet", "object", "one of"
    required: bool = False
    enum: list[str] = field(default_factory=list)
    description: str = ""  # Markdown
    ref: str = ""  # the name of the schema it refers to (Pet), when it is one
    note: str = ""  # "↻ Pet" (a cycle), "…" (cut), "unresolved $ref …"
    children: list[Field] = field(default_factory=list)


@dataclass
class Parameter:
    name: str
    where: str  # path, query, header, cookie, formData
    type: str
    required: bool
    description: str
    enum: list[str] = field(default_factory=list)


@dataclass
class Body:
    media: str  # application/json
    schema: Field | None


@dataclass
class Response:
    status: str
    description: str
    bodies: list[Body] = field(default_factory=list)


@dataclass
class Operation:
    method: str  # lower case
    path: str
    summary: str = ""
    description: str = ""
    deprecated: bool = False
    server: str = ""
    parameters: list[Parameter] = field(default_factory=list)
    body_description: str = ""
    body_required: bool = False
    bodies: list[Body] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (what, hint)


# -- loading ------------------------------------------------------------------------------

Allowed = Callable[[Path], bool]  # may this file of a $ref be read (inside the space)?


def parse(data: bytes, name: str) -> Any:
    """A spec's bytes -> its document; SpecError saying where it is broken."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{name} is not UTF-8 text (byte {exc.start})",
                        hint="save the spec as UTF-8") from None  # fmt: skip
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text)
        except RecursionError:
            raise SpecError(
                f"{name}: JSON nested too deep to read", hint="flatten the spec"
            ) from None
        except json.JSONDecodeError as exc:
            raise SpecError(f"{name}:{exc.lineno}: invalid JSON: {exc.msg}",
                            hint="fix the spec") from None  # fmt: skip
    try:
        return load_yaml(text, what="an OpenAPI spec")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        hint = getattr(exc, "hint", None) or "fix the spec"
        raise SpecError(f"{name}{where}: invalid YAML: {problem}", hint=hint) from None


_PARSED: dict[str, Any] = {}  # content hash -> document: a spec of many blocks parsed once


def read(path: Path, name: str) -> Any:
    """A spec file read through the gate (recorded every time: the ledger's scope of each
    output must see it), parsed once for each content."""
    try:
        data, digest = current().read_hashed(path, what="OpenAPI spec")
    except IsADirectoryError:
        raise SpecError(f"{name} is a folder, not a spec file",
                        hint="point src= at the spec's YAML or JSON file") from None  # fmt: skip
    except OSError as exc:
        raise SpecError(f"cannot read {name}: {exc.strerror or exc}",
                        hint="check the file") from None  # fmt: skip
    if digest not in _PARSED:
        if len(_PARSED) >= 32:
            _PARSED.clear()
        _PARSED[digest] = parse(data, name)
    return _PARSED[digest]


def file_uri(path: Path) -> str:
    return Path(path).absolute().as_uri()


class Spec:
    """A parsed spec with the registry that resolves its `$ref`s."""

    def __init__(self, path: Path, name: str, allowed: Allowed, names: Callable[[Path], str]):
        self.name = name  # as messages give it: the path in the space
        self.uri = file_uri(path)
        self.document = read(path, name)
        if not isinstance(self.document, dict):
            raise SpecError(f"{name} is not an OpenAPI document (no mapping at its top)",
                            hint="point src= at an OpenAPI 3 or Swagger 2 file")  # fmt: skip
        self.allowed, self.names = allowed, names
        self._files: dict[str, Any] = {}
        # Imported with the first spec: referencing and attrs are 35 ms of every build else.
        from referencing import Registry, Resource

        registry: Registry[Any] = Registry(retrieve=self._retrieve)  # type: ignore[call-arg]
        self.resolver = registry.with_resource(self.uri, Resource.opaque(self.document)).resolver(
            base_uri=self.uri
        )
        self.swagger = str(self.document.get("swagger", "")).startswith("2")

    def _retrieve(self, uri: str) -> Resource[Any]:
        """Another file a $ref names: a file of the space, read through the gate."""
        from referencing import Resource

        if uri in self._files:
            return Resource.opaque(self._files[uri])
        parts = urllib.parse.urlsplit(uri)
        if parts.scheme != "file":
            raise SpecError("leads to a remote file, not read")
        path = Path(urllib.request.url2pathname(parts.path))
        if not self.allowed(path):
            raise SpecError(f"refused: {path.name} lies outside the space")
        if not current().is_file(path):
            raise SpecError(f"leads to a missing file: {self.names(path)}")
        try:
            document = read(path, self.names(path))
        except SpecError as exc:
            raise SpecError(f"leads to a broken file: {exc.message}") from None
        self._files[uri] = document
        return Resource.opaque(document)

    def paths(self) -> dict[str, Any]:
        found = self.document.get("paths")
        return found if isinstance(found, dict) else {}

    def operation(self, path: str, method: str) -> Operation:
        """The operation at path and method; SpecError when the spec has none."""
        paths = self.paths()
        key = path if path in paths else _similar(path, paths)
        if key is None:
            known = ", ".join(map(str, list(paths)[:6])) + (", …" if len(paths) > 6 else "")
            hint = f"paths there: {known}" if known else "the spec has no paths"
            raise SpecError(f"no path '{path}' in {self.name}", hint=hint)
        scope = _Scope(self, self.resolver, self.uri, ())
        try:
            item, scope, _ = scope.deref(paths[key], f"path {key}")
        except BrokenRef as exc:
            raise SpecError(f"{self.name}: $ref '{exc.ref}' of path {key} {exc.why}",
                            hint="fix the $ref in the spec") from None  # fmt: skip
        op = item.get(method.lower()) if isinstance(item, dict) else None
        if not isinstance(op, dict):
            there = [m.upper() for m in METHODS if isinstance(item, dict) and m in item]
            raise SpecError(f"no {method.upper()} operation for {key} in {self.name}",
                            hint=f"methods there: {', '.join(there)}" if there
                            else "fix the block's method= or the spec")  # fmt: skip
        return _Reader(self, scope, item, op, key, method.lower()).read()


def _similar(path: str, paths: dict[str, Any]) -> str | None:
    """The spec's key for a path written with or without its trailing slash."""
    for key in paths:
        if str(key).rstrip("/") == path.rstrip("/"):
            return str(key)
    return None


def ref_name(ref: str) -> str:
    """The name a reference is known by: #/components/schemas/Pet -> Pet."""
    fragment = ref.partition("#")[2]
    if fragment:
        last = fragment.rstrip("/").rsplit("/", 1)[-1]
        return urllib.parse.unquote(last).replace("~1", "/").replace("~0", "~")
    return Path(urllib.parse.urlsplit(ref).path).stem or ref


class BrokenRef(Exception):  # noqa: N818 -- a finding, carried to the operation's problems
    def __init__(self, ref: str, why: str) -> None:
        super().__init__(ref, why)  # both: a worker's exception is pickled to the parent
        self.ref, self.why = ref, why


@dataclass(frozen=True)
class _Scope:
    """Where a part of the spec was found: its file (for relative $refs), the refs above it."""

    spec: Spec
    resolver: Any
    base: str
    chain: tuple[str, ...]  # the absolute refs being expanded above this point

    def deref(self, node: Any, where: str) -> tuple[Any, _Scope, str]:
        """node with its $refs followed; the scope it was found in, and its schema name.

        BrokenRef when a $ref leads nowhere; a $ref back to one being expanded is returned
        as it is (the caller sees "$ref" still in it, and prints a cycle).
        """
        scope, name, hops = self, "", 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and hops < MAX_HOPS:
            ref = node["$ref"]
            # The key of the place a ref leads to (its file and fragment), as referencing finds it
            target = (
                scope.base + ref if ref.startswith("#") else urllib.parse.urljoin(scope.base, ref)
            )
            if target in scope.chain:
                return node, scope, ref_name(ref)
            from referencing.exceptions import Unresolvable

            try:
                resolved = scope.resolver.lookup(ref)
            except Unresolvable as exc:
                raise BrokenRef(ref, _why(exc)) from None
            base = urllib.parse.urldefrag(target)[0]
            scope = _Scope(scope.spec, resolved.resolver, base, (*scope.chain, target))
            name, hops = ref_name(ref), hops + 1
            extra = {k: v for k, v in node.items() if k in ("description", "summary")}
            node = resolved.contents
            if extra and isinstance(node, dict):  # OpenAPI 3.1: a $ref's own description wins
                node = {**node, **extra}
        return node, scope, name


def _why(exc: BaseException) -> str:
    """What made a reference unresolvable, in a few words."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, SpecError):
            return cause.message
        cause = cause.__cause__
    return "leads nowhere"


# -- reading an operation -----------------------------------------------------------------


class _Reader:
    """One operation read into an Operation, problems collected as they are met."""

    def __init__(self, spec: Spec, scope: _Scope, item: dict[str, Any], op: dict[str, Any],
                 path: str, method: str) -> None:  # fmt: skip
        self.spec, self.scope, self.item, self.op = spec, scope, item, op
        self.out = Operation(method, path)
        self.fields = 0

    def problem(self, what: str, hint: str) -> None:
        if (what, hint) not in self.out.problems:
            self.out.problems.append((what, hint))

    def broken(self, exc: BrokenRef, where: str) -> None:
        self.problem(f"{self.spec.name}: $ref '{exc.ref}' ({where}) {exc.why}",
                     "fix the $ref in the spec")  # fmt: skip

    def read(self) -> Operation:
        op, out = self.op, self.out
        out.summary = _text(op.get("summary"))
        out.description = _text(op.get("description"))
        out.deprecated = op.get("deprecated") is True
        out.server = self._server()
        for param in self._parameters():
            self._parameter(param)
        if not self.spec.swagger:
            self._request_body(op.get("requestBody"))
        responses = op.get("responses")
        for status, response in responses.items() if isinstance(responses, dict) else ():
            if str(status).startswith("x-"):
                continue
            self._response(str(status), response)
        return out

    def _server(self) -> str:
        doc = self.spec.document
        if self.spec.swagger:
            host = _text(doc.get("host"))
            schemes = doc.get("schemes")
            scheme = schemes[0] if isinstance(schemes, list) and schemes else "https"
            return f"{scheme}://{host}{_text(doc.get('basePath')).rstrip('/')}" if host else ""
        for servers in (self.op.get("servers"), self.item.get("servers"), doc.get("servers")):
            if isinstance(servers, list) and servers and isinstance(servers[0], dict):
                return _text(servers[0].get("url"))
        return ""

    def _parameters(self) -> list[tuple[dict[str, Any], _Scope]]:
        """Path-level parameters, then the operation's (which win by name and place)."""
        merged: dict[tuple[str, str], tuple[dict[str, Any], _Scope]] = {}
        for where, params in (("path", self.item.get("parameters")),
                              ("operation", self.op.get("parameters"))):  # fmt: skip
            for raw in params if isinstance(params, list) else ():
                try:
                    param, scope, _ = self.scope.deref(raw, "parameters")
                except BrokenRef as exc:
                    self.broken(exc, f"the {where} parameters")
                    continue
                if isinstance(param, dict) and "$ref" not in param:
                    merged[(_text(param.get("name")), _text(param.get("in")))] = (param, scope)
        return list(merged.values())

    def _parameter(self, found: tuple[dict[str, Any], _Scope]) -> None:
        param, scope = found
        where = _text(param.get("in"))
        if where == "body":  # Swagger 2: the request body is a parameter
            self.out.body_description = _text(param.get("description"))
            self.out.body_required = param.get("required") is True
            for media in self._media("consumes"):
                self.out.bodies.append(Body(media, self.outline(param.get("schema"), scope,
                                                                "the request body")))  # fmt: skip
            return
        schema = param.get("schema") if "schema" in param else param  # Swagger 2: inline type
        try:
            resolved, inner, name = scope.deref(schema, "a parameter")
            kind = self._type(resolved, inner, name) if isinstance(resolved, dict) else ""
            enum = _enum(resolved) if isinstance(resolved, dict) else []
        except BrokenRef as exc:
            self.broken(exc, f"parameter {_text(param.get('name'))}")
            kind, enum = "", []
        self.out.parameters.append(Parameter(
            _text(param.get("name")), where, kind,
            param.get("required") is True or where == "path",
            _text(param.get("description")), enum,
        ))  # fmt: skip

    def _media(self, key: str) -> list[str]:
        """Swagger 2's media types of the operation, else of the spec, else JSON."""
        for source in (self.op, self.spec.document):
            found = source.get(key)
            if isinstance(found, list) and found:
                return [_text(m) for m in found[:1]]  # one outline: they share the schema
        return ["application/json"]

    def _request_body(self, raw: Any) -> None:
        if raw is None:
            return
        try:
            body, scope, _ = self.scope.deref(raw, "the request body")
        except BrokenRef as exc:
            self.broken(exc, "the request body")
            return
        if not isinstance(body, dict):
            return
        self.out.body_description = _text(body.get("description"))
        self.out.body_required = body.get("required") is True
        self.out.bodies = self._content(body.get("content"), scope, "the request body")

    def _content(self, content: Any, scope: _Scope, where: str) -> list[Body]:
        if not isinstance(content, dict):
            return []
        return [
            Body(str(media), self.outline(value.get("schema"), scope, where)
                 if isinstance(value, dict) else None)
            for media, value in content.items()
        ]  # fmt: skip

    def _response(self, status: str, raw: Any) -> None:
        where = f"response {status}"
        try:
            response, scope, _ = self.scope.deref(raw, where)
        except BrokenRef as exc:
            self.broken(exc, where)
            self.out.responses.append(Response(status, ""))
            return
        if not isinstance(response, dict):
            return
        out = Response(status, _text(response.get("description")))
        if self.spec.swagger:
            if response.get("schema") is not None:
                out.bodies = [Body(m, self.outline(response["schema"], scope, where))
                              for m in self._media("produces")]  # fmt: skip
        else:
            out.bodies = self._content(response.get("content"), scope, where)
        self.out.responses.append(out)

    # -- schemas --------------------------------------------------------------------------

    def outline(self, schema: Any, scope: _Scope, where: str) -> Field | None:
        """The schema as a tree of fields (None when there is none)."""
        if not isinstance(schema, dict):
            return None
        return self._field("", schema, scope, where, 0)

    def _field(self, name: str, raw: Any, scope: _Scope, where: str, depth: int) -> Field:
        self.fields += 1
        out = Field(name)
        try:
            schema, inner, ref = scope.deref(raw, where)
        except BrokenRef as exc:
            self.broken(exc, where)
            out.note = f"unresolved $ref {exc.ref}"
            return out
        out.ref = ref
        if not isinstance(schema, dict):
            return out
        if "$ref" in schema:  # back to a schema being expanded above
            out.type, out.note = "object", f"↻ {ref}"
            out.description = _text(raw.get("description")) if isinstance(raw, dict) else ""
            return out
        out.description = _text(schema.get("description"))
        out.enum = _enum(schema)
        out.type = self._type(schema, inner, "")
        if depth >= MAX_DEPTH or self.fields >= MAX_FIELDS:
            if _has_children(schema):
                out.note = "…"
            return out
        out.children = self._children(schema, inner, where, depth)
        only = out.children[0] if len(out.children) == 1 else None
        if only is not None and not only.name and only.note and not only.children:
            out.note, out.children = only.note, []  # array of itself: "↻ Node" on its line
        return out

    def _type(self, schema: dict[str, Any], scope: _Scope, name: str, depth: int = 0) -> str:
        """The type as one phrase: "string (date-time)", "array of Pet", "string | null"."""
        kind = schema.get("type")
        kinds = [str(k) for k in kind] if isinstance(kind, list) else [str(kind)] if kind else []
        if not kinds:
            if any(k in schema for k in ("properties", "additionalProperties", "allOf")):
                kinds = ["object"]
            elif "oneOf" in schema or "anyOf" in schema:
                kinds = ["one of" if "oneOf" in schema else "any of"]
        if schema.get("nullable") is True and "null" not in kinds:
            kinds.append("null")
        if "array" in kinds:
            kinds[kinds.index("array")] = "array of " + self._items(
                schema.get("items"), scope, depth
            )
        text = " | ".join(kinds) or (name if name else "")
        fmt = _text(schema.get("format"))
        return f"{text} ({fmt})" if fmt else text

    def _items(self, items: Any, scope: _Scope, depth: int) -> str:
        if depth >= MAX_DEPTH:
            return "…"
        try:
            schema, inner, name = scope.deref(items, "array items")
        except BrokenRef as exc:
            return f"unresolved {exc.ref}"
        if not isinstance(schema, dict):
            return "any"
        if name:
            return name
        return self._type(schema, inner, "", depth + 1) or "any"

    def _children(self, schema: dict[str, Any], scope: _Scope, where: str,
                  depth: int) -> list[Field]:  # fmt: skip
        out: list[Field] = []
        for part in _list(schema.get("allOf")):  # allOf: the parts' fields, merged
            merged = self._field("", part, scope, where, depth)
            if merged.note:
                out.append(merged)
            for child in merged.children:
                out = [c for c in out if c.name != child.name or not c.name] + [child]
        required = {str(r) for r in _list(schema.get("required"))}
        properties = schema.get("properties")
        for key, value in properties.items() if isinstance(properties, dict) else ():
            out = [c for c in out if c.name != key]
            out.append(self._field(str(key), value, scope, where, depth + 1))
        for child in out:
            child.required = child.required or child.name in required
        for word in ("oneOf", "anyOf"):
            for number, part in enumerate(_list(schema.get(word)), 1):
                option = self._field("", part, scope, where, depth + 1)
                option.name = option.ref or f"option {number}"
                option.ref = ""
                out.append(option)
        items = schema.get("items")
        if isinstance(items, dict):  # an array's items: their fields under the array
            inner = self._field("", items, scope, where, depth)
            if inner.note:
                out.append(inner)
            out.extend(inner.children)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            value = self._field("", extra, scope, where, depth + 1)
            value.name = "additional properties"
            out.append(value)
        return out


def _has_children(schema: dict[str, Any]) -> bool:
    keys = ("properties", "allOf", "oneOf", "anyOf", "items", "additionalProperties")
    return any(k in schema for k in keys)


def _enum(schema: dict[str, Any]) -> list[str]:
    values = schema.get("enum")
    if "const" in schema:
        values = [schema["const"]]
    return [json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
            for v in _list(values)][:50]  # fmt: skip


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)
