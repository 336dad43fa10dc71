"""deploy/watch.yaml runs `hvguard watch --json --metrics-port 9090` as the read-only ServiceAccount."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hvguard.cli.watch_cmd import watch

DEPLOY = Path(__file__).parents[2] / "deploy"


def _docs(name: str) -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all((DEPLOY / name).read_text())}


def test_deployment_runs_watch_as_the_read_only_service_account() -> None:
    deployment, rbac = _docs("watch.yaml")["Deployment"], _docs("rbac-readonly.yaml")
    pod = deployment["spec"]["template"]["spec"]
    account = rbac["ServiceAccount"]["metadata"]
    assert (pod["serviceAccountName"], deployment["metadata"]["namespace"]) == (account["name"], account["namespace"])
    (container,) = pod["containers"]
    assert container["command"] == ["hvguard"]
    assert container["args"] == ["watch", "--json", "--metrics-port", "9090"]
    options = watch.make_context("watch", list(container["args"][1:])).params  # the CLI accepts them
    assert options["as_json"] and options["metrics_port"] == 9090
    assert container["securityContext"]["readOnlyRootFilesystem"] and pod["securityContext"]["runAsNonRoot"]


def test_service_exposes_the_metrics_port_of_those_pods() -> None:
    docs = _docs("watch.yaml")
    template = docs["Deployment"]["spec"]["template"]
    (port,) = template["spec"]["containers"][0]["ports"]
    (service_port,) = docs["Service"]["spec"]["ports"]
    assert port == {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}
    assert service_port["targetPort"] == "metrics" and service_port["port"] == 9090
    assert docs["Service"]["spec"]["selector"].items() <= template["metadata"]["labels"].items()
    assert docs["Service"]["metadata"]["namespace"] == docs["Deployment"]["metadata"]["namespace"]


def test_the_image_is_a_documented_placeholder() -> None:
    text = (DEPLOY / "watch.yaml").read_text()
    assert "image: hvguard:0.1.0  # placeholder" in text and "docker build -t hvguard:0.1.0 ." in text
