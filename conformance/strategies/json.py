"""Hypothesis strategies from JSON Schema (draft 2020-12), compiled once.

hypothesis-jsonschema stopped at draft 7 and local references, and is far
too slow for fuzzing; this compiler covers what the registry's standards
use, with ``$ref`` resolved through the registry. It works on a *merged
view* of each schema node: ``$ref``, ``allOf`` and the chosen branch of a
``oneOf``/``anyOf``/``if`` are merged into one set of constraints, from
which values are built directly (a pattern drives ``from_regex``, a format
its own strategy, an object its members). Whatever the merged view cannot
express exactly (``not``, several patterns, branch exclusivity) is
guaranteed by a final filter with the suite's own validator, so every
document a strategy yields is valid.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, cast
from urllib.parse import unquote, urljoin

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from conformance.inputs.json_locate import escape_pointer_token
from conformance.strategies import regex_runs
from conformance.strategies.common import UnsupportedSchema
from conformance.strategies.primitives import (
    floats,
    integers_as,
    members,
    numbers,
    picks,
    rows,
)
from conformance.validation.formats import FORMATS
from conformance.validation.patterns import search, to_python
from conformance.validation.schema_walk import iter_subschemas

if TYPE_CHECKING:
    from hypothesis.internal.charmap import CategoryName

    from conformance.model import JsonValue
    from conformance.registry.schema_resources import ResourceLoader

SUPPORTED = frozenset(
    {
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "minProperties",
        "maxProperties",
        "items",
        "prefixItems",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
        "$ref",
        "$defs",
    }
)
ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "$anchor",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentMediaType",
        "contentEncoding",
        "x-requirement",
    }
)
SAFE_INTEGER = 2**53 - 1
_MAX_EXTRA_ITEMS = 4
# No codec="utf-8" in these alphabets: without surrogates (Cs) every code
# point is UTF-8 already, and asking hypothesis for the codec makes it walk
# all of Unicode once per machine (1.5 s and 170 MiB on a first run).
_TEXT = st.characters(
    categories=("L", "N", "P", "Zs"),
    exclude_characters="\u2028\u2029\ufeff",
)
# What a pattern's "." or negated class may produce: text a person could
# type, in any script. Control characters, unassigned and private code points
# are the hostile fixtures' business, and XML cannot carry most of them.
_UNPRINTABLE: tuple[CategoryName, ...] = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
_PRINTABLE = st.characters(exclude_categories=_UNPRINTABLE)

SchemaNode: TypeAlias = "tuple[JsonValue, str]"
"""A schema node and the base URI its references resolve against."""
_N = TypeVar("_N", int, float)


def unsupported(schema: JsonValue, where: str = "") -> list[str]:
    """Keywords in ``schema`` the compiler cannot generate, as ``pointer: keyword``."""
    found = []
    for at, node in iter_subschemas(schema, where):
        for keyword in node:
            if keyword in SUPPORTED or keyword in ANNOTATIONS:
                continue
            if isinstance(keyword, str) and keyword.startswith("x-"):
                continue
            found.append(f"{at}/{escape_pointer_token(keyword)}: {keyword!r}")
    return found


@dataclass
class View:
    """The merged constraints of one or more schema nodes."""

    types: set[str] | None = None
    values: list[JsonValue] | None = None  # from enum/const: the only values allowed
    patterns: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    min_length: int = 0
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: float | None = None
    properties: dict[str, list[SchemaNode]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    closed: list[set[str]] = field(
        default_factory=list
    )  # allowed names per closed node
    additional: list[SchemaNode] = field(default_factory=list)
    min_properties: int = 0
    max_properties: int | None = None
    items: list[SchemaNode] = field(default_factory=list)
    prefix_items: list[list[SchemaNode]] = field(default_factory=list)
    min_items: int = 0
    max_items: int | None = None
    unique: bool = False
    branches: list[tuple[str, list[list[SchemaNode]]]] = field(default_factory=list)
    impossible: bool = False
    forbidden: set[str] = field(default_factory=set)  # from not: {required: [...]}


class Compiler:
    """Turns schemas into strategies; one per loader, reused for every standard."""

    def __init__(self, loader: ResourceLoader) -> None:
        self.loader = loader
        self._cache: dict[tuple[str, str], st.SearchStrategy[JsonValue]] = {}
        self._stack: list[tuple[str, str]] = []

    # -- resolution ----------------------------------------------------------

    def _resolve(self, ref: str, base: str) -> SchemaNode:
        target = urljoin(base, ref)
        uri, _, fragment = target.partition("#")
        document = self.loader.retrieve(uri)
        node: Any = document  # any JSON, walked by the pointer's tokens
        for raw in fragment.split("/")[1:] if fragment else []:
            token = raw.replace("~1", "/").replace("~0", "~")
            token = unquote(token)
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node, uri

    # -- merging ----------------------------------------------------------------

    def merge(self, nodes: list[SchemaNode]) -> View:
        """The merged view of schema nodes that must all hold."""
        view = View()
        pending = list(nodes)
        seen = 0
        while pending:
            node, base = pending.pop(0)
            seen += 1
            if seen > 200:
                raise UnsupportedSchema("the schema refers to itself without end")
            if node is True or node == {}:
                continue
            if node is False:
                view.impossible = True
                continue
            if not isinstance(node, dict):
                raise UnsupportedSchema(f"not a schema: {node!r}")
            # Keywords are read as the meta-schema shapes them: the schema
            # has been compiled by the validator before it gets here.
            schema: dict[str, Any] = node
            base = (
                urljoin(base, schema["$id"])
                if isinstance(schema.get("$id"), str)
                else base
            )
            if "$ref" in schema:
                pending.append(self._resolve(schema["$ref"], base))
            for sub in schema.get("allOf", []):
                pending.append((sub, base))
            self._merge_one(view, schema, base)
        return view

    def _merge_one(self, view: View, node: dict[str, Any], base: str) -> None:
        if "type" in node:
            kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
            allowed = set(kinds)
            if "number" in allowed:
                allowed.add("integer")
            view.types = allowed if view.types is None else view.types & allowed
        for key in ("enum", "const"):
            if key in node:
                values = node["enum"] if key == "enum" else [node["const"]]
                view.values = (
                    list(values)
                    if view.values is None
                    else [v for v in view.values if _contains(values, v)]
                )
        if "pattern" in node:
            view.patterns.append(node["pattern"])
        if "format" in node:
            view.formats.append(node["format"])
        view.min_length = max(view.min_length, node.get("minLength", 0))
        view.max_length = _low(view.max_length, node.get("maxLength"))
        view.minimum = _high(view.minimum, node.get("minimum"))
        view.maximum = _low(view.maximum, node.get("maximum"))
        view.exclusive_minimum = _high(
            view.exclusive_minimum, node.get("exclusiveMinimum")
        )
        view.exclusive_maximum = _low(
            view.exclusive_maximum, node.get("exclusiveMaximum")
        )
        if "multipleOf" in node:
            view.multiple_of = node["multipleOf"]
        for name, sub in node.get("properties", {}).items():
            view.properties.setdefault(name, []).append((sub, base))
        view.required |= set(node.get("required", []))
        extra = node.get("additionalProperties")
        if extra is False or extra == {"not": {}}:
            view.closed.append(set(node.get("properties", {})))
        elif extra is not None and extra is not True:
            view.additional.append((extra, base))
        if node.get("patternProperties"):
            raise UnsupportedSchema("patternProperties cannot be generated yet")
        view.min_properties = max(view.min_properties, node.get("minProperties", 0))
        view.max_properties = _low(view.max_properties, node.get("maxProperties"))
        if "items" in node:
            view.items.append((node["items"], base))
        if "prefixItems" in node:
            view.prefix_items.append([(s, base) for s in node["prefixItems"]])
        view.min_items = max(view.min_items, node.get("minItems", 0))
        view.max_items = _low(view.max_items, node.get("maxItems"))
        view.unique = view.unique or bool(node.get("uniqueItems"))
        for key in ("oneOf", "anyOf"):
            if key in node:
                view.branches.append((key, [[(s, base)] for s in node[key]]))
        if "if" in node:
            condition = (node["if"], base)
            then = [condition] + ([(node["then"], base)] if "then" in node else [])
            otherwise: list[SchemaNode] = [({"not": node["if"]}, base)]
            if "else" in node:
                otherwise.append((node["else"], base))
            view.branches.append(("if", [then, otherwise]))
        if "not" in node:
            absent = _absent_members(node["not"])
            if absent is not None:
                # "not required: [x]" says only that x is absent; the
                # generator can honour that exactly instead of filtering.
                view.forbidden |= absent
            else:
                view.branches.append(("not", [[({"not": node["not"]}, base)]]))

    # -- building ------------------------------------------------------------

    def strategy(self, schema: JsonValue, base: str) -> st.SearchStrategy[JsonValue]:
        """A strategy for ``schema`` (not yet filtered: see :func:`valid_values`)."""
        return self._build([(schema, base)], "")

    def _build(
        self, nodes: list[SchemaNode], where: str
    ) -> st.SearchStrategy[JsonValue]:
        key = (
            json.dumps([n for n, _ in nodes], sort_keys=True, default=str),
            nodes[0][1],
        )
        if key in self._cache:
            return self._cache[key]
        if key in self._stack:
            # A recursive schema: defer, so hypothesis can stop the recursion.
            return st.deferred(lambda: self._cache[key])
        self._stack.append(key)
        try:
            built = self._build_view(self.merge(nodes), nodes, where)
        finally:
            self._stack.pop()
        self._cache[key] = built
        return built

    def _build_view(
        self,
        view: View,
        nodes: list[SchemaNode],
        where: str,
        decided: frozenset[str] = frozenset(),
    ) -> st.SearchStrategy[JsonValue]:
        if view.impossible:
            return st.nothing()
        open_groups = [
            group
            for group in view.branches
            if group[0] != "not" and _group_key(group) not in decided
        ]
        if open_groups:
            group = open_groups[0]
            settled = decided | {_group_key(group)}
            # Expand one branching keyword: one strategy per branch, each the
            # whole node merged with that branch; the other groups are expanded
            # in turn. Exclusivity (oneOf, else) is the final filter's job.
            options: list[st.SearchStrategy[JsonValue]] = []
            for index, branch in enumerate(group[1]):
                chosen = nodes + branch
                if group[0] == "oneOf":
                    # The other branches must fail; where one is only
                    # "required: [x]", leaving x out says so exactly.
                    chosen += [
                        ({"not": other[0][0]}, other[0][1])
                        for at, other in enumerate(group[1])
                        if at != index and _absent_members(other[0][0]) is not None
                    ]
                options.append(
                    self._build_view(self.merge(chosen), chosen, where, settled)
                )
            return st.one_of(options)
        if view.values is not None:
            return picks(view.values)
        kinds = set(view.types if view.types is not None else _inferred(view))
        if "number" in kinds:
            # A number's strategy draws integers too: one choice fewer per value.
            kinds.discard("integer")
        options = [self._of_type(kind, view, where) for kind in sorted(kinds)]
        return st.one_of(options) if options else st.nothing()

    def _of_type(
        self, kind: str, view: View, where: str
    ) -> st.SearchStrategy[JsonValue]:
        if kind == "null":
            return st.none()
        if kind == "boolean":
            return st.booleans()
        if kind == "integer":
            return self._integers(view)
        if kind == "number":
            return self._numbers(view)
        if kind == "string":
            return self._strings(view)
        if kind == "array":
            return self._arrays(view, where)
        if kind == "object":
            return self._objects(view, where)
        raise UnsupportedSchema(f"{where or '/'}: unknown type {kind!r}")

    # -- scalars -----------------------------------------------------------------

    def _integers(self, view: View) -> st.SearchStrategy[int]:
        bounds = self._integer_range(view)
        if bounds is None:
            return st.nothing()
        low, high = bounds
        if view.multiple_of:
            step = view.multiple_of
            first, last = math.ceil(low / step), math.floor(high / step)
            if first > last:
                return st.nothing()
            return st.integers(first, last).map(lambda k: int(k * step))
        return st.integers(low, high)

    def _numbers(self, view: View) -> st.SearchStrategy[int | float]:
        if view.multiple_of:
            return st.one_of(self._integers(view), self._floats(view))
        low, high, exclude_min, exclude_max = self._float_range(view)
        whole = self._integer_range(view)
        return numbers(
            whole, low, high, exclude_min=exclude_min, exclude_max=exclude_max
        )

    def _integer_range(self, view: View) -> tuple[int, int] | None:
        """The integers a view allows (multipleOf aside), or ``None``."""
        low = -SAFE_INTEGER if view.minimum is None else math.ceil(view.minimum)
        high = SAFE_INTEGER if view.maximum is None else math.floor(view.maximum)
        if view.exclusive_minimum is not None:
            low = max(low, math.floor(view.exclusive_minimum) + 1)
        if view.exclusive_maximum is not None:
            high = min(high, math.ceil(view.exclusive_maximum) - 1)
        return (low, high) if low <= high else None

    def _floats(self, view: View) -> st.SearchStrategy[float]:
        low, high, exclude_min, exclude_max = self._float_range(view)
        return floats(low, high, exclude_min=exclude_min, exclude_max=exclude_max)

    def _float_range(self, view: View) -> tuple[float, float, bool, bool]:
        """The bounds of a view's floats, and which of them are excluded."""
        low = view.minimum
        high = view.maximum
        exclude_min = exclude_max = False
        if view.exclusive_minimum is not None and (
            low is None or view.exclusive_minimum >= low
        ):
            low, exclude_min = view.exclusive_minimum, True
        if view.exclusive_maximum is not None and (
            high is None or view.exclusive_maximum <= high
        ):
            high, exclude_max = view.exclusive_maximum, True
        low = -1e15 if low is None else low
        high = 1e15 if high is None else high
        return low, high, exclude_min, exclude_max

    def _strings(self, view: View) -> st.SearchStrategy[str]:
        if view.formats:
            base = _format_strategy(view.formats[0])
        elif view.patterns:
            base = _regex_strategy(view.patterns[0], view.max_length)
        else:
            cap = (
                view.max_length if view.max_length is not None else view.min_length + 20
            )
            return st.text(
                _TEXT, min_size=view.min_length, max_size=max(cap, view.min_length)
            )
        patterns = view.patterns[1:] if not view.formats else view.patterns
        formats = view.formats[1:]
        low, high = view.min_length, view.max_length
        if not patterns and not formats:
            shortest, longest = (
                _FORMAT_WIDTHS.get(view.formats[0], (0, None))
                if view.formats
                else _pattern_widths(view.patterns[0])
            )
            if shortest >= low and (
                high is None or (longest is not None and longest <= high)
            ):
                # Every value the base draws already fits: a filter would
                # only add a draw per value for hypothesis to track.
                return base

        def fits(value: str) -> bool:
            # Lengths are code points, as JSON Schema counts them.
            if len(value) < low or (high is not None and len(value) > high):
                return False
            if not all(search(p, value) for p in patterns):
                return False
            return all(FORMATS[f](value) for f in formats if f in FORMATS)

        return base.filter(fits)

    # -- containers -------------------------------------------------------------

    def _arrays(self, view: View, where: str) -> st.SearchStrategy[list[JsonValue]]:
        items = self._build(view.items, f"{where}/items") if view.items else _any_json()
        prefixes = []
        if view.prefix_items:
            length = max(len(p) for p in view.prefix_items)
            for index in range(length):
                nodes = [p[index] for p in view.prefix_items if index < len(p)]
                prefixes.append(self._build(nodes, f"{where}/{index}"))
        low = max(view.min_items - len(prefixes), 0)
        high = (
            view.max_items - len(prefixes)
            if view.max_items is not None
            else low + _MAX_EXTRA_ITEMS
        )
        if high < 0:
            return st.nothing()
        if prefixes and high == 0:
            # A tuple (a GeoJSON position, a bbox): no list after it. Where
            # max_size is 0, older hypothesis (6.130) gives builds(list),
            # whose validation makes new strategies at every draw.
            return rows(prefixes)
        rest = st.lists(
            items,
            min_size=low,
            max_size=high,
            unique_by=(lambda v: json.dumps(v, sort_keys=True))
            if view.unique
            else None,
        )
        if not prefixes:
            return rest
        return st.tuples(st.tuples(*prefixes), rest).map(
            lambda pair: [*pair[0], *pair[1]]
        )

    def _objects(
        self, view: View, where: str
    ) -> st.SearchStrategy[dict[str, JsonValue]]:
        allowed: set[str] | None = None
        for names in view.closed:
            allowed = set(names) if allowed is None else allowed & names
        names = (set(view.properties) | view.required) - view.forbidden
        if view.required & view.forbidden:
            return st.nothing()
        if allowed is not None:
            if not view.required <= allowed:
                return st.nothing()
            names &= allowed
        required: dict[str, st.SearchStrategy[JsonValue]] = {}
        optional: dict[str, st.SearchStrategy[JsonValue]] = {}
        for name in sorted(names):
            nodes = list(view.properties.get(name, []))
            if name not in view.properties:
                nodes = list(view.additional) or [(True, "")]
            strategy = self._build(nodes, f"{where}/{escape_pointer_token(name)}")
            (required if name in view.required else optional)[name] = strategy
        built = members(required, optional)
        low, high = view.min_properties, view.max_properties
        if low or high is not None:
            built = built.filter(
                lambda d: len(d) >= low and (high is None or len(d) <= high)
            )
        return built


def _regex_strategy(pattern: str, longest: int | None = None) -> st.SearchStrategy[str]:
    """Strings a pattern matches.

    Anchored patterns made of literals, character classes, repeats, groups
    and alternatives (all the registry's patterns) are built as text of
    whole runs (one hypothesis choice per run instead of one per character,
    several times faster); anything else goes to ``from_regex``. An
    unbounded run may grow to ``longest`` (the schema's maxLength), so that
    long values are tried too.
    """
    translated = to_python(pattern)
    if translated.startswith("^") and translated.endswith("\\Z"):
        inner = translated[1:-2]
        if not inner.endswith("\\"):
            try:
                return regex_runs.runs(
                    regex_runs.parse(inner), _classes, longest=longest, source=pattern
                )
            except regex_runs.Unsupported:
                return _matching(inner, fullmatch=True)
    return _matching(translated, fullmatch=False)


def _pattern_widths(pattern: str) -> tuple[int, int | None]:
    """The shortest and longest match of a pattern (None: unbounded or unknown)."""
    translated = to_python(pattern)
    if not (translated.startswith("^") and translated.endswith("\\Z")):
        return 0, None  # unanchored: anything may surround the match
    try:
        return regex_runs.widths(regex_runs.parse(translated[1:-2]))
    except regex_runs.Unsupported:  # the caller keeps its own checks
        return 0, None


def _matching(regex: str, *, fullmatch: bool) -> st.SearchStrategy[str]:
    """``from_regex`` over printable text, unless the pattern needs more."""
    strategy = st.from_regex(regex, fullmatch=fullmatch, alphabet=_PRINTABLE)
    try:
        strategy.validate()
    except InvalidArgument:  # the pattern itself names a control character
        return st.from_regex(regex, fullmatch=fullmatch)
    return strategy


def _classes(
    op: regex_runs.Opcode, arg: regex_runs.Argument
) -> str | regex_runs.Wide | None:
    """The characters one regex item matches (see :mod:`.regex_runs`).

    ``.`` and negated classes become printable characters minus the
    excluded ones: text a person could type, in any script.
    """
    # Each opcode has its own shape of argument (see re._parser).
    c = regex_runs.constants
    if op is c.LITERAL:
        return chr(cast("int", arg))
    if op is c.ANY:
        return _wide("")
    if op is c.NOT_LITERAL:
        return _wide(chr(cast("int", arg)))
    if op is not c.IN:
        return None
    items = cast("list[tuple[regex_runs.Opcode, object]]", arg)
    if items and items[0][0] is c.NEGATE:
        return _wide(_class_chars(items[1:]))
    return _class_chars(items)


def _wide(excluded: str) -> regex_runs.Wide:
    alphabet = (
        st.characters(exclude_categories=_UNPRINTABLE, exclude_characters=excluded)
        if excluded
        else _PRINTABLE
    )
    return lambda low, high: st.text(alphabet, min_size=low, max_size=high)


def _class_chars(items: list[tuple[regex_runs.Opcode, object]]) -> str:
    c = regex_runs.constants
    chars: list[str] = []
    for op, arg in items:
        if op is c.LITERAL:
            chars.append(chr(cast("int", arg)))
            continue
        if op is c.RANGE:
            low, high = cast("tuple[int, int]", arg)
            if high - low < 2000:
                chars.extend(chr(x) for x in range(low, high + 1))
                continue
        raise regex_runs.Unsupported(f"class item {op}")
    if not chars:
        raise regex_runs.Unsupported("an empty class")
    return "".join(dict.fromkeys(chars))


def _absent_members(schema: JsonValue) -> set[str] | None:
    """The members a ``not`` of ``schema`` forbids, if that is all it says."""
    if isinstance(schema, dict) and set(schema) == {"required"}:
        required = schema["required"]
        if isinstance(required, list) and len(required) == 1:
            name = required[0]
            if isinstance(name, str):  # as the meta-schema requires
                return {name}
    return None


def _group_key(group: tuple[str, list[list[SchemaNode]]]) -> str:
    return json.dumps([group[0], [[n for n, _ in b] for b in group[1]]], default=str)


def _inferred(view: View) -> set[str]:
    kinds = set()
    if view.patterns or view.formats or view.max_length is not None or view.min_length:
        kinds.add("string")
    if view.properties or view.required or view.closed or view.min_properties:
        kinds.add("object")
    if view.items or view.prefix_items or view.min_items or view.max_items is not None:
        kinds.add("array")
    if any(
        v is not None
        for v in (
            view.minimum,
            view.maximum,
            view.exclusive_minimum,
            view.exclusive_maximum,
        )
    ):
        kinds.add("number")
    return kinds or {"null", "boolean", "integer", "string"}


def _any_json() -> st.SearchStrategy[JsonValue]:
    leaves = (
        st.none()
        | st.booleans()
        | st.integers(-1000, 1000)
        | st.text(_TEXT, max_size=8)
    )
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(_TEXT, max_size=6), children, max_size=3)
        ),
        max_leaves=6,
    )


def _contains(values: list[JsonValue], value: JsonValue) -> bool:
    return any(
        json.dumps(v, sort_keys=True) == json.dumps(value, sort_keys=True)
        for v in values
    )


def _low(current: _N | None, new: _N | None) -> _N | None:
    if new is None:
        return current
    return new if current is None else min(current, new)


def _high(current: _N | None, new: _N | None) -> _N | None:
    if new is None:
        return current
    return new if current is None else max(current, new)


# Formats as patterns, each drawn in one go (see regex_runs).
_LABEL = "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?"
_LOCAL = "[A-Za-z0-9_%+-]{1,10}([.][A-Za-z0-9_%+-]{1,6})?"
_TLD = "(az|com|org|gov[.]az|net)"
_FORMAT_PATTERNS = {
    "email": f"^{_LOCAL}@{_LABEL}[.]{_TLD}$",
    "hostname": f"^{_LABEL}[.]{_TLD}$",
    "uri": f"^https://{_LABEL}[.]az/[a-z0-9/_-]{{0,16}}$",
}
_EMAIL, _HOSTNAME, _URI = (
    _regex_strategy(_FORMAT_PATTERNS[name]) for name in ("email", "hostname", "uri")
)
_FIRST_DAY = dt.date(1900, 1, 1).toordinal()
_LAST_DAY = dt.date(2100, 12, 31).toordinal()
_LAST_SECOND = int((dt.datetime(2100, 1, 1) - dt.datetime(1970, 1, 1)).total_seconds())
# Lengths of what _format_strategy draws for these formats (years have
# four digits; seconds carry no fraction; offsets are "Z" or "+hh:mm").
_FORMAT_WIDTHS: dict[str, tuple[int, int | None]] = {
    "date": (10, 10),
    "date-time": (20, 25),
    "time": (9, 14),
    "uuid": (36, 36),
    **{name: _pattern_widths(p) for name, p in _FORMAT_PATTERNS.items()},
    "uri-reference": _pattern_widths(_FORMAT_PATTERNS["uri"]),
}


def _format_strategy(name: str) -> st.SearchStrategy[str]:
    # Dates and times are drawn as one integer each (a day, a second), not
    # field by field: one choice for hypothesis instead of three or six.
    if name == "date":
        return integers_as(
            _FIRST_DAY,
            _LAST_DAY,
            lambda day: dt.date.fromordinal(day).isoformat(),
            "days",
        )
    if name == "date-time":
        return st.builds(
            lambda second, offset: (
                (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=second)).isoformat()
                + offset
            ),
            st.integers(0, _LAST_SECOND),
            st.sampled_from(["Z", "+04:00", "+00:00", "-05:00"]),
        )
    if name == "time":
        return st.builds(
            lambda second, offset: (
                (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=second))
                .time()
                .isoformat()
                + offset
            ),
            st.integers(0, 86399),
            st.sampled_from(["Z", "+04:00"]),
        )
    if name == "email":
        return _EMAIL
    if name == "hostname":
        return _HOSTNAME
    if name in ("uri", "uri-reference"):
        return _URI
    if name == "uuid":
        return st.uuids().map(str)
    if name == "ipv4":
        return st.ip_addresses(v=4).map(str)
    if name == "ipv6":
        return st.ip_addresses(v=6).map(str)
    if name == "duration":
        return st.builds(
            lambda d, h: f"P{d}DT{h}H", st.integers(0, 400), st.integers(0, 23)
        )
    raise UnsupportedSchema(f"format {name!r} cannot be generated")


def _finite(value: object) -> bool:
    return not (isinstance(value, float) and not math.isfinite(value))
