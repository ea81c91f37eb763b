"""Invalid JSON documents: a valid one with exactly one rule broken, labelled.

A mutation is planned from the merged view of the schema at each place in
a valid document (remove a required member, add an unexpected one, replace
a value with one of another type, outside the enum, breaking the pattern,
a length, a bound, an array size or the format). Each result is confirmed
by the suite's validator: it must fail with exactly that rule at exactly
that place, and nothing else; otherwise hypothesis discards it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from hypothesis import HealthCheck, Phase, assume, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample, Unsatisfiable

from conformance.inputs.json_locate import pointer as json_pointer
from conformance.strategies import regex_runs
from conformance.strategies.common import Invalid, UnsupportedSchema, Violation
from conformance.strategies.json import Compiler, SchemaNode, View, _group_key
from conformance.strategies.seeded import repeatable
from conformance.validation.patterns import to_python

if TYPE_CHECKING:
    from conformance.model import JsonValue
    from conformance.validation.json_validation import JsonValidator

# A change at a path: the new value, whether the result is valid, the rule
# and a label.
_Edit: TypeAlias = "tuple[tuple[str | int, ...], JsonValue, bool, str, str]"


@dataclass(frozen=True)
class Mutation:
    """One planned change: what to do at which path, and the rule it breaks."""

    path: tuple[str | int, ...]
    action: str  # "remove", "add", "set"
    value: JsonValue
    rule: str
    description: str

    @property
    def pointer(self) -> str:
        """The JSON Pointer the finding should name."""
        parent = self.path[:-1] if self.action in ("remove", "add") else self.path
        return json_pointer(parent)


def plan(
    compiler: Compiler, schema: JsonValue, base: str, document: JsonValue
) -> list[Mutation]:
    """Every single-rule mutation the schema suggests for this document."""
    found: list[Mutation] = []
    _walk(compiler, [(schema, base)], document, (), found)
    return found


def _walk(
    compiler: Compiler,
    nodes: list[SchemaNode],
    value: JsonValue,
    path: tuple[str | int, ...],
    found: list[Mutation],
) -> None:
    view = _meant(compiler, nodes, value)
    if view is None:
        return  # no branch fits plainly: leave this value alone
    found.extend(mutations_here(view, value, path))
    if isinstance(value, dict):
        for name, member in value.items():
            children = view.properties.get(name)
            if children:
                _walk(compiler, children, member, (*path, name), found)
    elif isinstance(value, list) and view.items:
        for index, item in enumerate(value):
            _walk(compiler, view.items, item, (*path, index), found)


def _meant(
    compiler: Compiler, nodes: list[SchemaNode], value: JsonValue
) -> View | None:
    """The view of the branches a valid value meant (None when none fits plainly).

    Each oneOf/anyOf/if is settled by the first branch the value plainly
    fits, so that a mutation or a boundary breaks a rule of that branch.
    """
    view = compiler.merge(nodes)
    settled: set[str] = set()
    while True:
        groups = [
            g for g in view.branches if g[0] != "not" and _group_key(g) not in settled
        ]
        if not groups:
            return view
        settled.add(_group_key(groups[0]))
        meant = [
            b
            for b in groups[0][1]
            if _consistent(compiler, compiler.merge(nodes + b), value)
        ]
        if not meant:
            return None
        nodes = nodes + meant[0]
        view = compiler.merge(nodes)


def _consistent(compiler: Compiler, view: View, value: JsonValue) -> bool:
    """Whether a value plainly fits a view: its type, its codes, its members."""
    if view.impossible:
        return False
    if view.values is not None and value not in view.values:
        return False
    if view.types is not None and _kind(value) not in view.types:
        return False
    if isinstance(value, dict):
        if not view.required <= set(value):
            return False
        for name, nodes in view.properties.items():
            if name in value:
                child = compiler.merge(nodes)
                if child.values is not None and value[name] not in child.values:
                    return False
        for names in view.closed:
            if not set(value) <= names:
                return False
    return True


def _kind(value: JsonValue) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def mutations_here(
    view: View, value: JsonValue, path: tuple[str | int, ...]
) -> Iterator[Mutation]:
    """Each single-rule mutation of ``value`` itself (not of its members),
    for the merged schema ``view``; ``path`` is where the value sits."""
    if view.values is not None:
        if all(isinstance(v, str) for v in view.values):
            yield Mutation(
                path,
                "set",
                "not-one-of-the-codes",
                _enum_rule(view),
                "outside the allowed values",
            )
        return
    if isinstance(value, dict):
        for name in sorted(view.required):
            if name in value:
                yield Mutation(
                    (*path, name),
                    "remove",
                    None,
                    "required",
                    f"required member {name!r} removed",
                )
        if view.closed:
            yield Mutation(
                (*path, "unexpectedMember"),
                "add",
                "x",
                "additionalProperties",
                "a member the schema does not define",
            )
    if view.types is not None and value is not None:
        other = _other_type(view.types)
        if other is not None:
            yield Mutation(path, "set", other, "type", "a value of another type")
    if isinstance(value, str):
        if view.patterns:
            yield Mutation(
                path,
                "set",
                value + "\u0000",
                "pattern",
                "a character the pattern does not allow",
            )
            yield Mutation(
                path,
                "set",
                "!" + value,
                "pattern",
                "a string the pattern does not match",
            )
            if value:
                # Off by one: the commonest identifier bug (an 8-character FIN).
                yield Mutation(
                    path, "set", value + value[-1], "pattern", "one character too many"
                )
                yield Mutation(
                    path, "set", value[:-1], "pattern", "one character too few"
                )
        if view.max_length is not None:
            longer = (value * (view.max_length // max(len(value), 1) + 2))[
                : view.max_length + 1
            ]
            yield Mutation(
                path, "set", longer, "maxLength", f"longer than {view.max_length}"
            )
        if view.min_length > 0:
            yield Mutation(
                path,
                "set",
                value[: view.min_length - 1],
                "minLength",
                f"shorter than {view.min_length}",
            )
        for name in view.formats:
            yield Mutation(path, "set", f"not-a-{name}", "format", f"not a {name}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        for rule, bound, step in (
            ("minimum", view.minimum, -1),
            ("maximum", view.maximum, 1),
            ("exclusiveMinimum", view.exclusive_minimum, 0),
            ("exclusiveMaximum", view.exclusive_maximum, 0),
        ):
            if bound is not None:
                yield Mutation(
                    path, "set", bound + step, rule, f"{rule} {bound} broken"
                )
    if isinstance(value, list):
        if view.max_items is not None and value:
            yield Mutation(
                path,
                "set",
                value + [value[0]] * (view.max_items + 1 - len(value)),
                "maxItems",
                f"more than {view.max_items} items",
            )
        if view.min_items > 0:
            yield Mutation(
                path,
                "set",
                value[: view.min_items - 1],
                "minItems",
                f"fewer than {view.min_items} items",
            )
        if view.unique and value:
            yield Mutation(
                path, "set", [*value, value[0]], "uniqueItems", "a repeated item"
            )


def _enum_rule(view: View) -> str:
    return "const" if view.values is not None and len(view.values) == 1 else "enum"


def _other_type(types: set[str]) -> JsonValue:
    """A value of a type ``types`` does not allow, or ``None`` if it allows all."""
    candidates: tuple[tuple[JsonValue, str], ...] = (
        (12345, "integer"),
        ("text", "string"),
        ([], "array"),
        ({}, "object"),
        (True, "boolean"),
    )
    for candidate, kind in candidates:
        if kind not in types and not (kind == "integer" and "number" in types):
            return candidate
    return None


def apply(document: JsonValue, mutation: Mutation) -> JsonValue:
    """A copy of ``document`` with the mutation applied."""
    result = copy.deepcopy(document)
    if not mutation.path:
        return mutation.value
    parent: Any = result  # any JSON, walked by a path made from the document
    for step in mutation.path[:-1]:
        parent = parent[step]
    last = mutation.path[-1]
    if mutation.action == "remove":
        del parent[last]
    else:
        parent[last] = mutation.value
    return result


def confirm(validator: JsonValidator, document: JsonValue, mutation: Mutation) -> bool:
    """True when the document fails with exactly the mutation's rule and place."""
    text = json.dumps(document, ensure_ascii=False)
    errors = [
        f for f in validator.findings(document, text) if f.severity.value == "error"
    ]
    return len(errors) == 1 and (errors[0].rule, errors[0].pointer) == (
        mutation.rule,
        mutation.pointer,
    )


def invalid(
    compiler: Compiler,
    schema: JsonValue,
    base: str,
    valid: st.SearchStrategy[JsonValue],
    validator: JsonValidator,
) -> st.SearchStrategy[Invalid[JsonValue]]:
    """Documents that break exactly one rule, confirmed, with their violation."""
    root = compiler.merge([(schema, base)])
    if (
        root.types is None
        and root.values is None
        and not root.branches
        and not (root.properties or root.required or root.closed)
    ):
        raise UnsupportedSchema("the schema accepts any JSON value: nothing to break")

    @st.composite
    def draw(draw_: st.DrawFn) -> Invalid[JsonValue]:
        document = draw_(valid)
        candidates = plan(compiler, schema, base, document)
        assume(candidates)
        # Pick the kind of rule first, so that the many required members do
        # not crowd out patterns, bounds and codes.
        rules = sorted({c.rule for c in candidates})
        rule = draw_(st.sampled_from(rules))
        mutation = draw_(st.sampled_from([c for c in candidates if c.rule == rule]))
        mutated = apply(document, mutation)
        assume(confirm(validator, mutated, mutation))
        return Invalid(
            mutated,
            Violation(mutation.rule, mutation.pointer, mutation.description),
        )

    return draw()


@dataclass(frozen=True)
class Case:
    """A deterministic boundary case: a document, whether it is valid, and why."""

    document: JsonValue
    valid: bool
    label: str
    violation: Violation | None = None


def boundary_cases(
    compiler: Compiler,
    schema: JsonValue,
    base: str,
    document: JsonValue,
    validator: JsonValidator,
) -> list[Case]:
    """Boundary cases around a valid document, each confirmed by the validator.

    For every constraint: each enum value, a length at its bound and one past
    it, a number at its bound and past it, arrays at their size limits. A
    case whose validity is not what it should be is left out.
    """
    cases: list[Case] = []
    edits: list[_Edit] = []
    _boundaries(compiler, [(schema, base)], document, (), edits)
    seen: set[str] = set()
    for path, value, valid, rule, label in edits:
        changed = apply(document, Mutation(path, "set", value, rule, label))
        key = json.dumps(changed, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        if valid:
            if validator.native.is_valid(changed):
                cases.append(Case(changed, True, label))
            continue
        mutation = Mutation(path, "set", value, rule, label)
        if confirm(validator, changed, mutation):
            cases.append(
                Case(changed, False, label, Violation(rule, mutation.pointer, label))
            )
    return cases


def _boundaries(
    compiler: Compiler,
    nodes: list[SchemaNode],
    value: JsonValue,
    path: tuple[str | int, ...],
    edits: list[_Edit],
) -> None:
    view = _meant(compiler, nodes, value)
    if view is None:
        return
    where = json_pointer(path) or "/"
    if view.values is not None:
        for option in view.values:
            edits.append((path, option, True, "enum", f"{where}: the value {option!r}"))
    elif isinstance(value, str):
        for length, valid, rule in (
            (view.max_length, True, "maxLength"),
            (
                (view.max_length or 0) + 1 if view.max_length is not None else None,
                False,
                "maxLength",
            ),
            (view.min_length or None, True, "minLength"),
            (view.min_length - 1 if view.min_length else None, False, "minLength"),
        ):
            if length is None or length < 0:
                continue
            text = _resized(value, length)
            edits.append((path, text, valid, rule, f"{where}: a length of {length}"))
        for pattern in view.patterns:
            # A pattern of fixed width (a FIN's 7 characters) is a length
            # bound too: one character more or fewer must be refused.
            shortest, longest = _widths(pattern)
            for length in (longest + 1, shortest - 1):
                if (
                    length >= 0
                    and len(value) in (shortest, longest)
                    and (longest < _UNBOUNDED)
                ):
                    edits.append(
                        (
                            path,
                            _resized(value, length),
                            False,
                            "pattern",
                            f"{where}: a length of {length}, where the pattern"
                            f" allows {shortest}"
                            + (f" to {longest}" if longest != shortest else ""),
                        )
                    )
    elif isinstance(value, int | float) and not isinstance(value, bool):
        integer = isinstance(value, int)
        for bound, rule in ((view.minimum, "minimum"), (view.maximum, "maximum")):
            if bound is not None:
                edits.append((path, bound, True, rule, f"{where}: exactly {bound}"))
                past = bound - 1 if rule == "minimum" else bound + 1
                if not integer:
                    past = bound - 0.5 if rule == "minimum" else bound + 0.5
                edits.append((path, past, False, rule, f"{where}: just past {bound}"))
    if isinstance(value, dict):
        for name, member in value.items():
            if name in view.properties:
                _boundaries(
                    compiler, view.properties[name], member, (*path, name), edits
                )
    elif isinstance(value, list) and view.items:
        for index, item in enumerate(value[:1]):
            _boundaries(compiler, view.items, item, (*path, index), edits)


_UNBOUNDED = 2**31


def _widths(pattern: str) -> tuple[int, int]:
    """The shortest and longest text an anchored pattern matches (or unbounded)."""
    translated = to_python(pattern)
    if not (translated.startswith("^") and translated.endswith("\\Z")):
        return 0, _UNBOUNDED
    try:
        # re._parser, the parser hypothesis's from_regex uses too.
        shortest, longest = regex_runs.parser.parse(translated[1:-2]).getwidth()
    except Exception:  # any doubt: no bound
        return 0, _UNBOUNDED
    return shortest, min(longest, _UNBOUNDED)


def _resized(value: str, length: int) -> str:
    if length <= len(value):
        return value[:length]
    filler = value[-1:] or "a"
    return value + filler * (length - len(value))


def branch_cases(
    compiler: Compiler, schema: JsonValue, base: str, validator: JsonValidator
) -> list[Case]:
    """One valid document per branch of each oneOf/anyOf at the top of a schema.

    Each is the simplest document hypothesis finds for that branch, so the
    cases are the same on every run.
    """
    nodes: list[SchemaNode] = [(schema, base)]
    view = compiler.merge(nodes)
    cases = []
    for kind, branches in view.branches:
        if kind not in ("oneOf", "anyOf"):
            continue
        for index, branch in enumerate(branches):
            strategy = compiler._build_view(
                compiler.merge(nodes + branch),
                nodes + branch,
                "",
                frozenset({_group_key((kind, branches))}),
            )
            try:
                with repeatable():
                    document = find(
                        strategy,
                        validator.native.is_valid,
                        settings=settings(
                            database=None,
                            max_examples=300,
                            derandomize=True,
                            phases=[Phase.generate],  # the first found; no shrinking
                            suppress_health_check=list(HealthCheck),
                        ),
                    )
            except (NoSuchExample, Unsatisfiable):
                continue
            cases.append(Case(document, True, f"/: {kind} branch {index}"))
    return cases
