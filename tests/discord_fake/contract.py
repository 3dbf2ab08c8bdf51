"""Discord's HTTP contract: OpenAPI request-body validation plus message limits the schema leaves out."""

from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

log = logging.getLogger(__name__)

SPEC_URI = "urn:discord-openapi"

# Places where Discord's published OpenAPI file is stricter than Discord's live API, and where
# discord.py (correctly, for the live API) sends the looser form. Each patch is applied to the loaded
# copy of the schema, never to the shared file, and is listed here so nobody mistakes it for the spec.
SPEC_PATCHES: dict[str, str] = {
    "SnowflakeType": (
        "the spec allows only decimal strings, but Discord accepts integer snowflakes and discord.py sends "
        "integers, e.g. attachments[].id (the upload index) and allowed_mentions.users/roles"
    ),
    "*Request.default_member_permissions": (
        "the spec says integer; Discord documents and returns a string bitfield; discord.py sends a string"
    ),
}

# Rules Discord documents for application commands that its OpenAPI file does not express. The contract checks
# them on every command PUT/POST/PATCH, so a localisation the live API would refuse fails the tests here.
COMMAND_RULES: dict[str, str] = {
    "locale keys": (
        "the keys of name_localizations and description_localizations must be Discord locales; the schema's "
        "additionalProperties leaves the keys free, so they are checked against its own AvailableLocalesEnum"
    ),
    "names": (
        "command, subcommand and option names (and each of their name localisations) must match "
        "^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$ and be lowercase where the letter has a lowercase form"
    ),
    "uniqueness": "option names, and each localisation of them, must be unique among their siblings",
    "choices": "choice names and their localisations: 1 to 100 characters, keys Discord locales",
}

# Discord's message limits that the request schemas do not (or cannot) express.
CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000

# Identical bodies (e.g. the same reply to 1,000 invocations) are validated once.
MEMO_ENTRIES = 4096
MEMO_MAX_CHARS = 20_000


@dataclass(frozen=True)
class RouteMatch:
    """An OpenAPI path template that matched a concrete request path."""

    template: str
    params: dict[str, str]


def _pointer(*parts: str) -> str:
    """A URI fragment (JSON pointer) to the given nested keys."""
    return "/".join(quote(p.replace("~", "~0").replace("/", "~1"), safe="") for p in parts)


def _patch_spec(spec: dict[str, Any]) -> None:
    """Apply SPEC_PATCHES to an in-memory copy of the spec."""
    schemas = spec["components"]["schemas"]
    snowflake = schemas["SnowflakeType"]
    schemas["SnowflakeType"] = {"anyOf": [snowflake, {"type": "integer", "minimum": 0}]}
    for name, schema in schemas.items():
        props = schema.get("properties") if isinstance(schema, dict) else None
        if props and "default_member_permissions" in props and name.endswith("Request"):
            props["default_member_permissions"] = {
                "anyOf": [props["default_member_permissions"], {"type": "string", "pattern": "^[0-9]+$"}]
            }


def _json_path(parts: Iterator[Any] | list[Any]) -> str:
    """Render a jsonschema error path as $.a.b[0]."""
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _short(value: Any, limit: int = 80) -> str:
    """A short repr of a value for a problem message."""
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_error(error: ValidationError) -> str:
    """One readable line for a schema error, without dumping a huge instance."""
    path = _json_path(list(error.absolute_path))
    kw = error.validator
    inst = error.instance
    if kw in ("maxLength", "minLength") and isinstance(inst, str):
        return f"{path}: length {len(inst)} breaks {kw} {error.validator_value}"
    if kw in ("maxItems", "minItems") and isinstance(inst, list):
        return f"{path}: {len(inst)} items breaks {kw} {error.validator_value}"
    if kw == "type":
        return f"{path}: {_short(inst)} is not of type {error.validator_value}"
    if kw == "enum":
        return f"{path}: {_short(inst)} is not one of {error.validator_value}"
    if kw == "required":
        return f"{path}: {error.message}"
    if kw in ("anyOf", "oneOf") and error.context:
        deepest = best_match(error.context)
        return describe_error(deepest)
    return f"{path}: {kw} {_short(error.validator_value, 60)} failed for {_short(inst)}"


_COMMAND_ROUTE = re.compile(r"^/applications/\{application_id\}(/guilds/\{guild_id\})?/commands(/\{command_id\})?$")
# Scripts Discord allows beside letters and numbers: Devanagari and Thai (their vowel signs are marks).
_DEVA_THAI = ((0x0900, 0x097F), (0x0E00, 0x0E7F))


def command_name_problem(name: Any) -> str | None:
    """Why `name` is not a valid chat-input command or option name on Discord, or None."""
    if not isinstance(name, str):
        return f"{_short(name)} is not a string"
    if not 1 <= len(name) <= 32:
        return f"{name!r} is {len(name)} characters (1 to 32 allowed)"
    for ch in name:
        allowed = (
            ch in "-_'" or unicodedata.category(ch)[0] in "LN" or any(lo <= ord(ch) <= hi for lo, hi in _DEVA_THAI)
        )
        if not allowed:
            return f"{name!r} has {ch!r}, which Discord does not allow in names"
        if ch.lower() != ch:
            return f"{name!r} is not lowercase"
    return None


def _localisation_problems(where: str, node: dict[str, Any], key: str, locales: set[str]) -> list[str]:
    out: list[str] = []
    mapping = node.get(key)
    if mapping is None:
        return out
    if not isinstance(mapping, dict):
        return [f"{where}.{key}: not an object"]
    for locale, value in mapping.items():
        if locale not in locales:
            out.append(f"{where}.{key}: {locale!r} is not a Discord locale")
        if key == "name_localizations" and where.split(".")[-1] != "choice":
            problem = command_name_problem(value)
            if problem:
                out.append(f"{where}.{key}[{locale}]: {problem}")
    return out


def command_problems(body: Any, locales: set[str]) -> list[str]:
    """Problems with an application-command body (or a PUT's list of them) under COMMAND_RULES."""
    commands = body if isinstance(body, list) else [body]
    out: list[str] = []

    def walk(node: Any, where: str, top: bool) -> None:
        if not isinstance(node, dict):
            return
        kind = node.get("type", 1)
        if top and kind not in (1, None):  # user and message commands take free-form names
            return
        problem = command_name_problem(node.get("name"))
        if problem:
            out.append(f"{where}.name: {problem}")
        for key in ("name_localizations", "description_localizations"):
            out.extend(_localisation_problems(where, node, key, locales))
        options = node.get("options") or []
        if isinstance(options, list):
            seen: dict[str, set[str]] = {}
            for i, option in enumerate(options):
                if not isinstance(option, dict):
                    continue
                walk(option, f"{where}.options[{i}]", False)
                names = {"": option.get("name")} | dict((option.get("name_localizations") or {}).items())
                for locale, value in names.items():
                    if value in seen.setdefault(locale, set()):
                        out.append(f"{where}.options[{i}]: name {value!r} repeats a sibling's ({locale or 'default'})")
                    seen[locale].add(value)
                for j, choice in enumerate(option.get("choices") or []):
                    if isinstance(choice, dict):
                        out.extend(
                            _localisation_problems(
                                f"{where}.options[{i}].choices[{j}].choice", choice, "name_localizations", locales
                            )
                        )

    for index, command in enumerate(commands):
        walk(command, f"$[{index}]" if isinstance(body, list) else "$", True)
    return out


class Contract:
    """Discord's OpenAPI description, compiled into per-route request validators."""

    def __init__(self, openapi_path: str | Path) -> None:
        """Load the OpenAPI file and prepare route matching (validators are built lazily and cached)."""
        self.path = Path(openapi_path)
        with self.path.open(encoding="utf-8") as fh:
            spec: dict[str, Any] = json.load(fh)
        _patch_spec(spec)
        self.spec = spec
        self.registry: Registry = Registry().with_resource(
            SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
        )
        self._routes: list[tuple[int, int, re.Pattern[str], str]] = []
        for template in spec["paths"]:
            segments = template.strip("/").split("/")
            n_params = sum(1 for s in segments if s.startswith("{"))
            regex = (
                "^/" + "/".join(f"(?P<{s[1:-1]}>[^/]+)" if s.startswith("{") else re.escape(s) for s in segments) + "$"
            )
            self._routes.append((n_params, len(segments), re.compile(regex), template))
        # Fewer parameters first, so /messages/@original wins over /messages/{message_id}.
        self._routes.sort(key=lambda r: (r[0], -r[1]))
        self._validators: dict[tuple[str, str, str], Draft202012Validator | None] = {}
        self._memo: dict[tuple[str, str, str, str], tuple[str, ...]] = {}
        self._branches: dict[tuple[str, str, str], list[tuple[set[Any] | None, Draft202012Validator]]] = {}
        enum = spec["components"]["schemas"].get("AvailableLocalesEnum", {})
        self.locales: set[str] = {b["const"] for b in enum.get("oneOf", []) if "const" in b} | set(enum.get("enum", []))

    def match(self, path: str) -> RouteMatch | None:
        """The OpenAPI path template for a concrete path (relative to /api/v10), or None."""
        for _n, _len, regex, template in self._routes:
            m = regex.match(path)
            if m:
                return RouteMatch(template, m.groupdict())
        return None

    def operation(self, template: str, method: str) -> dict[str, Any] | None:
        """The OpenAPI operation object for a template and method, or None."""
        item = self.spec["paths"].get(template, {})
        op = item.get(method.lower())
        return op if isinstance(op, dict) else None

    def _schema_ref(self, template: str, method: str, media: str) -> str | None:
        """A $ref URI to the request-body schema, or None if the operation takes no such body."""
        op = self.operation(template, method)
        if not op or "requestBody" not in op:
            return None
        content = op["requestBody"].get("content", {})
        if media not in content:
            media = "application/json" if "application/json" in content else next(iter(content), "")
        if not media or "schema" not in content[media]:
            return None
        return SPEC_URI + "#/" + _pointer("paths", template, method.lower(), "requestBody", "content", media, "schema")

    def _validator_for(self, template: str, method: str, media: str) -> Draft202012Validator | None:
        """A cached validator for a request body."""
        key = (template, method, media)
        if key not in self._validators:
            ref = self._schema_ref(template, method, media)
            self._validators[key] = None if ref is None else Draft202012Validator({"$ref": ref}, registry=self.registry)
            self._branches[key] = self._discriminated_branches(template, method, media)
        return self._validators[key]

    def _resolve(self, ref: str) -> Any:
        """Resolve a #/ ref inside the spec."""
        assert ref.startswith("#/")
        node: Any = self.spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def _discriminated_branches(
        self, template: str, method: str, media: str
    ) -> list[tuple[set[Any] | None, Draft202012Validator]]:
        """For a top-level union of object schemas keyed by an enum `type`, one validator per branch."""
        op = self.operation(template, method) or {}
        content = op.get("requestBody", {}).get("content", {})
        schema = (content.get(media) or content.get("application/json") or {}).get("schema", {})
        union = schema.get("anyOf") or schema.get("oneOf")
        if not union or not all("$ref" in b for b in union):
            return []
        branches: list[tuple[set[Any] | None, Draft202012Validator]] = []
        for b in union:
            target = self._resolve(b["$ref"])
            enum = target.get("properties", {}).get("type", {}).get("enum")
            validator = Draft202012Validator({"$ref": SPEC_URI + b["$ref"]}, registry=self.registry)
            branches.append((set(enum) if enum else None, validator))
        if not all(e is not None for e, _ in branches):
            return []
        return branches

    def validate(self, method: str, path: str, body: Any, *, multipart: bool = False) -> list[str]:
        """Problems with a request body under Discord's schema for that route (empty list if none)."""
        match = self.match(path)
        if match is None:
            return [f"route {method} {path} is not in Discord's OpenAPI description"]
        if self.operation(match.template, method) is None:
            return [f"method {method} is not defined for {match.template} in Discord's OpenAPI description"]
        media = "multipart/form-data" if multipart else "application/json"
        validator = self._validator_for(match.template, method, media)
        if validator is None:
            return [] if body is None else [f"{method} {match.template} takes no request body"]
        if _COMMAND_ROUTE.match(match.template) and method in ("PUT", "POST", "PATCH"):
            rules = command_problems(body, self.locales)
            if rules:
                return rules + self._check(validator, match.template, method, media, body)
        try:
            text = json.dumps(body, sort_keys=True)
        except (TypeError, ValueError):
            text = None
        if text is None or len(text) > MEMO_MAX_CHARS:
            return self._check(validator, match.template, method, media, body)
        key = (match.template, method, media, text)
        cached = self._memo.get(key)
        if cached is None:
            cached = self._memo[key] = tuple(self._check(validator, match.template, method, media, body))
            if len(self._memo) > MEMO_ENTRIES:
                self._memo.pop(next(iter(self._memo)))
        return list(cached)

    def validate_query(self, method: str, path: str, query: Mapping[str, str]) -> list[str]:
        """Problems with a request's query string under the route's declared query parameters: an unknown name,
        or a value its schema refuses (integers are read as integers first, as Discord does)."""
        match = self.match(path)
        op = self.operation(match.template, method) if match else None
        if match is None or op is None:
            return []
        declared = {p["name"]: p for p in op.get("parameters", []) if p.get("in") == "query"}
        problems = []
        for name, value in query.items():
            param = declared.get(name)
            if param is None:
                problems.append(f"query parameter {name!r} is not defined for {method} {match.template}")
                continue
            schema = param.get("schema", {})
            resolved = self._resolve(schema["$ref"]) if "$ref" in schema else schema
            typed: Any = value
            if resolved.get("type") == "integer" and re.fullmatch(r"-?[0-9]+", value):
                typed = int(value)
            absolute = {"$ref": SPEC_URI + schema["$ref"]} if "$ref" in schema else schema
            validator = Draft202012Validator(absolute, registry=self.registry)
            errors = list(validator.iter_errors(typed))
            if errors:
                problems.append(f"query parameter {name}={_short(value)}: {best_match(errors).message}")
        return problems

    def _check(self, validator: Draft202012Validator, template: str, method: str, media: str, body: Any) -> list[str]:
        """Validate one body (no memo): pick the union branch by `type` where the schema allows it."""
        branches = self._branches.get((template, method, media), [])
        if branches and isinstance(body, dict):
            kind = body.get("type")
            chosen = [v for enum, v in branches if enum is not None and kind in enum]
            if not chosen:
                allowed = sorted({x for enum, _ in branches for x in (enum or ())}, key=str)
                return [f"$.type: {_short(kind)} is not one of the types Discord accepts here {allowed}"]
            first_errors: list[ValidationError] = []
            for v in chosen:
                errors = list(v.iter_errors(body))
                if not errors:
                    return []
                first_errors = first_errors or errors
            return [describe_error(best_match(first_errors))]
        errors = list(validator.iter_errors(body))
        if not errors:
            return []
        return [describe_error(best_match(errors))]


def _embed_chars(embed: dict[str, Any]) -> int:
    """Characters that count toward Discord's 6,000-character total for one embed."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for field in embed.get("fields") or []:
        if isinstance(field, dict):
            total += len(field.get("name") or "") + len(field.get("value") or "")
    footer = embed.get("footer") or {}
    author = embed.get("author") or {}
    if isinstance(footer, dict):
        total += len(footer.get("text") or "")
    if isinstance(author, dict):
        total += len(author.get("name") or "")
    return total


def message_limit_problems(data: Any) -> list[str]:
    """Problems with a message body under Discord's content and embed limits."""
    if not isinstance(data, dict):
        return []
    problems: list[str] = []
    content = data.get("content")
    if isinstance(content, str) and len(content) > CONTENT_MAX:
        problems.append(f"content is {len(content)} characters, over Discord's {CONTENT_MAX}")
    embeds = data.get("embeds")
    if isinstance(embeds, list):
        if len(embeds) > EMBEDS_MAX:
            problems.append(f"{len(embeds)} embeds, over Discord's {EMBEDS_MAX}")
        total = 0
        for i, embed in enumerate(embeds):
            if not isinstance(embed, dict):
                continue
            total += _embed_chars(embed)
            problems.extend(f"embeds[{i}].{p}" for p in _embed_problems(embed))
        if total > EMBED_TOTAL_MAX:
            problems.append(f"embeds total {total} characters, over Discord's {EMBED_TOTAL_MAX} per message")
    problems.extend(_component_problems(data.get("components")))
    return problems


def _embed_problems(embed: dict[str, Any]) -> list[str]:
    """Per-field embed limit problems."""
    out: list[str] = []

    def check(name: str, value: Any, limit: int) -> None:
        """Record a string over its limit."""
        if isinstance(value, str) and len(value) > limit:
            out.append(f"{name} is {len(value)} characters, over {limit}")

    check("title", embed.get("title"), EMBED_TITLE_MAX)
    check("description", embed.get("description"), EMBED_DESCRIPTION_MAX)
    fields = embed.get("fields") or []
    if isinstance(fields, list):
        if len(fields) > EMBED_FIELDS_MAX:
            out.append(f"{len(fields)} fields, over {EMBED_FIELDS_MAX}")
        for j, field in enumerate(fields):
            if isinstance(field, dict):
                check(f"fields[{j}].name", field.get("name"), EMBED_FIELD_NAME_MAX)
                check(f"fields[{j}].value", field.get("value"), EMBED_FIELD_VALUE_MAX)
                if not field.get("name") or not field.get("value"):
                    out.append(f"fields[{j}] has an empty name or value (Discord rejects it)")
    footer = embed.get("footer")
    if isinstance(footer, dict):
        check("footer.text", footer.get("text"), EMBED_FOOTER_MAX)
    author = embed.get("author")
    if isinstance(author, dict):
        check("author.name", author.get("name"), EMBED_AUTHOR_MAX)
    return out


def _component_problems(components: Any) -> list[str]:
    """Duplicate custom_ids across a message's components (Discord rejects them)."""
    seen: set[str] = set()
    dupes: list[str] = []

    def walk(node: Any) -> None:
        """Collect custom_ids depth-first."""
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            cid = node.get("custom_id")
            if isinstance(cid, str):
                if cid in seen:
                    dupes.append(cid)
                seen.add(cid)
            for key in ("components", "accessory"):
                if key in node:
                    walk(node[key])

    walk(components)
    return [f"components: duplicate custom_id {d!r}" for d in dupes]


@functools.lru_cache(maxsize=4)
def load_contract(openapi_path: str) -> Contract:
    """A Contract per OpenAPI file, shared across fakes in one process (loading takes ~0.1 s)."""
    log.debug("loading Discord OpenAPI description from %s", openapi_path)
    return Contract(openapi_path)
