"""Values of XSD simple types: valid ones, and ones that break exactly one rule.

A :class:`ValuePlan` is compiled once per simple type. Its ``valid`` strategy
draws candidates (from the enumeration, from a pattern's regex, or from the
built-in type with the facets' bounds) and keeps those :func:`audit` finds no
fault with. ``breakable`` maps each rule the type can be made to break on its
own (``cvc-pattern-valid``, ``cvc-maxLength-valid``, ...) to a strategy of
candidates; a candidate counts only when :func:`audit` says it breaks that
rule and nothing else.

:func:`audit` re-runs xmlschema's own facet checks one facet at a time, so it
names the rule each failure breaks the way the suite's validators name it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, Protocol, Self, cast, overload

from hypothesis import reject
from hypothesis import strategies as st
from lxml import etree
from xmlschema.validators import (
    XMLSchemaValidationError,
    XsdAtomicBuiltin,
    XsdAtomicRestriction,
    XsdList,
    XsdSimpleType,
    XsdUnion,
)

from conformance.strategies import _xsd_lexical as lex
from conformance.strategies import regex_runs
from conformance.strategies._xsd_regex import matching
from conformance.validation.xml_schemas import xmlschema_rule

if TYPE_CHECKING:
    from xmlschema.validators.facets import (
        XsdEnumerationFacets,
        XsdFacet,
        XsdFractionDigitsFacet,
        XsdLengthFacet,
        XsdMaxLengthFacet,
        XsdMinLengthFacet,
        XsdPatternFacets,
        XsdTotalDigitsFacet,
    )

    # Facets whose value is a count of characters, items or digits.
    _CountFacet = (
        XsdLengthFacet
        | XsdMinLengthFacet
        | XsdMaxLengthFacet
        | XsdTotalDigitsFacet
        | XsdFractionDigitsFacet
    )

PATTERN = "cvc-pattern-valid"
ENUMERATION = "cvc-enumeration-valid"
LENGTH = "cvc-length-valid"
MIN_LENGTH = "cvc-minLength-valid"
MAX_LENGTH = "cvc-maxLength-valid"
BOUNDS = {
    "minInclusive": "cvc-minInclusive-valid",
    "minExclusive": "cvc-minExclusive-valid",
    "maxInclusive": "cvc-maxInclusive-valid",
    "maxExclusive": "cvc-maxExclusive-valid",
}
TOTAL_DIGITS = "cvc-totalDigits-valid"
FRACTION_DIGITS = "cvc-fractionDigits-valid"
ATOMIC = "cvc-datatype-valid.1.2.1"
LIST = "cvc-datatype-valid.1.2.2"
UNION = "cvc-datatype-valid.1.2.3"
TRIES = 12
"""Candidates drawn for one valid value before the example is given up."""
BREAK_TRIES = 24
"""Candidates drawn for a value that breaks one rule before another is tried."""

_NOTHING: frozenset[str] = frozenset()
# libxml2 reports a bad list item twice: the item's type, then the list's.
LABELS = {LIST: (LIST, ATOMIC)}


@overload
def facet(
    xsd_type: object, name: Literal["enumeration"]
) -> XsdEnumerationFacets | None: ...


@overload
def facet(
    xsd_type: object,
    name: Literal["length", "minLength", "maxLength", "totalDigits", "fractionDigits"],
) -> _CountFacet | None: ...


@overload
def facet(xsd_type: object, name: str) -> XsdFacet | None: ...


def facet(xsd_type: object, name: str) -> XsdFacet | None:
    """The effective facet ``name`` of a simple type (the nearest in its chain)."""
    getter = getattr(xsd_type, "get_facet", None)
    found: XsdFacet | None = (
        getter(f"{{{lex.XSD}}}{name}") if getter is not None else None
    )
    return found


def base_of(xsd_type: XsdAtomicRestriction) -> XsdSimpleType:
    """The simple base type of a restriction (of a complex type's content too)."""
    base = xsd_type.base_type
    if isinstance(base, XsdSimpleType):
        return base
    # A complex type with simple content: its content is a simple type.
    return cast("XsdSimpleType", base.content)


def builtin_of(xsd_type: XsdSimpleType) -> XsdAtomicBuiltin | None:
    """The nearest built-in ancestor of an atomic type."""
    current: XsdSimpleType | None = xsd_type
    while current is not None and not isinstance(current, XsdAtomicBuiltin):
        if not isinstance(current, XsdAtomicRestriction):
            return None
        current = base_of(current)
    return current


def variety_of(xsd_type: XsdSimpleType) -> XsdList | XsdUnion | None:
    """The list or union type under a chain of restrictions, or ``None``."""
    current = xsd_type
    while isinstance(current, XsdAtomicRestriction):
        current = base_of(current)
    return current if isinstance(current, XsdList | XsdUnion) else None


def derives_from(xsd_type: XsdSimpleType, local_name: str) -> bool:
    """Whether a simple type is, or restricts, the built-in ``xs:<local_name>``."""
    current: XsdSimpleType | None = xsd_type
    while current is not None:
        if current.name == f"{{{lex.XSD}}}{local_name}":
            return True
        if isinstance(current, XsdAtomicRestriction):
            current = base_of(current)
        else:
            current = getattr(current, "base_type", None)
    return False


def type_label(xsd_type: object) -> str:
    """A readable name for a type, for descriptions."""
    name: str | None = getattr(xsd_type, "prefixed_name", None)
    return name if name else "an anonymous type"


# -- auditing a lexical form ---------------------------------------------------


def audit(xsd_type: XsdSimpleType, text: str) -> frozenset[str]:
    """The rules a lexical form breaks (none when it is valid)."""
    return _audit(xsd_type, text)[0]


def _audit(xsd_type: XsdSimpleType, text: str) -> tuple[frozenset[str], object]:
    """The rules broken, and the value (``None`` when the datatype failed)."""
    value: object
    if isinstance(xsd_type, XsdAtomicBuiltin):
        try:
            value = xsd_type.text_decode(text, "strict")
        except XMLSchemaValidationError:
            return frozenset({ATOMIC}), None
        if xsd_type.name == _ANY_URI and not _libxml_uri(xsd_type.normalize(text)):
            return frozenset({ATOMIC}), None
        return _NOTHING, value
    if isinstance(xsd_type, XsdList):
        values: list[object] = []
        for item in xsd_type.normalize(text).split():
            broken, value = _audit(xsd_type.item_type, item)
            if broken:
                return frozenset({LIST}), None
            values.append(value)
        return _NOTHING, values
    if isinstance(xsd_type, XsdUnion):
        for member in xsd_type.member_types:
            broken, value = _audit(member, text)
            if not broken:
                return _NOTHING, value
        return frozenset({UNION}), None
    if not isinstance(xsd_type, XsdAtomicRestriction):
        return _NOTHING, text  # xs:anySimpleType and the like
    text = xsd_type.normalize(text)
    rules: set[str] = set()
    # Only this step's own patterns: xmlschema's ``patterns`` falls back to
    # the base's, and a built-in's pattern is part of its datatype.
    patterns = cast("XsdPatternFacets | None", xsd_type.facets.get(_PATTERN))
    if patterns is not None and patterns.re_match(text) is None:
        rules.add(PATTERN)
    base_broken, value = _audit(base_of(xsd_type), text)
    rules |= base_broken
    if value is not None:
        # The value is known unless its datatype failed: every step's facets
        # judge it, as each validator does (11 breaks both maxInclusive 10
        # of a base and maxExclusive 4 of its restriction).
        for validator in xsd_type.validators:
            try:
                validator(value)
            except XMLSchemaValidationError as error:
                rules.add(xmlschema_rule(error))
            except (TypeError, ValueError, InvalidOperation):
                rules.add(ATOMIC)
                value = None
    return frozenset(rules), value


_ANY_URI = f"{{{lex.XSD}}}anyURI"
_PATTERN = f"{{{lex.XSD}}}pattern"


@lru_cache(maxsize=1)
def _uri_checker() -> etree.XMLSchema:
    schema = f'<xs:schema xmlns:xs="{lex.XSD}"><xs:element name="u" type="xs:anyURI"/>'
    return etree.XMLSchema(etree.fromstring(schema + "</xs:schema>"))


def _libxml_uri(text: str) -> bool:
    """Whether libxml2 takes ``text`` as an xs:anyURI.

    xmlschema takes nearly any string; libxml2 parses it as a URI reference
    with rules of its own (``https://:`` fails). Asking libxml2 itself keeps
    generated values valid for both engines.
    """
    element = etree.Element("u")
    element.text = text
    return bool(_uri_checker().validate(element))


# -- bounded search ------------------------------------------------------------


@st.composite
def satisfying(
    draw: st.DrawFn,
    candidates: st.SearchStrategy[str],
    accept: Callable[[str], bool],
    tries: int = TRIES,
) -> str:
    """The first of up to ``tries`` candidates that ``accept`` takes."""
    found = first(draw, candidates, accept, tries)
    if found is None:
        reject()
    return found


def first(
    draw: st.DrawFn,
    candidates: st.SearchStrategy[str],
    accept: Callable[[str], bool],
    tries: int = TRIES,
) -> str | None:
    """Like :func:`satisfying`, inside a composite: ``None`` when none fits."""
    for _ in range(tries):
        candidate = draw(candidates)
        if accept(candidate):
            return candidate
    return None


# -- the plan ------------------------------------------------------------------


@dataclass(eq=False)
class ValuePlan:
    """What the strategies know about one simple type."""

    xsd_type: XsdSimpleType
    valid: st.SearchStrategy[str]
    breakable: dict[str, list[st.SearchStrategy[str]]] = field(default_factory=dict)
    is_id: bool = False
    is_idref: bool = False

    def audit(self, text: str) -> frozenset[str]:
        """The rules ``text`` breaks as a value of this type."""
        return audit(self.xsd_type, text)

    def breaking(self, draw: st.DrawFn, rule: str) -> str | None:
        """A value that breaks ``rule`` and nothing else, or ``None`` if none found.

        Each try draws from the next source of candidates in turn: hypothesis
        may replay one draw's choices for the next, and a source that cannot
        help would otherwise take every try.
        """
        wanted = frozenset({rule})
        sources = self.breakable[rule]
        for attempt in range(BREAK_TRIES):
            text = draw(sources[attempt % len(sources)])
            if self.audit(text) == wanted:
                return text
        return None

    def labels(self, rule: str) -> tuple[str, ...]:
        """The rules a validator may report when a value breaks ``rule``.

        libxml2 follows a facet failure of a list or union type with the
        list's or union's own datatype rule, at the same place.
        """
        companion = {XsdList: LIST, XsdUnion: UNION}
        variety = variety_of(self.xsd_type) or self.xsd_type
        extra = next((r for t, r in companion.items() if isinstance(variety, t)), None)
        found = LABELS.get(rule, (rule,))
        return found if extra is None or extra in found else (*found, extra)


class ValuePlans:
    """Compiles and caches the :class:`ValuePlan` of each simple type."""

    def __init__(self, version: str) -> None:
        self.version = version
        self._plans: dict[int, ValuePlan] = {}

    def plan(self, xsd_type: XsdSimpleType) -> ValuePlan:
        """The plan of a simple type, compiled once."""
        key = id(xsd_type)
        if key not in self._plans:
            self._plans[key] = self._compile(xsd_type)
        return self._plans[key]

    def _compile(self, xsd_type: XsdSimpleType) -> ValuePlan:
        candidates = self._candidates(xsd_type)
        normalize = xsd_type.normalize
        valid = satisfying(
            candidates.map(normalize), lambda text: not audit(xsd_type, text)
        )
        plan = ValuePlan(
            xsd_type,
            valid,
            is_id=derives_from(xsd_type, "ID"),
            is_idref=derives_from(xsd_type, "IDREF")
            or derives_from(xsd_type, "IDREFS"),
        )
        plan.breakable = {
            rule: [source.map(normalize) for source in sources]
            for rule, sources in self._breakable(xsd_type, plan).items()
        }
        return plan

    # -- valid candidates ------------------------------------------------------

    def _candidates(self, xsd_type: XsdSimpleType) -> st.SearchStrategy[str]:
        if isinstance(xsd_type, XsdUnion):
            return st.one_of([self.plan(m).valid for m in xsd_type.member_types])
        if isinstance(xsd_type, XsdList):
            return self._list(xsd_type, 0, 4)
        enumeration = facet(xsd_type, "enumeration")
        if enumeration is not None:
            return st.sampled_from([e.get("value", "") for e in enumeration])
        variety = variety_of(xsd_type)
        if isinstance(variety, XsdList):
            return self._list(variety, *_counts(xsd_type))
        if isinstance(variety, XsdUnion):
            return self._candidates(variety)
        own = self._own_candidates(xsd_type)
        if (
            isinstance(xsd_type, XsdAtomicRestriction)
            and xsd_type.facets.get(_PATTERN) is not None
            and _regexes(base_of(xsd_type), anywhere=True)
        ):
            # Patterns of two steps must both match. This step's alone may
            # seldom give the base's form ([^@]{1,64}@.* over an e-mail
            # pattern), the base's values seldom this step's: draw from both.
            return st.one_of(own, self.plan(base_of(xsd_type)).valid)
        return own

    def _own_candidates(self, xsd_type: XsdSimpleType) -> st.SearchStrategy[str]:
        builtin = builtin_of(xsd_type)
        if builtin is None:
            return lex.lexical("string", lex.Facets(), self.version)
        name = cast("str", builtin.local_name)  # built-in types have names
        regexes = _regexes(xsd_type)
        if not regexes:
            return lex.lexical(name, _facets(xsd_type), self.version)
        from_pattern = st.one_of([matching(r) for r in regexes])
        if name in lex.SAMPLES:
            # Random digits seldom make a real day, so the built-in generator
            # leads, limited to the time zone forms the pattern allows.
            zones, fractions = _shapes(name, regexes)
            generated = lex.temporal(
                name, _facets(xsd_type), self.version, zones or lex.ZONES, fractions
            )
            return generated if zones else st.one_of(generated, from_pattern)
        if name in lex.TEMPORAL or name in lex.BINARY or name == "boolean":
            generated = lex.lexical(name, _facets(xsd_type), self.version)
            return st.one_of(generated, from_pattern)
        return from_pattern

    def _list(
        self, list_type: XsdList, low: int, high: int | None
    ) -> st.SearchStrategy[str]:
        item = self.plan(list_type.item_type).valid
        # Items are separated by whitespace, so none may contain any.
        item = satisfying(item, lambda text: not lex.XML_WHITESPACE & set(text))
        most = high if high is not None else low + 4
        items = st.lists(item, min_size=low, max_size=min(most, low + 4))
        return items.map(" ".join)

    # -- candidates that break one rule ---------------------------------------------

    def _breakable(
        self, xsd_type: XsdSimpleType, plan: ValuePlan
    ) -> dict[str, list[st.SearchStrategy[str]]]:
        """Sources of candidates for each rule the type can break on its own."""
        valid = plan.valid
        found: dict[str, list[st.SearchStrategy[str]]] = {}
        datatype = self._bad_datatype(xsd_type, valid)
        if datatype is not None:
            found[datatype[0]] = datatype[1]
        if not isinstance(xsd_type, XsdAtomicRestriction):
            return found
        base = self.plan(base_of(xsd_type)).valid
        if facet(xsd_type, "enumeration") is not None:
            found[ENUMERATION] = [edits(valid), base]
            return found
        if _regexes(xsd_type, anywhere=True):
            # Values of the base break only this step's pattern more often
            # than edits or random text do.
            found[PATTERN] = [base, edits(valid), _texts(xsd_type)]
        found.update(self._lengths(xsd_type, valid))
        found.update(_numbers(xsd_type, valid))
        return found

    def _bad_datatype(
        self, xsd_type: XsdSimpleType, valid: st.SearchStrategy[str]
    ) -> tuple[str, list[st.SearchStrategy[str]]] | None:
        variety = (
            variety_of(xsd_type)
            if not isinstance(xsd_type, XsdList | XsdUnion)
            else xsd_type
        )
        if isinstance(variety, XsdList):
            item_type = variety.item_type
            item = self._bad_datatype(item_type, self.plan(item_type).valid)
            if item is None:
                return None
            bad = st.tuples(valid, st.one_of(item[1])).map(" ".join)
            return LIST, [bad, edits(valid)]
        if isinstance(variety, XsdUnion):
            members = [
                self._bad_datatype(m, self.plan(m).valid) for m in variety.member_types
            ]
            if any(m is None for m in members):
                return None
            return UNION, [edits(valid), *(s for m in members if m for s in m[1])]
        builtin = builtin_of(xsd_type)
        if builtin is None:
            return None
        samples = lex.bad_lexical(cast("str", builtin.local_name))
        if not samples:
            return None
        # A changed digit keeps a date's pattern (2021-02-33); strings no
        # datatype takes; any single edit.
        return ATOMIC, [digit_swaps(valid), st.sampled_from(samples), edits(valid)]

    def _lengths(
        self, xsd_type: XsdSimpleType, valid: st.SearchStrategy[str]
    ) -> dict[str, list[st.SearchStrategy[str]]]:
        found: dict[str, list[st.SearchStrategy[str]]] = {}
        low, high = _counts(xsd_type)
        variety = variety_of(xsd_type)
        widths = [] if variety is not None else _widths(xsd_type)
        exact = facet(xsd_type, "length") is not None
        longer = high is not None and all(w[1] > high for w in widths)
        shorter = low > 0 and all(w[0] < low for w in widths)
        if isinstance(variety, XsdList):
            too_long = (
                self._list(variety, high + 1, high + 3)
                if longer and high is not None
                else None
            )
            too_short = self._list(variety, 0, low - 1) if shorter else None
        else:
            too_long = pumped(valid, high + 1) if longer and high is not None else None
            too_short = truncated(valid, low - 1) if shorter else None
        if exact:
            options = [s for s in (too_long, too_short) if s is not None]
            if options:
                found[LENGTH] = options
            return found
        if too_long is not None and facet(xsd_type, "maxLength") is not None:
            found[MAX_LENGTH] = [too_long]
        if too_short is not None and facet(xsd_type, "minLength") is not None:
            found[MIN_LENGTH] = [too_short]
        return found


# -- facets as generators need them --------------------------------------------


def _facets(xsd_type: XsdSimpleType) -> lex.Facets:
    low, high = _counts(xsd_type)
    lower, lower_open = _bound(xsd_type, "minInclusive", "minExclusive")
    upper, upper_open = _bound(xsd_type, "maxInclusive", "maxExclusive")
    total = facet(xsd_type, "totalDigits")
    fraction = facet(xsd_type, "fractionDigits")
    return lex.Facets(
        min_length=low,
        max_length=high,
        lower=lower,
        lower_open=lower_open,
        upper=upper,
        upper_open=upper_open,
        total_digits=total.value if total is not None else None,
        fraction_digits=fraction.value if fraction is not None else None,
    )


class _Ordered(Protocol):
    """A bound's value: compared with the other bound, a value of its type."""

    def __ge__(self, other: Self, /) -> bool: ...

    def __le__(self, other: Self, /) -> bool: ...


def _bound(
    xsd_type: XsdSimpleType, inclusive: str, exclusive: str
) -> tuple[object, bool]:
    """The tighter of the inclusive and exclusive bound, and whether it is open."""
    closed, opened = facet(xsd_type, inclusive), facet(xsd_type, exclusive)
    if opened is None:
        return (closed.value if closed is not None else None), False
    if closed is None:
        return opened.value, True
    open_value = cast("_Ordered", opened.value)
    closed_value = cast("_Ordered", closed.value)
    try:
        tighter = (
            open_value >= closed_value
            if inclusive.startswith("min")
            else open_value <= closed_value
        )
    except TypeError:
        tighter = True
    return (opened.value, True) if tighter else (closed.value, False)


def _counts(xsd_type: XsdSimpleType) -> tuple[int, int | None]:
    length = facet(xsd_type, "length")
    if length is not None:
        return length.value, length.value
    low, high = facet(xsd_type, "minLength"), facet(xsd_type, "maxLength")
    return (low.value if low is not None else 0), (
        high.value if high is not None else None
    )


def _inner(pattern: re.Pattern[str]) -> str:
    # xmlschema anchors each translated pattern as ^(?:...)$(?!\n\Z); the
    # body alone is what from_regex(fullmatch=True) wants.
    text = pattern.pattern
    head, tail = "^(?:", ")$(?!\\n\\Z)"
    if text.startswith(head) and text.endswith(tail):
        return text[len(head) : -len(tail)]
    return text


def _regexes(xsd_type: XsdSimpleType, *, anywhere: bool = False) -> list[str]:
    """The Python regexes of the nearest pattern facet (or of any, if asked)."""
    found: list[str] = []
    current = xsd_type
    while isinstance(current, XsdAtomicRestriction):
        own = cast("XsdPatternFacets | None", current.facets.get(_PATTERN))
        if own is not None:
            found.extend(_inner(p) for p in own.patterns)
            if not anywhere:
                return found
        current = base_of(current)
    return found


def _shapes(name: str, regexes: list[str]) -> tuple[frozenset[str], bool]:
    """The time zone forms, and whether fractions of seconds, patterns allow."""
    compiled = [re.compile(r) for r in regexes]

    def allowed(sample: str) -> bool:
        return any(r.fullmatch(sample) for r in compiled)

    form = lex.SAMPLES[name]
    zones = frozenset(z for z in lex.ZONES if allowed(form.format(z)))
    fractions = "10:00:00" not in form or any(
        allowed(form.replace("10:00:00", "10:00:00.5").format(z)) for z in zones
    )
    return zones, fractions


def _widths(xsd_type: XsdSimpleType) -> list[tuple[int, int]]:
    """For each restriction step with patterns, the shortest and longest match."""
    widths = []
    current = xsd_type
    while isinstance(current, XsdAtomicRestriction):
        own = cast("XsdPatternFacets | None", current.facets.get(_PATTERN))
        if own is not None:
            spans = [_width(_inner(p)) for p in own.patterns]
            widths.append((min(s[0] for s in spans), max(s[1] for s in spans)))
        current = base_of(current)
    return widths


def _width(regex: str) -> tuple[int, int]:
    try:
        # AttributeError: re._parser is missing (regex_runs.parser is None).
        low, high = regex_runs.parser.parse(regex).getwidth()
    except (re.error, AttributeError):
        return 0, 2**31
    return int(low), int(high)


def _texts(xsd_type: XsdSimpleType) -> st.SearchStrategy[str]:
    low, high = _counts(xsd_type)
    most = high if high is not None else low + 12
    return st.text(lex.TEXT, min_size=low, max_size=min(most, low + 12))


# -- edits of valid values -----------------------------------------------------

_EDIT_CHARS = st.one_of(st.sampled_from(list("aZ09 -_.:/@#+xéİ")), lex.TEXT)


def edits(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A valid value with one character replaced, inserted or deleted."""
    return st.builds(
        _edit, valid, st.integers(0, 64), st.sampled_from("rid"), _EDIT_CHARS
    )


def _edit(text: str, where: int, how: str, char: str) -> str:
    at = where % (len(text) + 1)
    if how == "r" and at < len(text):
        return text[:at] + char + text[at + 1 :]
    if how == "d" and at < len(text):
        return text[:at] + text[at + 1 :]
    return text[:at] + char + text[at:]


def digit_swaps(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A valid value with one digit changed: 2021-02-03 may become 2021-02-33."""
    return st.builds(_swap, valid, st.integers(0, 64), st.sampled_from("0123456789"))


def _swap(text: str, where: int, digit: str) -> str:
    places = [i for i, c in enumerate(text) if c.isdigit()]
    if not places:
        return text
    at = places[where % len(places)]
    return text[:at] + digit + text[at + 1 :]


def pumped(valid: st.SearchStrategy[str], length: int) -> st.SearchStrategy[str]:
    """A valid value grown to at least ``length`` characters by repeating one.

    Repeating a character a pattern takes one or more of (a letter of a name)
    keeps the pattern matched while only the length changes.
    """
    return st.builds(
        _pump, valid, st.integers(0, 64), st.integers(0, 3), st.just(length)
    )


def _pump(text: str, where: int, extra: int, length: int) -> str:
    if not text:
        return "a" * (length + extra)
    at = where % len(text)
    times = max(length - len(text), 0) + extra + 1
    return text[:at] + text[at] * times + text[at:]


def truncated(valid: st.SearchStrategy[str], most: int) -> st.SearchStrategy[str]:
    """A prefix of a valid value with at most ``most`` characters."""
    return st.builds(lambda text, n: text[: n % (most + 1)], valid, st.integers(0, 64))


# -- numbers past a bound ------------------------------------------------------


def _numbers(
    xsd_type: XsdSimpleType, valid: st.SearchStrategy[str]
) -> dict[str, list[st.SearchStrategy[str]]]:
    builtin = builtin_of(xsd_type)
    if builtin is None or builtin.local_name not in lex.NUMBERS:
        return {}
    integral = builtin.local_name in lex.INTEGERS or derives_from(xsd_type, "integer")
    found: dict[str, list[st.SearchStrategy[str]]] = {}
    for name, rule in BOUNDS.items():
        bound = facet(xsd_type, name)
        if (
            bound is None
            or bound.parent is None
            or isinstance(bound.parent, XsdAtomicBuiltin)
        ):
            continue  # a built-in's own range is its datatype, not a facet
        found[rule] = [st.sampled_from(_beyond(bound.value, name, integral))]
    total = facet(xsd_type, "totalDigits")
    fraction = facet(xsd_type, "fractionDigits")
    most = total.value if total is not None else None
    places = fraction.value if fraction is not None else None
    if (
        most is not None
        and total is not None
        and not isinstance(total.parent, XsdAtomicBuiltin)
    ):
        scales = range(1) if integral else range(min(most, places or most) + 1)
        found[TOTAL_DIGITS] = [_digits(most + 1, most + 1, scales)]
    if places is not None and not integral and (most is None or places < most):
        # One fraction digit too many, with no more digits than allowed.
        tail = "0" * places + "1"
        found[FRACTION_DIGITS] = [
            _digits(1, most if most is not None else places + 2, [places + 1]),
            st.builds(lambda v: v + tail if "." in v else f"{v}.{tail}", valid),
        ]
    return found


def _beyond(value: object, name: str, integral: bool) -> list[str]:
    """Numbers just past (or, for an exclusive bound, at) a bound."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return ["0"]
    sign = -1 if name.startswith("min") else 1
    steps = [Decimal(1), Decimal(10)] if integral else [Decimal("0.5"), Decimal(1)]
    if not integral:
        steps.append(Decimal("0.001"))
    found = [number + sign * step for step in steps]
    if name.endswith("Exclusive"):
        found.insert(0, number)
    return [_number_text(n, integral) for n in found]


def _digits(fewest: int, most: int, scales: Iterable[int]) -> st.SearchStrategy[str]:
    """Decimals of ``fewest`` to ``most`` digits, the point ``scale`` from the end."""
    # The last digit is never 0: a trailing zero after the point would not
    # count, and the number would have a digit fewer than meant.
    numbers = st.integers(10 ** (fewest - 1), 10**most - 1).map(
        lambda n: n if n % 10 else n + 1
    )
    return st.builds(
        lambda n, scale, sign: sign + format(Decimal(n).scaleb(-scale), "f"),
        numbers,
        st.sampled_from(list(scales)),
        st.sampled_from(["", "-"]),
    )


def _number_text(number: Decimal, integral: bool) -> str:
    if integral:
        return str(int(number))
    return format(number.normalize(), "f")
