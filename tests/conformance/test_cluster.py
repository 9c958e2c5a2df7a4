"""Cluster end to end: the provider driven through Pulumi's stubs against the emulator, with
every assertion checked against the emulator's own state."""

from __future__ import annotations

import signal
import time

import grpc
import pytest
from google.protobuf import descriptor_pool, message_factory
from pulumi.runtime.proto import provider_pb2

from conftest import CANARY_KEY
from harness import UNKNOWN, Provider, from_struct, secret, to_struct, urn

CL = "crunchybridge:index:Cluster"
DR = provider_pb2.DiffResponse


def cluster_args(emulator, **over) -> dict:
    args = {"name": "app-db", "teamId": emulator.seed["team_id"], "planId": "hobby-2",
            "providerId": "aws", "regionId": "us-east-1"}
    args.update(over)
    return args


def new_clusters(emulator) -> list[dict]:
    """Every cluster but the seeded one."""
    return [c for c in emulator.state()["clusters"] if c["id"] != emulator.seed["cluster_id"]]


def create(p, args: dict, name: str = "db", timeout: float = 0):
    inputs = p.checked(args, CL)
    r = p.create(inputs, type_token=CL, name=name, timeout=timeout)
    return r.id, from_struct(r.properties), inputs


def update(p, id: str, olds: dict, news: dict, old_inputs: dict | None = None, timeout: float = 0):
    return from_struct(p.update(id, olds, news, old_inputs, type_token=CL, timeout=timeout,
                                name="db").properties)


def status_class():
    """`google.rpc.Status`. Two copies ship in the venv (`pulumi.runtime.proto.status_pb2` and
    googleapis' `google.rpc.status_pb2`), and the protobuf runtime refuses to load the second
    once the first is loaded, so use whichever another test module loaded, else load one."""
    pool = descriptor_pool.Default()
    try:
        return message_factory.GetMessageClass(pool.FindMessageTypeByName("google.rpc.Status"))
    except KeyError:
        pass
    try:
        from google.rpc import status_pb2
    except ImportError:
        from pulumi.runtime.proto import status_pb2
    return status_pb2.Status


def init_failed(err: grpc.RpcError) -> provider_pb2.ErrorResourceInitFailed:
    """The `ErrorResourceInitFailed` detail of a gRPC error, as the engine decodes it."""
    metadata = dict(err.trailing_metadata() or ())
    raw = metadata.get("grpc-status-details-bin")
    assert raw, f"no grpc-status-details-bin in {metadata!r}: {err.details()}"
    status = status_class()()
    status.ParseFromString(raw)
    for any_detail in status.details:
        detail = provider_pb2.ErrorResourceInitFailed()
        if any_detail.Unpack(detail):
            return detail
    raise AssertionError(f"no ErrorResourceInitFailed among {status.details!r}")


def set_state(emulator, cluster_id: str, **body) -> None:
    status, out = emulator._call("POST", f"/__emulator/clusters/{cluster_id}/state", body,
                                 auth=False)
    assert status < 300, out


def set_provision_delay(emulator, ms: int) -> None:
    status, out = emulator._call("POST", "/__emulator/settings", {"provision_delay_ms": ms},
                                 auth=False)
    assert status < 300, out


def test_lifecycle_create_read_update_import_protect_delete(bridge, emulator):
    args = cluster_args(emulator, storage=10, postgresVersion=16, maintenanceWindowStart=3)
    id, out, inputs = create(bridge, args)
    (held,) = new_clusters(emulator)
    assert id == held["id"] and held["state"] == "ready"
    assert (held["name"], held["plan_id"], held["major_version"], held["storage"]) == \
        ("app-db", "hobby-2", 16, 10)
    assert held["maintenance_window_start"] == 3 and held["is_protected"] is False
    assert out["state"] == "ready" and out["majorVersion"] == 16 and out["postgresVersion"] == 16
    assert out["clusterNetworkId"] == held["network_id"] != emulator.seed["network_id"]
    assert out["host"] == held["host"]
    assert "networkId" not in out, "an input the program left to Bridge stays absent"
    assert inputs["isHa"] is False and inputs["isProtected"] is False

    # Refresh: the same state, and no diff against the program.
    r = bridge.read(id, out, inputs, type_token=CL, name="db")
    assert r.id == id and from_struct(r.properties) == out
    assert bridge.diff(from_struct(r.properties), inputs, from_struct(r.inputs),
                       type_token=CL).changes == DR.DIFF_NONE

    # Team, provider, region and network replace the cluster, deleting the old one first.
    d = bridge.diff(out, bridge.checked({**args, "regionId": "us-west-2"}, CL), inputs,
                    type_token=CL)
    assert d.replaces == ["regionId"] and d.deleteBeforeReplace

    # PATCH: name, window, environment, in place.
    news = bridge.checked({**args, "name": "app-db-2", "maintenanceWindowStart": 5,
                           "environment": "production"}, CL)
    d = bridge.diff(out, news, inputs, type_token=CL)
    assert d.changes == DR.DIFF_SOME and not d.replaces
    out = update(bridge, id, out, news, inputs)
    (held,) = new_clusters(emulator)
    assert (held["name"], held["maintenance_window_start"], held["environment"]) == \
        ("app-db-2", 5, "production")
    assert out["name"] == "app-db-2" and out["environment"] == "production"

    # Upgrade: plan, storage and version, waited for.
    news2 = bridge.checked({**news, "planId": "standard-8", "storage": 20,
                            "postgresVersion": 17}, CL)
    assert not bridge.diff(out, news2, news, type_token=CL).replaces
    out = update(bridge, id, out, news2, news)
    (held,) = new_clusters(emulator)
    assert (held["plan_id"], held["storage"], held["major_version"]) == ("standard-8", 20, 17)
    assert held["ongoing_operations"] == [] and held["state"] == "ready"
    assert out["majorVersion"] == 17 and out["memory"] == held["memory"]

    # HA through the actions; then clear the window and environment.
    news3 = bridge.checked({**news2, "isHa": True}, CL)
    out = update(bridge, id, out, news3, news2)
    (held,) = new_clusters(emulator)
    assert held["is_ha"] is True and out["isHa"] is True
    news4 = {k: v for k, v in news3.items() if k not in ("maintenanceWindowStart", "environment")}
    out = update(bridge, id, out, news4, news3)
    (held,) = new_clusters(emulator)
    assert held["maintenance_window_start"] is None and held["environment"] is None
    assert "environment" not in out and "maintenanceWindowStart" not in out

    # Import: only the id; the inputs come back, and Check + Diff of them is clean.
    imp = bridge.read(id, type_token=CL, name="db")
    imported = from_struct(imp.inputs)
    assert imported == {"name": "app-db-2", "teamId": emulator.seed["team_id"],
                        "planId": "standard-8", "networkId": held["network_id"], "storage": 20,
                        "postgresVersion": 17, "isHa": True, "isProtected": False}
    checked = bridge.checked(imported, CL)
    assert checked == imported
    assert bridge.diff(from_struct(imp.properties), checked, imported,
                       type_token=CL).changes == DR.DIFF_NONE

    # Protected: delete refuses and says how to unprotect; nothing is deleted.
    news5 = bridge.checked({**news4, "isProtected": True}, CL)
    out = update(bridge, id, out, news5, news4)
    assert new_clusters(emulator)[0]["is_protected"] is True
    with pytest.raises(grpc.RpcError) as e:
        bridge.delete(id, out, type_token=CL)
    assert "isProtected: false" in e.value.details() and id in e.value.details()
    assert len(new_clusters(emulator)) == 1

    out = update(bridge, id, out, news4, news5)
    bridge.delete(id, out, type_token=CL)
    assert new_clusters(emulator) == []
    bridge.delete(id, out, type_token=CL)  # already gone: still a success


def test_preview_calls_nothing_and_leaves_outputs_unknown(bridge, emulator):
    inputs = bridge.checked(cluster_args(emulator), CL)
    r = bridge.create(inputs, type_token=CL, preview=True)
    out = from_struct(r.properties)
    assert r.id == "" and out["host"] == UNKNOWN and out["clusterNetworkId"] == UNKNOWN
    assert new_clusters(emulator) == []


def test_refresh_after_an_out_of_band_delete_reports_it_gone(bridge, emulator):
    id, out, inputs = create(bridge, cluster_args(emulator))
    emulator.api("DELETE", f"/clusters/{id}")
    assert bridge.read(id, out, inputs, type_token=CL).id == ""
    with pytest.raises(grpc.RpcError) as e:
        update(bridge, id, out, bridge.checked(cluster_args(emulator, name="x"), CL), inputs)
    assert "pulumi refresh" in e.value.details()


def test_create_reports_progress_while_waiting(bridge, emulator, engine):
    set_provision_delay(emulator, 1200)
    try:
        create(bridge, cluster_args(emulator, name="slow-db"))
    finally:
        set_provision_delay(emulator, 50)
    deadline = time.monotonic() + 5
    while not any(l.ephemeral for l in engine.logs) and time.monotonic() < deadline:
        time.sleep(0.05)  # Engine.Log calls are fire-and-forget
    progress = [l.message for l in engine.logs if l.ephemeral]
    assert any("creating cluster slow-db" in m and "state creating" in m and "elapsed" in m
               for m in progress), progress


def test_a_timeout_leaves_an_init_failed_cluster_that_the_next_up_resumes(bridge, emulator):
    args = cluster_args(emulator, name="slow-never-ready")
    inputs = bridge.checked(args, CL)
    with pytest.raises(grpc.RpcError) as e:
        bridge.create(inputs, type_token=CL, name="db", timeout=1)
    detail = init_failed(e.value)
    (held,) = new_clusters(emulator)
    assert detail.id == held["id"] and held["state"] == "creating"
    props = from_struct(detail.properties)
    assert props["state"] == "creating" and props["name"] == "slow-never-ready"
    assert held["id"] in e.value.details() and "resumes" in e.value.details()

    # The next `pulumi up` calls Update for that id; still not ready: init-failed again.
    with pytest.raises(grpc.RpcError) as e:
        update(bridge, detail.id, props, inputs, timeout=1)
    assert init_failed(e.value).id == detail.id

    # Once Bridge finishes, Update resumes waiting and completes; no second cluster exists.
    set_state(emulator, detail.id, state="ready")
    out = update(bridge, detail.id, props, inputs, timeout=30)
    assert out["state"] == "ready"
    assert [c["id"] for c in new_clusters(emulator)] == [detail.id]
    r = bridge.read(detail.id, out, inputs, type_token=CL, name="db")
    assert from_struct(r.properties)["state"] == "ready"


def test_a_create_retried_after_a_lost_answer_gets_the_same_cluster(bridge, emulator):
    # The engine never recorded the first create (a crash, a cancel): the same URN sends the
    # same Idempotency-Key, and Bridge answers with the cluster it made.
    first, out, _ = create(bridge, cluster_args(emulator))
    again, _, _ = create(bridge, cluster_args(emulator))
    assert again == first and [c["id"] for c in new_clusters(emulator)] == [first]
    # Another resource (another URN) with the same name is refused: that cluster is not its.
    with pytest.raises(grpc.RpcError) as e:
        create(bridge, cluster_args(emulator), name="db-2")
    assert f"pulumi import crunchybridge:index:Cluster db-2 {first}" in e.value.details()
    assert [c["id"] for c in new_clusters(emulator)] == [first]
    # ... and under another name it is another cluster.
    other, _, _ = create(bridge, cluster_args(emulator, name="app-db-2"), name="db-2")
    assert other != first and len(new_clusters(emulator)) == 2
    # After a delete, the same create makes a new cluster rather than replaying the old one.
    bridge.delete(first, out, type_token=CL)
    third, _, _ = create(bridge, cluster_args(emulator))
    assert third not in (first, other)
    assert sorted(c["id"] for c in new_clusters(emulator)) == sorted([other, third])


def restarted(engine, emulator, old: Provider) -> Provider:
    """A new provider in place of `old`, which was killed: the next `pulumi up`."""
    old.proc.wait()
    p = Provider(["--logtostderr", engine.address])
    p.stub.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address=engine.address))
    p.configure({"apiKey": secret(CANARY_KEY), "apiUrl": emulator.url})
    return p


def killed_after_the_post(bridge, emulator) -> dict:
    """Starts a create, SIGKILLs the provider once Bridge holds the cluster (before the engine
    could learn its id) and returns that cluster."""
    set_provision_delay(emulator, 600_000)
    inputs = bridge.checked(cluster_args(emulator), CL)
    call = bridge.stub.Create.future(provider_pb2.CreateRequest(
        urn=urn(CL, "db"), type=CL, name="db", properties=to_struct(inputs), timeout=60))
    deadline = time.monotonic() + 20
    while not new_clusters(emulator) and time.monotonic() < deadline:
        time.sleep(0.05)
    (held,) = new_clusters(emulator)
    bridge.proc.send_signal(signal.SIGKILL)
    with pytest.raises(grpc.RpcError):
        call.result(timeout=10)
    set_provision_delay(emulator, 50)
    return held


@pytest.mark.parametrize("edit", [{"maintenanceWindowStart": 3}, {"name": "app-db-renamed"}],
                         ids=["same-name", "renamed"])
def test_a_create_killed_then_edited_and_retried_makes_no_second_cluster(
        bridge, emulator, engine, edit):
    held = killed_after_the_post(bridge, emulator)
    p = restarted(engine, emulator, bridge)
    try:
        # Edited: refused (within the hour the key carries the first create); nothing made.
        with pytest.raises(grpc.RpcError) as e:
            create(p, cluster_args(emulator, **edit))
        assert "already sent a create" in e.value.details(), e.value.details()
        assert "pulumi import crunchybridge:index:Cluster db" in e.value.details()
        assert [c["id"] for c in new_clusters(emulator)] == [held["id"]]
        # Inputs restored: the cluster the first create made is resumed.
        set_state(emulator, held["id"], state="ready")
        id, out, _ = create(p, cluster_args(emulator))
        assert id == held["id"] and out["state"] == "ready"
        assert [c["id"] for c in new_clusters(emulator)] == [held["id"]]
    finally:
        p.stop()


def test_a_foreign_cluster_of_the_same_name_is_refused_with_the_import_command(bridge, emulator):
    foreign = emulator.api("POST", "/clusters", {
        "name": "app-db", "team_id": emulator.seed["team_id"], "plan_id": "hobby-2",
        "provider_id": "aws", "region_id": "us-east-1"})
    for _ in range(2):  # the second time, the probe's refusal is replayed: refused again
        with pytest.raises(grpc.RpcError) as e:
            create(bridge, cluster_args(emulator))
        msg = e.value.details()
        assert f"pulumi import crunchybridge:index:Cluster db {foreign['id']}" in msg, msg
        assert "nothing was created" in msg
        assert [c["id"] for c in new_clusters(emulator)] == [foreign["id"]]
    # Given another name, the same resource creates its cluster (once).
    id, _, _ = create(bridge, cluster_args(emulator, name="app-db-2"))
    again, _, _ = create(bridge, cluster_args(emulator, name="app-db-2"))
    assert again == id
    assert sorted(c["id"] for c in new_clusters(emulator)) == sorted([foreign["id"], id])


def test_a_create_whose_answer_is_lost_makes_one_cluster(bridge, emulator):
    emulator.fault(method="POST", path="/clusters", drop_after_commit=True, count=1)
    id, out, _ = create(bridge, cluster_args(emulator))
    (held,) = new_clusters(emulator)
    assert held["id"] == id and out["state"] == "ready"


def test_creation_failed_names_the_cluster_and_leaves_it_deletable(bridge, emulator):
    inputs = bridge.checked(cluster_args(emulator, name="db-creation-failed"), CL)
    with pytest.raises(grpc.RpcError) as e:
        bridge.create(inputs, type_token=CL, name="db", timeout=30)
    detail = init_failed(e.value)
    (held,) = new_clusters(emulator)
    msg = e.value.details()
    assert detail.id == held["id"] and held["id"] in msg
    assert "creation_failed" in msg and "pulumi destroy" in msg
    bridge.delete(detail.id, from_struct(detail.properties), type_token=CL)
    assert new_clusters(emulator) == []


def test_joining_an_existing_network(bridge, emulator):
    net = emulator.seed["network_id"]
    args = {"name": "joined", "teamId": emulator.seed["team_id"], "planId": "hobby-2",
            "networkId": net}
    id, out, inputs = create(bridge, args)
    (held,) = new_clusters(emulator)
    assert held["network_id"] == net and out["networkId"] == net == out["clusterNetworkId"]
    assert len(emulator.state()["networks"]) == 1, "no new network"
    r = bridge.read(id, out, inputs, type_token=CL)
    assert bridge.diff(from_struct(r.properties), inputs, from_struct(r.inputs),
                       type_token=CL).changes == DR.DIFF_NONE


def test_check_failures_say_what_to_change(bridge, emulator):
    net = emulator.seed["network_id"]

    def failures(**over) -> dict[str, str]:
        r = bridge.check(cluster_args(emulator, **over), CL)
        return {f.property: f.reason for f in r.failures}

    f = failures(networkId=net, networkCidr4="10.10.0.0/20", firewallMode="deny_all")
    assert set(f) == {"providerId", "networkCidr4", "firewallMode"}, f
    assert all("networkId" in reason for reason in f.values())
    assert set(failures(maintenanceWindowStart=24)) == {"maintenanceWindowStart"}
    assert "10.10.0.0/20" in failures(networkCidr4="10.10.0.1/20")["networkCidr4"]
    assert "hobby" in failures(isHa=True)["isHa"]
    assert set(failures(firewallMode="sometimes")) == {"firewallMode"}
    r = bridge.check({"name": "x", "teamId": emulator.seed["team_id"], "planId": "hobby-2"}, CL)
    assert {f.property for f in r.failures} == {"providerId", "regionId"}
    assert bridge.checked(cluster_args(emulator, providerId="AWS"), CL)["providerId"] == "aws"


def test_refused_changes_are_explained_before_anything_changes(bridge, emulator):
    args = cluster_args(emulator, storage=20)
    id, out, inputs = create(bridge, args)
    with pytest.raises(grpc.RpcError) as e:
        update(bridge, id, out, bridge.checked({**args, "storage": 10, "name": "renamed"}, CL),
               inputs)
    assert "shrink" in e.value.details()
    (held,) = new_clusters(emulator)
    assert held["storage"] == 20 and held["name"] == "app-db"


def test_bad_import_ids_are_clear_errors(bridge):
    with pytest.raises(grpc.RpcError) as e:
        bridge.read("not-a-cluster", type_token=CL)
    assert "<clusterId>" in e.value.details()


def test_cancel_stops_an_in_flight_create_and_keeps_the_cluster(bridge, emulator):
    # The engine sends Cancel before it shuts a plugin down (Ctrl-C during `pulumi up`): the
    # wait ends at once, and the cluster that exists is reported, not lost.
    from concurrent.futures import ThreadPoolExecutor
    from google.protobuf import empty_pb2

    inputs = bridge.checked(cluster_args(emulator, name="cancel-never-ready"), CL)
    with ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        pending = pool.submit(bridge.create, inputs, CL, False, 600, "db")
        deadline = time.monotonic() + 10
        while not new_clusters(emulator) and time.monotonic() < deadline:
            time.sleep(0.05)
        bridge.stub.Cancel(empty_pb2.Empty())
        with pytest.raises(grpc.RpcError) as e:
            pending.result(timeout=30)
        took = time.monotonic() - started
    (held,) = new_clusters(emulator)
    assert init_failed(e.value).id == held["id"], e.value.details()
    assert took < 10, f"Cancel took {took:.1f} s to end a create with a 600 s timeout"
