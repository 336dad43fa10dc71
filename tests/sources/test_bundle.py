"""The support-bundle source: layout, quirks, coverage, and every kind of bad input."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from support import V10_SAMPLE, k8s_list

from hvguard.errors import InputError
from hvguard.sources.bundle import load_bundle
from hvguard.state import kinds as k
from hvguard.state.cluster import ReadStatus

LH = "yamls/namespaced/longhorn-system/longhorn.io"


def _bi(name: str = "vmi-1", **spec_extra: object) -> dict:
    return {
        "apiVersion": "longhorn.io/v1beta2", "kind": "BackingImage",
        "metadata": {"name": name, "namespace": "longhorn-system", "annotations": {"harvesterhci.io/imageId": "default/img"}},
        "spec": {"disks": {"d1": ""}, "sourceType": "download", "sourceParameters": {"url": "http://x/img.qcow2"},
                 "checksum": "", **spec_extra},
        "status": {"uuid": "u1", "size": 1, "checksum": "abc", "diskFileStatusMap": {"d1": {"state": "ready", "message": ""}}},
    }


def _crd(name: str) -> dict:
    plural, _, group = name.partition(".")
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": name},
            "spec": {"group": group, "names": {"plural": plural}}}


class TestRealSample:
    def test_v10_folder_loads_with_v1beta1_longhorn_and_quirks_undone(self) -> None:
        state = load_bundle(V10_SAMPLE)
        (bi,) = state.objects(k.BACKING_IMAGES)
        assert state.coverage[k.BACKING_IMAGES.key].api_version == "longhorn.io/v1beta1"
        assert bi["spec"]["checksum"] == ""  # written as "null"
        assert bi["status"]["size"] == 231131136  # written as 2.31131136e+08
        assert isinstance(bi["status"]["size"], int)
        assert state.source.details["kubernetes_version"] == "v1.21.7+rke2r1"
        assert len(state.objects(k.LH_SETTINGS)) == 46

    def test_v10_sample_rezipped_with_extra_top_folder(self, tmp_path: Path) -> None:
        archive = shutil.make_archive(str(tmp_path / "rezipped"), "zip", root_dir=V10_SAMPLE.parent,
                                      base_dir=V10_SAMPLE.name)
        state = load_bundle(Path(archive))
        assert len(state.objects(k.BACKING_IMAGES)) == 1
        assert state.source.location.endswith("rezipped.zip")

    def test_extracted_folder_nested_one_level_down(self, tmp_path: Path) -> None:
        shutil.copytree(V10_SAMPLE, tmp_path / "outer" / "supportbundle_x")
        assert len(load_bundle(tmp_path / "outer").objects(k.LH_NODES)) == 1

    def test_missing_crd_list_is_reported_not_guessed(self) -> None:
        state = load_bundle(V10_SAMPLE)
        assert state.status(k.CRDS) is ReadStatus.MISSING


class TestQuirks:
    def test_exponent_string_and_null_string(self, make_bundle) -> None:  # type: ignore[no-untyped-def]
        text = k8s_list([_bi()]).replace("size: 1", "size: 1e+11").replace("checksum: ''", 'checksum: "null"')
        state = load_bundle(make_bundle({f"{LH}/v1beta2/backingimages.yaml": text}))
        (bi,) = state.objects(k.BACKING_IMAGES)
        assert bi["status"]["size"] == 100_000_000_000
        assert bi["spec"]["checksum"] == ""

    def test_empty_list_not_written_means_read_and_empty_when_group_served(self, make_bundle) -> None:  # type: ignore[no-untyped-def]
        state = load_bundle(make_bundle({f"{LH}/v1beta2/backingimages.yaml": k8s_list([_bi()])}))
        assert state.status(k.LH_VOLUMES) is ReadStatus.READ
        assert state.objects(k.LH_VOLUMES) == ()
        assert "not written" in state.coverage[k.LH_VOLUMES.key].reason

    def test_crd_not_installed_is_absent(self, make_bundle) -> None:  # type: ignore[no-untyped-def]
        crds = k8s_list([_crd("backingimages.longhorn.io")])
        state = load_bundle(make_bundle({"yamls/cluster/apiextensions.k8s.io/v1/customresourcedefinitions.yaml": crds,
                                         f"{LH}/v1beta2/backingimages.yaml": k8s_list([_bi()])}))
        assert state.status(k.BACKUP_BACKING_IMAGES) is ReadStatus.ABSENT
        assert state.status(k.BACKING_IMAGES) is ReadStatus.READ

    def test_preferred_longhorn_version_wins(self, make_bundle) -> None:  # type: ignore[no-untyped-def]
        old = _bi("old") | {"apiVersion": "longhorn.io/v1beta1"}
        state = load_bundle(make_bundle({f"{LH}/v1beta2/backingimages.yaml": k8s_list([_bi("new")]),
                                         f"{LH}/v1beta1/backingimages.yaml": k8s_list([old])}))
        assert [o["metadata"]["name"] for o in state.objects(k.BACKING_IMAGES)] == ["new"]

    def test_namespaces_listed_but_not_collected(self, make_bundle) -> None:  # type: ignore[no-untyped-def]
        namespaces = k8s_list([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}
                               for n in ("default", "longhorn-system", "team-b")])
        pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "p", "namespace": "default"}}
        state = load_bundle(make_bundle({"yamls/cluster/v1/namespaces.yaml": namespaces,
                                         "yamls/namespaced/default/v1/persistentvolumeclaims.yaml": k8s_list([pvc]),
                                         f"{LH}/v1beta2/backingimages.yaml": k8s_list([_bi()])}))
        assert state.namespaces_not_collected == ("team-b",)
        assert state.status(k.PVCS) is ReadStatus.PARTIAL
        assert state.status(k.BACKING_IMAGES) is ReadStatus.READ  # lives in a collected namespace

    def test_longhorn_namespace_not_collected_is_missing(self, make_bundle) -> None:  # type: ignore[no-untyped-def]
        pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "p", "namespace": "default"}}
        state = load_bundle(make_bundle({"yamls/namespaced/default/v1/persistentvolumeclaims.yaml": k8s_list([pvc])}))
        assert state.status(k.BACKING_IMAGES) is ReadStatus.MISSING
        assert "longhorn-system" in state.coverage[k.BACKING_IMAGES.key].reason

    def test_generation_error_marks_resource_unreadable(self, make_bundle) -> None:  # type: ignore[no-untyped-def]
        log = ("Failed to get /apis/longhorn.io/v1beta2/namespaces/longhorn-system/volumes: "
               "the server was unable to return a response in the time allotted\n")
        state = load_bundle(make_bundle({"bundleGenerationError.log": log,
                                         f"{LH}/v1beta2/backingimages.yaml": k8s_list([_bi()])}))
        assert state.status(k.LH_VOLUMES) is ReadStatus.UNREADABLE
        assert "unable to return" in state.coverage[k.LH_VOLUMES.key].reason


class TestBadInput:
    def _expect(self, path: Path, fragment: str) -> None:
        with pytest.raises(InputError) as info:
            load_bundle(path)
        assert fragment in info.value.message
        assert "\n" not in info.value.message

    def test_missing_path(self, tmp_path: Path) -> None:
        self._expect(tmp_path / "nope.zip", "bundle not found")

    def test_not_a_zip(self, tmp_path: Path) -> None:
        (tmp_path / "x.zip").write_text("hello")
        self._expect(tmp_path / "x.zip", "not a zip file")

    def test_truncated_zip(self, make_bundle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        full = make_bundle({f"{LH}/v1beta2/backingimages.yaml": k8s_list([_bi(f"b{i}") for i in range(200)])})
        data = full.read_bytes()
        (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])
        with pytest.raises(InputError):
            load_bundle(tmp_path / "cut.zip")

    def test_corrupt_member(self, make_bundle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        path = make_bundle({f"{LH}/v1beta2/backingimages.yaml": k8s_list([_bi(f"b{i}") for i in range(50)])})
        data = bytearray(path.read_bytes())
        start = data.find(b"backingimages.yaml") + 60
        data[start:start + 40] = b"\x00" * 40
        (tmp_path / "bad.zip").write_bytes(bytes(data))
        self._expect(tmp_path / "bad.zip", "corrupt")

    def test_member_escaping_the_folder(self, tmp_path: Path) -> None:
        path = tmp_path / "evil.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("b/metadata.yaml", "bundlename: x\n")
            zf.writestr("b/../../etc/passwd", "root:x:0:0")
        self._expect(path, "escapes the bundle folder")

    def test_no_metadata(self, tmp_path: Path) -> None:
        path = tmp_path / "plain.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("x/readme.txt", "hi")
        self._expect(path, "no metadata.yaml")

    def test_malformed_yaml(self, make_bundle) -> None:  # type: ignore[no-untyped-def]
        self._expect(make_bundle({f"{LH}/v1beta2/backingimages.yaml": "items: [\n  - {a: 1\n"}), "malformed YAML")

    def test_not_a_list(self, make_bundle) -> None:  # type: ignore[no-untyped-def]
        self._expect(make_bundle({f"{LH}/v1beta2/backingimages.yaml": "items: 5\n"}), "expected a Kubernetes List")

    def test_yaml_bomb(self, make_bundle) -> None:  # type: ignore[no-untyped-def]
        bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" \
               "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nitems: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        self._expect(make_bundle({f"{LH}/v1beta2/backingimages.yaml": bomb}), "possible YAML bomb")

    def test_zip_bomb_member(self, make_bundle) -> None:  # type: ignore[no-untyped-def]
        path = make_bundle({f"{LH}/v1beta2/backingimages.yaml": b"\n" * (40 * 2**20)})
        self._expect(path, "possible zip bomb")

    def test_symlink_out_of_folder(self, tmp_path: Path) -> None:
        bundle = tmp_path / "b"
        (bundle / "yamls/namespaced/longhorn-system/longhorn.io/v1beta2").mkdir(parents=True)
        (bundle / "metadata.yaml").write_text("bundlename: x\n")
        secret = tmp_path / "outside.yaml"
        secret.write_text(k8s_list([]))
        (bundle / "yamls/namespaced/longhorn-system/longhorn.io/v1beta2/backingimages.yaml").symlink_to(secret)
        self._expect(bundle, "points outside the bundle folder")
