"""Harvester and Longhorn version strings, and matching them against the data's ranges.

Imports only ``packaging`` and ``hvguard.errors``; used by ``catalog`` and by anything that reads a
version off a cluster (``settings.harvesterhci.io/server-version``, Longhorn's
``current-longhorn-version``).

Why not plain ``packaging.version.Version``: clusters report strings packaging cannot parse or that
mean something else in Harvester. Harvester itself (``harvester/go-common`` ``version.NewHarvesterVersion``)
treats every string that is not strict semver as a *dev* build (``v1.5-head``, ``master-head``,
``1a861fc-dirty``) that cannot be ordered against releases. hvguard differs twice. A string that
matches no known build scheme is an :class:`UnknownVersionError`, so a typo on the command line is
not taken for a dev build that "anything goes" for. And the dated tags Harvester cuts between
releases (``v1.4.0-dev-20250101``), which go-common sees as semver prereleases, are dev builds here
(they are snapshots of ``master``) that still sort before the release they lead up to.

Ranges in the data are PEP 440 specifier sets without the ``v`` (``">=1.4.0,<1.5.0"``, comma = AND);
a YAML list of them means OR, and ``""`` means any version. A prerelease or dated dev build is
matched as the release it leads up to (``v1.4.0-rc1`` is "1.4.0" to a range) because the knowledge
about a release applies to its candidates; it still *sorts* before that release.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version as PepVersion

from hvguard.errors import InputError, KnowledgeError


class UnknownVersionError(InputError):
    """A version string that matches no Harvester/Longhorn build scheme."""


class IncomparableVersionError(InputError):
    """A dev build without a release number was compared or matched against a range."""


_PRERELEASE_PEP440 = {"alpha": "a", "beta": "b", "rc": "rc"}

_RELEASE = re.compile(r"v?(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)")
_PRERELEASE = re.compile(_RELEASE.pattern + r"-(?P<kind>rc|alpha|beta)\.?(?P<num>\d+)")
_DATED_DEV = re.compile(_RELEASE.pattern + r"-dev-(?P<date>\d{8})")
_SERIES_HEAD = re.compile(r"v?(?P<major>\d+)\.(?P<minor>\d+)(?:\.x)?-head")
_BRANCH_HEAD = re.compile(r"(?:master|main)-head")
_COMMIT = re.compile(r"[0-9a-f]{7,40}(?:-dirty)?")


@functools.total_ordering
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Version:
    """One parsed version string.

    ``release`` is ``(major, minor, patch)`` when the string names one, ``None`` for dev builds
    such as ``master-head`` or ``1a861fc-dirty``. ``series`` is ``(major, minor)`` when known, so
    ``v1.5-head`` still says which line it belongs to. ``pre`` is the suffix after the release
    (``rc1``, ``dev-20250101``).
    """

    raw: str
    release: tuple[int, int, int] | None
    series: tuple[int, int] | None
    pre: str | None
    is_dev: bool
    _key: PepVersion | None

    @property
    def is_prerelease(self) -> bool:
        """An rc/alpha/beta of a release (not a dev build)."""
        return self.pre is not None and not self.is_dev

    @property
    def is_comparable(self) -> bool:
        return self._key is not None

    @property
    def sort_key(self) -> PepVersion:
        """PEP 440 form: ``1.4.0rc1`` and ``1.4.0.dev20250101`` sort before ``1.4.0``."""
        if self._key is None:
            raise self._incomparable()
        return self._key

    @property
    def base(self) -> PepVersion:
        """The release this version is, or leads up to: what ranges are matched against."""
        return PepVersion(self.sort_key.base_version)

    def require_release(self) -> tuple[int, int, int]:
        """``(major, minor, patch)``, or :class:`IncomparableVersionError` for a dev build without one."""
        if self.release is None:
            raise self._incomparable()
        return self.release

    def _incomparable(self) -> IncomparableVersionError:
        return IncomparableVersionError(
            f"{self.raw!r} is a dev build with no release number; it cannot be ordered or matched",
            hint="pass the release it was built from, e.g. v1.5.0",
        )

    def __str__(self) -> str:
        if self.release is None:
            return self.raw
        text = "v" + ".".join(map(str, self.release))
        return f"{text}-{self.pre}" if self.pre else text

    def __repr__(self) -> str:
        return f"Version({self.raw!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.sort_key < other.sort_key


def parse(text: str) -> Version:
    """Parse a Harvester or Longhorn version string; raise :class:`UnknownVersionError` for garbage."""
    raw = text.strip()
    if m := _PRERELEASE.fullmatch(raw):
        suffix = f"{_PRERELEASE_PEP440[m['kind']]}{m['num']}"
        return _numbered(raw, m, pre=f"{m['kind']}{m['num']}", is_dev=False, pep440_suffix=suffix)
    if m := _DATED_DEV.fullmatch(raw):
        return _numbered(raw, m, pre=f"dev-{m['date']}", is_dev=True, pep440_suffix=f".dev{m['date']}")
    if m := _RELEASE.fullmatch(raw):
        return _numbered(raw, m, pre=None, is_dev=False, pep440_suffix="")
    if m := _SERIES_HEAD.fullmatch(raw):
        return Version(raw, None, (int(m["major"]), int(m["minor"])), None, True, None)
    if _BRANCH_HEAD.fullmatch(raw) or _COMMIT.fullmatch(raw):
        return Version(raw, None, None, None, True, None)
    raise UnknownVersionError(
        f"unknown version {text!r}",
        hint="expected e.g. v1.4.0, v1.4.0-rc1, v1.5-head, master-head or a commit id",
    )


def _numbered(raw: str, m: re.Match[str], *, pre: str | None, is_dev: bool, pep440_suffix: str) -> Version:
    release = (int(m["major"]), int(m["minor"]), int(m["patch"]))
    key = PepVersion(".".join(map(str, release)) + pep440_suffix)
    return Version(raw, release, release[:2], pre, is_dev, key)


@dataclass(frozen=True, slots=True)
class VersionRange:
    """A range from the data: OR over specifier sets; no sets at all means "any version"."""

    alternatives: tuple[SpecifierSet, ...]

    @classmethod
    def parse(cls, value: str | Iterable[str] | None) -> VersionRange:
        """Build from the data form; a malformed specifier is a bug in our data (KnowledgeError)."""
        texts = [value] if value is None or isinstance(value, str) else list(value)
        try:
            return cls(tuple(SpecifierSet(t) for t in texts if t))
        except InvalidSpecifier as exc:
            raise KnowledgeError(f"invalid version range {value!r}: {exc}") from None

    @property
    def is_any(self) -> bool:
        return not self.alternatives

    def contains(self, version: Version) -> bool:
        """True if the version (or the release it leads up to) is in the range."""
        if self.is_any:
            return True
        base = version.base
        return any(spec.contains(base) for spec in self.alternatives)

    def __str__(self) -> str:
        return " or ".join(str(s) for s in self.alternatives) or "any"
