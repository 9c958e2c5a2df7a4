"""The oceanid package's Kubernetes functions through Invoke, against the emulator's Kubernetes
API (https, its CA in the kubeconfig it writes): the seeded cluster, each injected breakage,
failOnError, bad kubeconfigs, 401/403, and the kubeconfig's token kept out of every log."""

from __future__ import annotations

import copy

import grpc
import pytest

from conftest import KUBE_TOKEN, oceanid_provider
from harness import from_struct, secret

NODES = "oceanid:kubernetes:getNodes"
FLUX = "oceanid:kubernetes:getFluxHealth"
PREFLIGHT = "oceanid:kubernetes:getPreflight"
CANARY_TOKEN = "kube-CANARY-token-3e9b1f7d"


def ok(p, token: str, args: dict | None = None) -> dict:
    r = p.invoke(token, args or {})
    assert not r.failures, [(f.property, f.reason) for f in r.failures]
    return from_struct(getattr(r, "return"))


def error(p, token: str, args: dict | None = None) -> str:
    with pytest.raises(grpc.RpcError) as e:
        p.invoke(token, args or {})
    return e.value.details()


def failed_checks(report: dict) -> dict[str, str]:
    return {c["name"]: c["detail"] for c in report["checks"] if not c["ok"]}


def with_status(obj: dict, **status) -> dict:
    changed = copy.deepcopy(obj)
    changed["status"] = {**changed.get("status", {}), **status}
    return changed


# --- the seeded cluster ------------------------------------------------------------------------

def test_get_nodes_of_the_seeded_cluster(oceanid):
    report = ok(oceanid, NODES)
    nodes = {n["name"]: n for n in report["nodes"]}
    assert sorted(nodes) == ["calypso", "srv712429", "srv712695"]
    assert nodes["srv712429"]["egressAddress"] == "157.173.210.123"
    assert nodes["srv712695"]["egressAddress"] == "191.101.1.3"
    assert nodes["srv712429"]["egressSource"] == "externalIp"
    # calypso has only a LAN address: never guessed to be public, and the fix is named.
    assert "egressAddress" not in nodes["calypso"] or nodes["calypso"]["egressAddress"] is None
    assert nodes["calypso"]["egressSource"] == "none"
    assert "kubectl annotate node calypso oceanid.io/egress-ip=" in nodes["calypso"]["egressDetail"]
    assert report["ok"] is False
    assert list(failed_checks(report)) == [c["name"] for c in report["checks"] if "calypso" in c["name"]]


def test_get_flux_health_of_the_seeded_cluster(oceanid):
    report = ok(oceanid, FLUX)
    assert report["ok"] is True, failed_checks(report)
    assert sorted(c["name"] for c in report["controllers"]) == [
        "helm-controller", "image-automation-controller", "image-reflector-controller",
        "kustomize-controller", "notification-controller", "source-controller"]
    assert all(c["ok"] and c["availableReplicas"] == 1 for c in report["controllers"])
    kinds = {(o["kind"], o["namespace"], o["name"]) for o in report["objects"]}
    assert ("Kustomization", "flux-system", "flux-system") in kinds
    assert ("GitRepository", "flux-system", "flux-system") in kinds


def test_get_preflight_of_the_seeded_cluster(oceanid):
    report = ok(oceanid, PREFLIGHT)
    assert report["ok"] is True, failed_checks(report)
    assert not report.get("fixPlan")
    assert not [f for f in report.get("findings", []) if f["severity"] == "blocking"]


def test_fail_on_error_passes_a_healthy_report_through(oceanid):
    assert ok(oceanid, FLUX, {"failOnError": True})["ok"] is True
    assert ok(oceanid, PREFLIGHT, {"failOnError": True})["ok"] is True


def test_fail_on_error_lists_every_failed_check(oceanid):
    msg = error(oceanid, NODES, {"failOnError": True})
    assert "getNodes of https://127.0.0.1:" in msg and "failed 1 check(s)" in msg, msg
    assert "calypso" in msg and "kubectl annotate node calypso" in msg, msg


def test_fail_on_error_must_be_a_boolean(oceanid):
    r = oceanid.invoke(FLUX, {"failOnError": "yes"})
    assert [f.property for f in r.failures] == ["failOnError"]


# --- injected breakage -------------------------------------------------------------------------

def test_a_controller_deployment_unavailable(oceanid, kube_emulator):
    deployment = kube_emulator.kube_object("Deployment", "flux-system", "helm-controller")
    kube_emulator.kube_put(with_status(deployment, availableReplicas=0, readyReplicas=0,
                                       unavailableReplicas=1))
    report = ok(oceanid, FLUX)
    assert report["ok"] is False
    helm = next(c for c in report["controllers"] if c["name"] == "helm-controller")
    assert helm["ok"] is False and helm["availableReplicas"] == 0
    failed = failed_checks(report)
    assert [name for name in failed if "helm-controller" in name], failed
    msg = error(oceanid, FLUX, {"failOnError": True})
    assert "Flux health of https://127.0.0.1:" in msg and "helm-controller" in msg, msg
    assert f"failed {len(failed)} check(s)" in msg, msg


def test_a_kustomization_not_ready(oceanid, kube_emulator):
    ks = kube_emulator.kube_object("Kustomization", "flux-system", "flux-system")
    broken = copy.deepcopy(ks)
    for c in broken["status"]["conditions"]:
        if c["type"] == "Ready":
            c.update(status="False", reason="BuildFailed",
                     message="kustomize build failed: accumulating resources")
    kube_emulator.kube_put(broken)
    report = ok(oceanid, FLUX)
    assert report["ok"] is False
    obj = next(o for o in report["objects"] if o["kind"] == "Kustomization")
    assert obj["ready"] is False and obj["ok"] is False
    assert "BuildFailed" in obj["detail"] or "kustomize build failed" in obj["detail"], obj
    assert any("flux-system" in name for name in failed_checks(report))


def test_a_helm_release_with_no_history(oceanid, kube_emulator):
    hr = kube_emulator.kube_object("HelmRelease", "cert-manager", "cert-manager")
    fresh = copy.deepcopy(hr)
    fresh["metadata"]["name"] = "grafana"
    fresh["metadata"].pop("uid", None)
    fresh["metadata"].pop("resourceVersion", None)
    fresh["spec"]["releaseName"] = "grafana"
    fresh["status"] = {}
    kube_emulator.kube_put(fresh)
    flux = ok(oceanid, FLUX)
    grafana = next(o for o in flux["objects"] if o["name"] == "grafana")
    assert grafana["ok"] is False, grafana
    preflight = ok(oceanid, PREFLIGHT)
    never = [f for f in preflight["findings"] if f["category"] == "neverInstalled"]
    assert never and "grafana" in never[0]["detail"], preflight["findings"]


def test_a_helm_ownership_conflict_blocks_and_is_in_the_fix_plan(oceanid, kube_emulator):
    managed = [o for o in kube_emulator.state()["kubernetes"]["objects"]
               if o["kind"] == "Deployment"
               and o["metadata"].get("labels", {}).get("app.kubernetes.io/managed-by") == "Helm"]
    assert managed, "the seed has Helm-managed Deployments"
    target = copy.deepcopy(managed[0])
    target["metadata"]["annotations"]["meta.helm.sh/release-name"] = "old-release"
    kube_emulator.kube_put(target)
    name = target["metadata"]["name"]
    report = ok(oceanid, PREFLIGHT)
    assert report["ok"] is False
    blocking = [f for f in report["findings"] if f["severity"] == "blocking"]
    assert [f for f in blocking if f["category"] == "helmOwnership"
            and f["object"]["name"] == name], report["findings"]
    assert [a for a in report["fixPlan"] if a["object"]["name"] == name
            and a["action"] == "removeHelmOwnership"], report["fixPlan"]
    msg = error(oceanid, PREFLIGHT, {"failOnError": True})
    assert name in msg and "failed" in msg, msg
    # The function changes nothing: the annotation is still there.
    after = kube_emulator.kube_object("Deployment", target["metadata"]["namespace"], name)
    assert after["metadata"]["annotations"]["meta.helm.sh/release-name"] == "old-release"


def test_a_crash_looping_pod_is_a_warning(oceanid, kube_emulator):
    kube_emulator.kube_put({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "crashy", "namespace": "apps", "labels": {"app": "crashy"}},
        "spec": {"nodeName": "calypso", "containers": [{"name": "main", "image": "busybox"}]},
        "status": {"phase": "Running", "containerStatuses": [{
            "name": "main", "image": "busybox", "imageID": "", "ready": False,
            "restartCount": 14,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                                         "message": "FATAL: no pg_hba.conf entry for host"}}}]}})
    report = ok(oceanid, PREFLIGHT)
    loops = [c for c in report["crashLoops"] if c["pod"] == "crashy"]
    assert loops and loops[0]["restarts"] == 14 and loops[0]["node"] == "calypso", report
    assert loops[0]["lastExitCode"] == 1 and "pg_hba.conf" in loops[0]["lastMessage"]
    warnings = [f for f in report["findings"] if f["category"] == "crashLoop"]
    assert warnings and warnings[0]["severity"] == "warning"
    assert report["ok"] is True, "a crash loop warns, it does not block"


def test_a_node_with_no_addresses(oceanid, kube_emulator):
    node = copy.deepcopy(kube_emulator.kube_object("Node", None, "srv712695"))
    node["metadata"] = {"name": "bare", "labels": {"kubernetes.io/hostname": "bare"}}
    node["status"]["addresses"] = []
    kube_emulator.kube_put(node)
    report = ok(oceanid, NODES)
    bare = next(n for n in report["nodes"] if n["name"] == "bare")
    assert bare["egressSource"] == "none" and not bare.get("internalAddresses")
    assert "kubectl annotate node bare oceanid.io/egress-ip=" in bare["egressDetail"], bare
    assert any("bare" in name for name in failed_checks(report))


# --- bad configuration and access --------------------------------------------------------------

def test_a_malformed_kubeconfig_is_a_clear_error(engine):
    p = oceanid_provider(engine, {"kubeconfig": secret(
        "apiVersion: v1\nclusters:\n- name: x\n  cluster: [unclosed\n")})
    try:
        msg = error(p, NODES)
        assert "oceanid:kubeconfig" in msg and "KUBECONFIG" in msg, msg
        assert "line" in msg, msg
    finally:
        p.stop()


def test_an_unknown_context_lists_the_contexts(engine, kube_emulator):
    p = oceanid_provider(engine, {"kubeconfig": str(kube_emulator.kubeconfig),
                                  "kubeContext": "production"})
    try:
        msg = error(p, FLUX)
        assert "production" in msg and "oceanid-emulator" in msg, msg
        assert "oceanid:kubeContext" in msg, msg
    finally:
        p.stop()


def test_a_missing_kubeconfig_file_names_the_setting(engine, tmp_path):
    p = oceanid_provider(engine, {"kubeconfig": str(tmp_path / "nope.yaml")})
    try:
        msg = error(p, NODES)
        assert "nope.yaml" in msg and "oceanid:kubeconfig" in msg, msg
    finally:
        p.stop()


def test_an_unknown_token_is_401_and_never_printed(engine, kube_emulator):
    content = kube_emulator.kubeconfig.read_text().replace(KUBE_TOKEN, CANARY_TOKEN)
    p = oceanid_provider(engine, {"kubeconfig": secret(content)})
    try:
        msg = error(p, NODES)
        assert "401" in msg or "Unauthorized" in msg or "unauthorized" in msg, msg
        assert CANARY_TOKEN not in msg
    finally:
        p.stop()
    assert CANARY_TOKEN not in p.stderr()
    assert CANARY_TOKEN not in kube_emulator.stderr()


def test_the_viewer_is_403_naming_what_rbac_must_allow(engine, kube_emulator):
    kube_emulator.reset()
    content = kube_emulator.kubeconfig.read_text().replace(KUBE_TOKEN, "oceanid-emulator-viewer")
    p = oceanid_provider(engine, {"kubeconfig": secret(content)})
    try:
        # The view ClusterRole lists nodes, but not Secrets (the preflight reads Helm's).
        assert len(ok(p, NODES)["nodes"]) == 3
        msg = error(p, PREFLIGHT)
        assert "403" in msg or "forbidden" in msg.lower(), msg
        assert "list" in msg and "secrets" in msg, msg
    finally:
        p.stop()


def test_no_kubernetes_config_is_fine_until_a_function_needs_it(engine, tmp_path):
    # A stack that only uses Cloudflare configures without any kubeconfig.
    p = oceanid_provider(engine, {})
    try:
        msg = error(p, NODES)
        assert "oceanid:kubeconfig" in msg and "KUBECONFIG" in msg, msg
    finally:
        p.stop()
