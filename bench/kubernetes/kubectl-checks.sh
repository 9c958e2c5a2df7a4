#!/usr/bin/env bash
# The operators' two scripts as they run them today, written with kubectl and jq: the
# post-deploy Flux health check and the pre-deploy Helm ownership preflight. The benchmark runs
# them side by side with `oceanid flux-health` / `oceanid preflight` against the same emulator.
#
#   bench/kubernetes/kubectl-checks.sh flux-health|preflight    (KUBECONFIG set)
#
# Exit 0 healthy/safe, 1 not.
set -uo pipefail

flux_health() {
  local failed=0
  # The 6 controllers: the Deployment is available and its pods Running.
  for c in source-controller kustomize-controller helm-controller notification-controller \
           image-reflector-controller image-automation-controller; do
    local available
    available=$(kubectl -n flux-system get deployment "$c" -o jsonpath='{.status.availableReplicas}' 2>/dev/null)
    if [ "${available:-0}" -lt 1 ]; then echo "controller $c: not available"; failed=1; fi
    local phases
    phases=$(kubectl -n flux-system get pods -l "app=$c" -o jsonpath='{.items[*].status.phase}')
    for p in $phases; do
      [ "$p" = Running ] || { echo "controller $c: a pod is $p"; failed=1; }
    done
  done
  # Every GitRepository, Kustomization and HelmRelease: Ready, current, not suspended.
  for kind in gitrepositories.source.toolkit.fluxcd.io kustomizations.kustomize.toolkit.fluxcd.io \
              helmreleases.helm.toolkit.fluxcd.io; do
    local bad
    bad=$(kubectl get "$kind" -A -o json | jq -r '.items[]
      | select((.spec.suspend // false)
          or ((.status.conditions // []) | map(select(.type == "Ready" and .status == "True")) | length == 0)
          or ((.status.observedGeneration // -1) != .metadata.generation))
      | "\(.metadata.namespace)/\(.metadata.name)"')
    [ -z "$bad" ] || { echo "$kind not ready: $bad"; failed=1; }
  done
  # Each Kustomization applied its source's artifact.
  for ks in $(kubectl get kustomizations.kustomize.toolkit.fluxcd.io -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\n"}{end}'); do
    local ns=${ks%/*} name=${ks#*/}
    local applied src
    applied=$(kubectl -n "$ns" get kustomization "$name" -o jsonpath='{.status.lastAppliedRevision}')
    src=$(kubectl -n "$ns" get kustomization "$name" -o jsonpath='{.spec.sourceRef.name}')
    local artifact
    artifact=$(kubectl -n "$ns" get gitrepository "$src" -o jsonpath='{.status.artifact.revision}')
    [ "$applied" = "$artifact" ] || { echo "Kustomization $ks applied $applied, source has $artifact"; failed=1; }
  done
  return $failed
}

preflight() {
  local blocked=0
  # Helm ownership: every Helm-managed object must name the release that renders it, and that
  # release must have a deployed revision.
  for hr in $(kubectl get helmreleases.helm.toolkit.fluxcd.io -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\n"}{end}'); do
    local ns=${hr%/*} name=${hr#*/}
    local release target
    release=$(kubectl -n "$ns" get helmrelease "$name" -o jsonpath='{.spec.releaseName}')
    target=$(kubectl -n "$ns" get helmrelease "$name" -o jsonpath='{.spec.targetNamespace}')
    release=${release:-$name} target=${target:-$ns}
    local deployed
    deployed=$(kubectl -n "$target" get secrets -l "owner=helm,name=$release,status=deployed" -o name | wc -l)
    [ "$deployed" -gt 0 ] || echo "warning: HelmRelease $hr has no deployed revision"
  done
  for kind in namespaces customresourcedefinitions deployments secrets; do
    local conflicts
    conflicts=$(kubectl get "$kind" -A -l app.kubernetes.io/managed-by=Helm -o json | jq -r '.items[]
      | select(.metadata.labels["helm.toolkit.fluxcd.io/name"] != null
          and .metadata.annotations["meta.helm.sh/release-name"] != .metadata.labels["helm.toolkit.fluxcd.io/name"])
      | "\(.kind) \(.metadata.namespace // "")/\(.metadata.name)"')
    if [ -n "$conflicts" ]; then
      if [ "$kind" = customresourcedefinitions ]; then echo "info: CRD ownership: $conflicts"
      else echo "BLOCKING: Helm ownership conflict: $conflicts"; blocked=1; fi
    fi
  done
  # Crash loops (warnings).
  kubectl get pods -A -o json | jq -r '.items[] | . as $p | (.status.containerStatuses // [])[]
    | select(.state.waiting.reason == "CrashLoopBackOff" or .restartCount >= 5)
    | "warning: \($p.metadata.namespace)/\($p.metadata.name) \(.name) restarted \(.restartCount) times"'
  return $blocked
}

case "${1:-}" in
  flux-health) flux_health ;;
  preflight) preflight ;;
  *) echo "usage: $0 flux-health|preflight" >&2; exit 2 ;;
esac
