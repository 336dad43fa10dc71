"""Serve one generated cluster from the test API emulator, in a process of its own.

``python bench/serve.py SIZE --seed N --kubeconfig PATH`` generates the cluster, installs its CRDs,
loads its objects (pruned like creates, as in the live tests), writes a kubeconfig, prints ``READY``
and serves until its stdin closes. A process of its own so the emulator's work never shares an
interpreter lock with what is being measured; the benchmark talks to it over HTTP like any client.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the emulator lives with the tests

from kubeapi import KubeAPIServer  # noqa: E402 - needs the sys.path entry above

from hvguard.synth.generator import SIZES, generate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kubeconfig", type=Path, required=True)
    args = parser.parse_args()
    cluster = generate(args.size, args.seed)
    api = KubeAPIServer().start()
    try:
        for crd in cluster.crds:
            api.install_crd(crd)
        api.load_objects(cluster.objects)
        del cluster  # the emulator holds its own copies
        api.write_kubeconfig(args.kubeconfig)
        print("READY", flush=True)
        sys.stdin.read()  # serve until the benchmark closes our stdin
    finally:
        api.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
