"""Parameters as they travel: OpenAPI 3 style rules, out and back.

A parameter's value is a JSON value; on the wire it is text, shaped by the
parameter's ``style`` and ``explode`` (OpenAPI 3, "Style Values"). The
defaults follow the location: ``simple`` for path and header, ``form`` with
``explode`` for query (and cookie). A primitive is written in its plain
form: ``true``/``false``, a number as JSON prints it, a string as it is.

:func:`serialize` writes a value for its location: a path segment and a
query fragment percent-encoded, a header value as it is. :func:`belongs`
goes back: does the text a client sends stand for a value the parameter's
schema accepts? The text ``12345`` does for a string schema (a URL holds no
types), ``12a`` does not for an integer one. So an *invalid* parameter value
is one whose serialized form breaks the schema, never a JSON value of the
wrong type that serializes to a valid one.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from conformance.model import JsonValue

if TYPE_CHECKING:
    from conformance.probing.interfaces import Parameter

_DEFAULT_STYLE = {
    "path": "simple",
    "query": "form",
    "header": "simple",
    "cookie": "form",
}
# Numbers as a server reads them from text: leading zeros are let pass
# (``007`` is seven to most parsers), so they are never called invalid.
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"-?[0-9]+")
# What a header field value may be as sent: visible ASCII with inner spaces
# (RFC 9110 §5.5; leading and trailing white space is not part of the value,
# and obsolete non-ASCII text is left out), or nothing.
_HEADER_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?")
# The most interpretations of an array's text tried before giving up: each
# item may stand for a string, a number, a boolean or null.
_MAX_READINGS = 256


def style_of(parameter: Parameter) -> str:
    """The parameter's style, or its location's default."""
    return parameter.style or _DEFAULT_STYLE.get(parameter.location, "simple")


def explode_of(parameter: Parameter) -> bool:
    """Whether the parameter explodes: as declared, else only for ``form``."""
    if parameter.explode is not None:
        return parameter.explode
    return style_of(parameter) == "form"


def text_of(value: JsonValue) -> str:
    """A primitive's plain text: ``true``, ``12``, ``1.5``, a string as it is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def serialize(parameter: Parameter, value: JsonValue) -> str:
    """The value as it is sent: a path segment, a query fragment or a header value.

    A path segment and a query fragment (``name=v`` pairs joined by ``&``)
    are percent-encoded, each part on its own, so that a delimiter inside a
    value cannot be read as one; a header value is written as it is.
    """
    style, explode = style_of(parameter), explode_of(parameter)
    name, location = parameter.name, parameter.location
    if location == "header":
        return _simple(value, explode, encode=_raw)
    if location == "path":
        if style == "label":
            return _label(value, explode)
        if style == "matrix":
            return _matrix(name, value, explode)
        return _simple(value, explode, encode=_segment)
    return "&".join(f"{_segment(k)}={v}" for k, v in _query_pairs(parameter, value))


def _raw(text: str) -> str:
    return text


def _segment(text: str) -> str:
    return quote(text, safe="")


def _pairs(value: dict[str, JsonValue]) -> list[tuple[str, str]]:
    return [(k, text_of(v)) for k, v in value.items()]


def _simple(value: JsonValue, explode: bool, encode: Callable[[str], str]) -> str:
    if isinstance(value, list):
        return ",".join(encode(text_of(item)) for item in value)
    if isinstance(value, dict):
        if explode:
            return ",".join(f"{encode(k)}={encode(v)}" for k, v in _pairs(value))
        return ",".join(f"{encode(k)},{encode(v)}" for k, v in _pairs(value))
    return encode(text_of(value))


def _label(value: JsonValue, explode: bool) -> str:
    if isinstance(value, list):
        joiner = "." if explode else ","
        return "." + joiner.join(_segment(text_of(item)) for item in value)
    if isinstance(value, dict):
        if explode:
            return "".join(f".{_segment(k)}={_segment(v)}" for k, v in _pairs(value))
        return "." + ",".join(f"{_segment(k)},{_segment(v)}" for k, v in _pairs(value))
    return "." + _segment(text_of(value))


def _matrix(name: str, value: JsonValue, explode: bool) -> str:
    key = _segment(name)
    if isinstance(value, list):
        if explode:
            return "".join(f";{key}={_segment(text_of(item))}" for item in value)
        return f";{key}=" + ",".join(_segment(text_of(item)) for item in value)
    if isinstance(value, dict):
        if explode:
            return "".join(f";{_segment(k)}={_segment(v)}" for k, v in _pairs(value))
        return f";{key}=" + ",".join(
            f"{_segment(k)},{_segment(v)}" for k, v in _pairs(value)
        )
    return f";{key}={_segment(text_of(value))}"


def _query_pairs(parameter: Parameter, value: JsonValue) -> list[tuple[str, str]]:
    """``(name, encoded value)`` pairs of a query (or cookie) parameter."""
    style, explode, name = style_of(parameter), explode_of(parameter), parameter.name
    if isinstance(value, list):
        items = [_segment(text_of(item)) for item in value]
        if style == "spaceDelimited":
            return [(name, "%20".join(items))]
        if style == "pipeDelimited":
            return [(name, "|".join(items))]
        if explode:
            return [(name, item) for item in items] or [(name, "")]
        return [(name, ",".join(items))]
    if isinstance(value, dict):
        if style == "deepObject":
            return [(f"{name}[{k}]", _segment(v)) for k, v in _pairs(value)]
        if explode:
            return [(k, _segment(v)) for k, v in _pairs(value)]
        return [
            (name, ",".join(f"{_segment(k)},{_segment(v)}" for k, v in _pairs(value)))
        ]
    return [(name, _segment(text_of(value)))]


# -- back: what a serialized text stands for ------------------------------------


def readings(parameter: Parameter, text: str) -> list[JsonValue]:
    """Every value the text may stand for, by the parameter's style.

    The text carries no types: ``5`` may be the string or the number, and
    ``a,b`` a string, an array of two or an object ``{"a": "b"}``. The
    schema decides (:func:`belongs`).
    """
    style, explode = style_of(parameter), explode_of(parameter)
    location = parameter.location
    if location == "header":
        return header_readings(text, explode)
    if location == "path":
        if style == "label":
            if not text.startswith("."):
                return []
            body = text[1:]
            return _delimited_readings(body, "." if explode else ",", explode)
        if style == "matrix":
            return _matrix_readings(parameter.name, text, explode)
        return _simple_readings(text, explode, decode=unquote)
    return _query_readings(parameter, text)


def header_readings(text: str, explode: bool = False) -> list[JsonValue]:
    """Every value a header's text may stand for (OpenAPI's ``simple`` style,
    the only one headers have): of a parameter, or of a response header."""
    return _simple_readings(text, explode, decode=_raw)


def _primitives(text: str) -> list[JsonValue]:
    """What one plain text may stand for: always the string, and maybe more."""
    found: list[JsonValue] = [text]
    if _INTEGER.fullmatch(text):
        found.append(int(text))
    elif _NUMBER.fullmatch(text):
        found.append(float(text))
    if text in ("true", "false"):
        found.append(text == "true")
    if text in ("", "null"):
        found.append(None)
    return found


def _arrays(items: list[str]) -> list[JsonValue]:
    options = [_primitives(item) for item in items]
    found: list[JsonValue] = []
    for combination in itertools.islice(itertools.product(*options), _MAX_READINGS):
        found.append(list(combination))
    return found


def _objects(pairs: list[tuple[str, str]]) -> list[JsonValue]:
    names = [k for k, _ in pairs]
    if len(set(names)) != len(names):
        return []
    options = [_primitives(v) for _, v in pairs]
    found: list[JsonValue] = []
    for combination in itertools.islice(itertools.product(*options), _MAX_READINGS):
        found.append(dict(zip(names, combination, strict=True)))
    return found


def _simple_readings(
    text: str, explode: bool, decode: Callable[[str], str]
) -> list[JsonValue]:
    found = _primitives(decode(text))
    parts = text.split(",")
    found += _arrays([decode(p) for p in parts])
    if explode:
        if all("=" in p for p in parts):
            found += _objects(
                [
                    (decode(k), decode(v))
                    for k, _, v in (p.partition("=") for p in parts)
                ]
            )
    elif len(parts) % 2 == 0:
        decoded = [decode(p) for p in parts]
        found += _objects(list(zip(decoded[::2], decoded[1::2], strict=True)))
    return found


def _delimited_readings(text: str, joiner: str, explode: bool) -> list[JsonValue]:
    found = _primitives(unquote(text))
    parts = text.split(joiner)
    found += _arrays([unquote(p) for p in parts])
    if explode and all("=" in p for p in parts):
        found += _objects(
            [(unquote(k), unquote(v)) for k, _, v in (p.partition("=") for p in parts)]
        )
    elif not explode and len(parts) % 2 == 0:
        decoded = [unquote(p) for p in parts]
        found += _objects(list(zip(decoded[::2], decoded[1::2], strict=True)))
    return found


def _matrix_readings(name: str, text: str, explode: bool) -> list[JsonValue]:
    if not text.startswith(";"):
        return []
    pairs = [p.partition("=") for p in text[1:].split(";")]
    found: list[JsonValue] = []
    if len(pairs) == 1 and unquote(pairs[0][0]) == name:
        value = pairs[0][2]
        found += _primitives(unquote(value))
        if not explode:
            parts = [unquote(p) for p in value.split(",")]
            found += _arrays(parts)
            if len(parts) % 2 == 0:
                found += _objects(list(zip(parts[::2], parts[1::2], strict=True)))
    if explode:
        if all(unquote(k) == name for k, _, _ in pairs):
            found += _arrays([unquote(v) for _, _, v in pairs])
        found += _objects([(unquote(k), unquote(v)) for k, _, v in pairs])
    return found


def _query_readings(parameter: Parameter, text: str) -> list[JsonValue]:
    style, explode, name = style_of(parameter), explode_of(parameter), parameter.name
    pairs = [(unquote(k), v) for k, _, v in (p.partition("=") for p in text.split("&"))]
    found: list[JsonValue] = []
    if style == "deepObject":
        inner = []
        for key, value in pairs:
            match = re.fullmatch(re.escape(name) + r"\[([^\]]*)\]", key)
            if match is None:
                return []
            inner.append((match.group(1), unquote(value)))
        return _objects(inner)
    if len(pairs) == 1 and pairs[0][0] == name:
        value = pairs[0][1]
        found += _primitives(unquote(value))
        delimiter = {"spaceDelimited": "%20", "pipeDelimited": "|"}.get(style, ",")
        parts = [unquote(p) for p in value.split(delimiter)]
        found += _arrays(parts)
        if style == "form" and not explode and len(parts) % 2 == 0:
            found += _objects(list(zip(parts[::2], parts[1::2], strict=True)))
    if explode and style == "form":
        if all(k == name for k, _ in pairs):
            found += _arrays([unquote(v) for _, v in pairs])
        found += _objects([(k, unquote(v)) for k, v in pairs])
    return found


def belongs(
    parameter: Parameter, text: str, is_valid: Callable[[JsonValue], bool]
) -> bool:
    """Whether the serialized ``text`` stands for a value the schema accepts.

    ``is_valid`` judges a JSON value against the parameter's schema (a
    compiled validator's ``is_valid``).
    """
    return any(is_valid(value) for value in readings(parameter, text))


def sendable(parameter: Parameter, text: str) -> bool:
    """Whether the text can be sent as this parameter at all.

    A header value must be visible ASCII without white space at either end
    (the receiver would strip it); a path segment must not be empty (the
    request would go to another path).
    """
    if parameter.location == "header":
        return _HEADER_VALUE.fullmatch(text) is not None
    if parameter.location == "path":
        return text not in ("", ".", "..")
    return True


def text_mutations(text: str) -> list[str]:
    """Texts near a valid one that often break a schema: for an integer
    ``12a``, ``12.5``, a minus; for a pattern a character too many or too
    few; nothing at all."""
    found = [text + "a", text + ".5", "", "-" + text, text[:-1]]
    if text:
        found += [text + text[-1], "!" + text]
    return list(dict.fromkeys(found))
