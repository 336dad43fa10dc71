#!/usr/bin/env bash
# The old way: what Harvester's upgrade-helpers pre-check (pre-check/v1.x/check.sh) does, one
# `kubectl get <object> -o json | jq` per object, for the checks hvguard's backing-image and volume
# checks cover:
#   - per Longhorn volume: replica count, robustness, state, WaitForBackingImage, workloads
#   - per backing image: ready / failed copies, source type (can it be downloaded again?)
# Each object is fetched once and read with one jq call (the upstream script fetches attached
# volumes twice and sleeps 0.5 s after each volume; neither is copied here, so this is the old way
# at its fastest). Prints one summary line; exits 0 whatever it finds (only its time is measured).
#
# usage: KUBECONFIG=... bench/oldway.sh
set -euo pipefail

ns=longhorn-system
nodes=$(kubectl get nodes -o json | jq '.items | length')

problems=0
for volume in $(kubectl get volumes.longhorn.io -n "$ns" -o json | jq -r '.items[].metadata.name'); do
    verdict=$(kubectl get "volumes.longhorn.io/$volume" -n "$ns" -o json | jq -r --argjson nodes "$nodes" '
        [ (if .spec.numberOfReplicas == 1 and $nodes > 1 then "single-replica" else empty end),
          (if .status.robustness == "degraded" or .status.robustness == "faulted" then .status.robustness else empty end),
          (if any(.status.conditions[]?; .type == "WaitForBackingImage" and .status == "True")
           then "waiting-for-backing-image" else empty end),
          (if .status.state == "attached" and ((.status.kubernetesStatus.workloadsStatus // []) | length) == 0
           then "attached-without-workload" else empty end)
        ] | join(",")')
    if [ -n "$verdict" ]; then
        problems=$((problems + 1))
    fi
done

for image in $(kubectl get backingimages.longhorn.io -n "$ns" -o json | jq -r '.items[].metadata.name'); do
    verdict=$(kubectl get "backingimages.longhorn.io/$image" -n "$ns" -o json | jq -r '
        [ .status.diskFileStatusMap // {} | to_entries[] | .value.state ] as $states
        | [ (if ($states | map(select(. == "ready")) | length) < 2 then "ready-copies<2" else empty end),
            (if ($states | map(select(. == "failed" or . == "failed-and-cleanup" or . == "unknown")) | length) > 0
             then "failed-copy" else empty end),
            (if .spec.sourceType != "download" then "not-downloadable" else empty end)
          ] | join(",")')
    if [ -n "$verdict" ]; then
        problems=$((problems + 1))
    fi
done

echo "old way: $problems object(s) need attention"
