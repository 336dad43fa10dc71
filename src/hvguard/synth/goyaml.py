"""YAML text exactly as Go's ``gopkg.in/yaml.v2`` writes it (the encoder support-bundle-kit uses).

A synthetic bundle must be byte-for-byte what the real tool produces, because the bundle reader is
tested against it and the quirks live in the bytes: which strings get double quotes, that every
number went through ``float64`` (so ``231131136`` is written ``2.31131136e+08`` and ``1e11`` is
written ``1e+11``, which YAML 1.1 readers take for a string), and the order of map keys.

yaml.v2's emitter is a Go port of libyaml, so the layout (indentation, line folding at 80 columns,
when a plain scalar must fall back to single quotes) is left to libyaml: this module feeds PyYAML's
emitter the same events yaml.v2 feeds its own (untagged, implicit). Only the decisions yaml.v2
makes *before* the emitter are reproduced here:

* map keys are sorted with yaml.v2's ``keyList.Less`` (letters after other runes, digit runs
  compared as numbers);
* a string is written plain only if yaml.v2's own resolver would read it back as a string (and it
  is not a base-60 float); otherwise double-quoted; strings with a newline use literal style;
* floats use ``strconv.FormatFloat(f, 'g', -1, 64)``; no tag is ever written.
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

# yaml.v2 resolve.go: strings looked up before any parsing ("<<" is in its map too, but its first
# character carries no hint, so it is never looked up).
_RESOLVE_MAP = frozenset(
    ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"]
) | {""}
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_BASE60_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")
# The layouts yaml.v2 tries with time.Parse ("2006-1-2T15:4:5.999999999Z07:00" and friends).
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:[Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})"
    r"| [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?)?\Z"
)
_GO_INT = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)\Z")
_INT64_MAX = 2**63 - 1
_UINT64_MAX = 2**64 - 1


def format_float(value: float) -> str:
    """``strconv.FormatFloat(value, 'g', -1, 64)``: shortest digits, exponent form from 1e+06 up."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    _, digit_tuple, raw_exponent = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    exponent = int(raw_exponent) + len(digit_tuple) - len(digits)  # the zeros stripped from the right
    point = len(digits) + exponent  # digits before the decimal point
    exp10 = point - 1
    if exp10 < -4 or exp10 >= 6:  # Go's rule for the shortest 'g' format
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _is_go_int(text: str) -> bool:
    """``strconv.ParseInt(text, 0, 64)`` or ``ParseUint`` succeeds (underscores already removed)."""
    if not _GO_INT.match(text):
        return False
    body = text.lstrip("+-")
    base = 16 if body[:2] in ("0x", "0X") else 2 if body[:2] in ("0b", "0B") else 8 if body[:1] == "0" else 10
    magnitude = int(body[2:] if base in (16, 2) or body[:2] in ("0o", "0O") else body, base)
    if text[0] in "+-":
        return magnitude <= _INT64_MAX + (text[0] == "-")
    return magnitude <= _UINT64_MAX


def _is_go_float(text: str) -> bool:
    """``strconv.ParseFloat(text, 64)`` succeeds (Python's float() is laxer: no blanks, no ``_``)."""
    if "_" in text or text != text.strip():
        return False
    try:
        return not math.isinf(float(text))  # Go reports overflow to ±Inf as an error
    except ValueError:
        return False


def resolves_to_string(text: str) -> bool:
    """Whether yaml.v2's ``resolve("", text)`` reads this plain scalar back as a string."""
    if text in _RESOLVE_MAP:
        return False
    hint = text[0]
    if hint == ".":
        return not _is_go_float(text)
    if not (hint.isascii() and (hint.isdigit() or hint in "+-")):
        return True
    if _TIMESTAMP.match(text):
        return False
    plain = text.replace("_", "")
    if _is_go_int(plain):
        return False
    return not (_YAML_STYLE_FLOAT.match(plain) and _is_go_float(plain))


def _go_key_less(a: str, b: str) -> bool:
    """yaml.v2 ``keyList.Less`` for two string keys."""
    for i, (ra, rb) in enumerate(zip(a, b, strict=False)):
        if ra == rb:
            continue
        la, lb = ra.isalpha(), rb.isalpha()
        if la and lb:
            return ra < rb
        if la or lb:
            return lb
        an = bn = 0
        if ra == "0" or rb == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ra < rb
    return len(a) < len(b)


def _go_key_compare(a: str, b: str) -> int:
    return -1 if _go_key_less(a, b) else (1 if _go_key_less(b, a) else 0)


_KEY_ORDER = functools.cmp_to_key(_go_key_compare)
_LETTERS_ONLY = re.compile(r"[A-Za-z]*\Z")


@functools.lru_cache(maxsize=4096)
def _sorted_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    # Objects of one kind share their key sets, hence the cache. For keys made of ASCII letters
    # only, yaml.v2's order is plain string order: a fast path for most Kubernetes field names.
    if all(_LETTERS_ONLY.match(key) for key in keys):
        return tuple(sorted(keys))
    return tuple(sorted(keys, key=_KEY_ORDER))


@functools.lru_cache(maxsize=65536)  # keys and many values repeat across objects
def _string_style(text: str) -> str | None:
    if "\n" in text:
        return "|"
    if resolves_to_string(text) and not _BASE60_FLOAT.match(text):
        return None  # plain; the emitter still falls back to quotes where plain is not allowed
    return '"'


def _emit(emit: Callable[[Event], None], value: Any, sort_maps: bool) -> None:
    """Emit ``value``'s events, every node untagged and implicit, as yaml.v2 emits them."""
    if isinstance(value, str):
        emit(ScalarEvent(None, None, (True, True), value, style=_string_style(value)))
    elif isinstance(value, dict):
        emit(MappingStartEvent(None, None, True, flow_style=False))
        for key in _sorted_keys(tuple(value)) if sort_maps else value:
            emit(ScalarEvent(None, None, (True, True), key, style=_string_style(key)))
            _emit(emit, value[key], sort_maps)
        emit(MappingEndEvent())
    elif isinstance(value, list | tuple):
        emit(SequenceStartEvent(None, None, True, flow_style=False))
        for item in value:
            _emit(emit, item, sort_maps)
        emit(SequenceEndEvent())
    else:
        emit(ScalarEvent(None, None, (True, True), _scalar_text(value)))


def _scalar_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


DUMPER: type = yaml.CDumper if yaml.__with_libyaml__ else yaml.Dumper  # libyaml's emitter, as yaml.v2 ports it
PYTHON_DUMPER: type = yaml.Dumper  # PyYAML's pure-Python port of the same emitter


def dump(data: Any, *, sort_maps: bool = True, dumper: type = DUMPER) -> str:
    """The document yaml.v2's ``Encoder.Encode`` writes for ``data``.

    ``sort_maps=False`` keeps insertion order, which is how yaml.v2 writes a Go struct (for example
    the bundle's ``metadata.yaml``); maps (``map[string]interface{}``) are always sorted.
    """
    stream = io.StringIO()
    emitter = dumper(stream, allow_unicode=True)
    try:
        emitter.emit(StreamStartEvent())
        emitter.emit(DocumentStartEvent(explicit=False))
        _emit(emitter.emit, data, sort_maps)
        emitter.emit(DocumentEndEvent(explicit=False))
        emitter.emit(StreamEndEvent())
    finally:
        emitter.dispose()
    return stream.getvalue()
