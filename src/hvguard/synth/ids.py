"""Deterministic stand-ins for the random values a cluster is full of (UIDs, name suffixes, IPs).

Every value is derived from the names it belongs to, so a scenario built twice is identical and a
bundle written twice is byte-identical; nothing here reads a clock or a random generator.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

_NAMESPACE = uuid.UUID("5d1f8c0e-9a4b-4c52-b7a3-3e6f0c2d9a71")  # hvguard synthetic clusters
# Kubernetes' rand.String alphabet (no vowels, no ambiguous digits): pod and disk name suffixes.
_K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def _digest(parts: tuple[str, ...], algorithm: str = "sha256") -> bytes:
    return hashlib.new(algorithm, "\x00".join(parts).encode()).digest()


def uid(*parts: str) -> str:
    """A UUID (``metadata.uid`` style) for the object these parts name."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def hex_id(length: int, *parts: str) -> str:
    """Lower-case hex, as in Longhorn's ``RandomID`` (8) or a disk name (16)."""
    return _digest(parts).hex()[:length]


def suffix(length: int, *parts: str) -> str:
    """A ``generateName``-style suffix (``virt-launcher-web-01-x7k2p``)."""
    return "".join(_K8S_ALPHABET[byte % len(_K8S_ALPHABET)] for byte in _digest(parts)[:length])


def sha512_hex(*parts: str) -> str:
    """A SHA-512 hex digest, the checksum format of backing images."""
    return _digest(parts, "sha512").hex()


def number(low: int, high: int, *parts: str) -> int:
    """An integer in ``[low, high)``."""
    return low + int.from_bytes(_digest(parts)[:8], "big") % (high - low)


def resource_version(*parts: str) -> str:
    """An etcd revision for an object; list revisions are made larger than all of these."""
    return str(number(1_000_000, 40_000_000, "resourceVersion", *parts))


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def rfc3339(moment: datetime) -> str:
    """``metav1.Time`` format: second precision, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def shifted(text: str, **delta: float) -> str:
    """An RFC 3339 time moved by ``timedelta(**delta)``: ``shifted(t, days=-3)``."""
    return rfc3339(parse_time(text) + timedelta(**delta))


def rfc3339_nano(moment: datetime, nanos: int) -> str:
    """Go's ``time.RFC3339Nano``: the fraction loses its trailing zeros (the kubelet log prefix)."""
    fraction = f"{nanos:09d}".rstrip("0")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"
