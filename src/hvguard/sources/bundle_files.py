"""Read-only access to the files of a support bundle, zipped or extracted.

Users hand us the zip Harvester produced, a folder they extracted it to, or a zip they made again
from that folder; the bundle root is wherever ``metadata.yaml`` sits. Zip members are read straight
from the archive, one at a time, only when asked for. Paths that escape the bundle root (``..``,
absolute names, symlinks pointing outside) and members that inflate suspiciously are refused.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from hvguard.errors import InputError

# A bundle member we parse is YAML text; text rarely compresses beyond ~1:50. Refuse members that
# claim far more than that and are large enough to hurt (zip bombs).
_MAX_RATIO = 200
_RATIO_FLOOR = 16 * 2**20
_MAX_MEMBER = 2 * 2**30
_ROOT_SEARCH_DEPTH = 3
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError)


class BundleFiles:
    """Files under a bundle root. Relative paths use ``/``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._root = ""
        if not path.exists():
            raise InputError(f"bundle not found: {path}")
        if path.is_dir():
            self._root = self._find_dir_root(path)
        else:
            self._open_zip(path)

    # -- opening -------------------------------------------------------------------------------

    def _open_zip(self, path: Path) -> None:
        if not zipfile.is_zipfile(path):
            raise InputError(f"not a zip file or bundle folder: {path}", hint="pass the support bundle .zip or its extracted folder")
        try:
            self._zip = zipfile.ZipFile(path)
            names = self._zip.namelist()
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputError(f"corrupt or truncated zip {path}: {exc}") from exc
        for name in names:
            pure = PurePosixPath(name)
            if pure.is_absolute() or ".." in pure.parts or "\\" in name:
                raise InputError(f"refusing bundle {path}: member {name!r} escapes the bundle folder")
        candidates = [n for n in names if PurePosixPath(n).name == "metadata.yaml"
                      and len(PurePosixPath(n).parts) <= _ROOT_SEARCH_DEPTH + 1]
        if not candidates:
            raise InputError(f"not a Harvester support bundle: {path} has no metadata.yaml")
        best = min(candidates, key=lambda n: len(PurePosixPath(n).parts))
        parent = str(PurePosixPath(best).parent)
        self._root = "" if parent == "." else parent + "/"

    def _find_dir_root(self, path: Path) -> str:
        for depth in range(_ROOT_SEARCH_DEPTH + 1):
            found = sorted(p for p in path.glob("/".join(["*"] * depth + ["metadata.yaml"])) if p.is_file())
            if found:
                return str(found[0].parent.relative_to(path)).replace(os.sep, "/").removeprefix(".")
        raise InputError(f"not a Harvester support bundle: no metadata.yaml under {path}")

    # -- reading -------------------------------------------------------------------------------

    def _member(self, rel: str) -> str:
        return f"{self._root}{rel}" if self._zip else str(PurePosixPath(self._root, rel))

    def describe(self, rel: str) -> str:
        """A human-readable location for evidence and errors."""
        return f"{self.path}!{self._member(rel)}" if self._zip else str(self.path / self._member(rel))

    def exists(self, rel: str) -> bool:
        if self._zip:
            try:
                self._zip.getinfo(self._member(rel))
                return True
            except KeyError:
                return False
        return (self.path / self._member(rel)).is_file()

    def read_bytes(self, rel: str) -> bytes:
        if self._zip:
            info = self._checked_info(self._zip, rel)
            try:
                return self._zip.read(info)
            except _ZIP_ERRORS as exc:
                raise InputError(f"corrupt or truncated bundle member {self.describe(rel)}: {exc}") from exc
        return self._checked_path(rel).read_bytes()

    def read_chunks(self, rel: str, size: int = 2**20) -> Iterator[bytes]:
        """The member's bytes in chunks of at most ``size``, for files too big to hold (container logs).

        The same refusals as ``read_bytes``; a member that turns out unreadable part way through (a bad
        CRC shows only at its end) raises ``InputError`` after the chunks read so far.
        """
        try:
            member = self._zip.open(self._checked_info(self._zip, rel)) if self._zip else None
            with member or self._checked_path(rel).open("rb") as handle:
                while chunk := handle.read(size):
                    yield chunk
        except _ZIP_ERRORS as exc:
            raise InputError(f"cannot read bundle member {self.describe(rel)}: {exc}") from exc

    def _checked_info(self, archive: zipfile.ZipFile, rel: str) -> zipfile.ZipInfo:
        info = archive.getinfo(self._member(rel))
        if info.file_size > _MAX_MEMBER or (
            info.file_size > _RATIO_FLOOR and info.file_size > _MAX_RATIO * max(info.compress_size, 1)
        ):
            raise InputError(
                f"refusing {self.describe(rel)}: inflates to {info.file_size} bytes from "
                f"{info.compress_size} (possible zip bomb)"
            )
        return info

    def _checked_path(self, rel: str) -> Path:
        target = (self.path / self._member(rel)).resolve()
        if not target.is_relative_to(self.path.resolve()):
            raise InputError(f"refusing {self.describe(rel)}: it points outside the bundle folder")
        return target

    def listdir(self, rel: str) -> list[str]:
        """Names of the immediate children (files and folders) of a folder."""
        prefix = self._member(rel).rstrip("/") + "/"
        if self._zip:
            children = {n[len(prefix):].split("/", 1)[0] for n in self._zip.namelist() if n.startswith(prefix)}
            return sorted(c for c in children if c)
        folder = self.path / prefix
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []

    def files(self) -> Iterator[str]:
        """Every file under the root, relative to it."""
        if self._zip:
            for name in self._zip.namelist():
                if name.startswith(self._root) and not name.endswith("/"):
                    yield name[len(self._root):]
            return
        base = self.path / self._root
        for p in base.rglob("*"):
            if p.is_file():
                yield str(p.relative_to(base)).replace(os.sep, "/")

    def close(self) -> None:
        if self._zip:
            self._zip.close()
