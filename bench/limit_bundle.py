"""The physical limit of a bundle read: inflate and decode what hvguard reads, nothing else.

``python bench/limit_bundle.py BUNDLE.zip --containers a,b`` reads, for every type in hvguard's
kinds table, the List files of its first version present in the bundle (cluster-scoped, or one per
collected namespace), then, for the default log scan, the log kinds' files again and the Longhorn
logs of the wanted containers. It decodes each List with ``hvguard.sources.bundle_yaml.load``
(libyaml's C parser with hvguard's constructors, the fastest YAML decoding hvguard has), keeping
every item in memory with the cyclic garbage collector off, and only inflates the logs. No coverage
logic, no log scanning, no analysis, no report. It prints one JSON line: the bytes inflated and the
number of items of the kinds table.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import zipfile
from pathlib import PurePosixPath
from typing import Any, NoReturn

from hvguard.sources.bundle_yaml import load
from hvguard.state import kinds as k


def files_read(names: list[str], kinds: tuple[k.Kind, ...] = k.ALL) -> list[str]:
    """The members hvguard decodes: per kind, the files of the first version the bundle has."""
    root, present = _root(names), set(names)
    collected = sorted({n.split("/")[3] for n in names if n.startswith(f"{root}/yamls/namespaced/")
                        and len(n.split("/")) > 4})
    chosen = []
    for kind in kinds:
        namespaces = [ns for ns in collected if kind.namespaces is None or ns in kind.namespaces]
        for version in kind.versions:
            gv = f"{kind.group}/{version}" if kind.group else version
            paths = ([f"{root}/yamls/namespaced/{ns}/{gv}/{kind.plural}.yaml" for ns in namespaces]
                     if kind.namespaced else [f"{root}/yamls/cluster/{gv}/{kind.plural}.yaml"])
            found = [p for p in paths if p in present]
            if found:
                chosen += found
                break
    return chosen


def logs_read(names: list[str], containers: set[str]) -> list[str]:
    """The container logs the log scan reads: ``logs/<Longhorn namespace>/<pod>/<container>.log[.1]``."""
    prefixes = tuple(f"{_root(names)}/logs/{ns}/" for ns in k.PODS.namespaces or ())
    return [n for n in names if n.startswith(prefixes) and n.rsplit("/", 1)[1].split(".log")[0] in containers]


def _root(names: list[str]) -> str:
    return str(PurePosixPath(min((n for n in names if n.endswith("/metadata.yaml")), key=len)).parent)


def decoded(archive: zipfile.ZipFile, name: str) -> tuple[int, list[Any]]:
    """(bytes inflated, the List's items) of one member."""
    data = archive.read(name)
    document: Any = load(data)
    return len(data), document.get("items") or []


def main() -> NoReturn:
    gc.disable()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle")
    parser.add_argument("--containers", default="", help="containers whose logs the log scan reads")
    args = parser.parse_args()
    with zipfile.ZipFile(args.bundle) as archive:
        names = archive.namelist()
        lists = [decoded(archive, name) for name in files_read(names)]
        logs = [decoded(archive, name) for name in files_read(names, k.LOG_KINDS)] if args.containers else []
        log_bytes = sum(len(archive.read(name)) for name in logs_read(names, set(args.containers.split(","))))
    inflated = sum(size for size, _ in lists + logs) + log_bytes
    print(json.dumps({"bytes": inflated, "items": sum(len(items) for _, items in lists)}))
    sys.stdout.flush()
    os._exit(0)  # still holding every item, as hvguard holds its state to the end (cli/boundary.py)


if __name__ == "__main__":
    main()
