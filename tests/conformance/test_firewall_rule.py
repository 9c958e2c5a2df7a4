"""FirewallRule end to end: the provider driven through Pulumi's stubs against the emulator,
with every assertion checked against the emulator's own state."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from harness import Provider, from_struct, secret

DR = provider_pb2.DiffResponse


def net(emulator) -> str:
    return emulator.seed["network_id"]


def create(p, emulator, rule: str, description: str | None = None, name: str = "r"):
    args = {"networkId": net(emulator), "rule": rule}
    if description is not None:
        args["description"] = description
    inputs = p.checked(args)
    r = p.create(inputs, name=name)
    return r.id, from_struct(r.properties), inputs


def test_allow_all_rule_is_explained_with_the_fix(bridge, emulator):
    with pytest.raises(grpc.RpcError) as e:
        create(bridge, emulator, "203.0.113.7")
    msg = e.value.details()
    assert "allow-all" in msg and "0.0.0.0/0" in msg and "deny_all" in msg, msg
    assert len(emulator.rules()) == 2  # nothing was added


def test_lifecycle_create_read_update_refresh_import_delete(bridge, emulator):
    emulator.drop_allow_all()
    id, out, inputs = create(bridge, emulator, "203.0.113.7", "node-1 egress")
    (held,) = emulator.rules()
    assert id == f"{net(emulator)}/{held['id']}"
    assert held["rule"] == "203.0.113.7/32" and held["description"] == "node-1 egress"
    assert held["kind"] == "ingress"
    assert out["ruleId"] == held["id"] and out["rule"] == "203.0.113.7/32"

    # Refresh: the same state, no diff.
    r = bridge.read(id, out, inputs)
    assert r.id == id and from_struct(r.properties) == out
    assert bridge.diff(from_struct(r.properties), inputs, from_struct(r.inputs)).changes == DR.DIFF_NONE

    # Update the description in place (same Bridge object).
    news = bridge.checked({**inputs, "description": "node-1 (renamed)"})
    d = bridge.diff(out, news, inputs)
    assert d.changes == DR.DIFF_SOME and not d.replaces
    out2 = from_struct(bridge.update(id, out, news, inputs).properties)
    (held,) = emulator.rules()
    assert held["description"] == "node-1 (renamed)" and out2["ruleId"] == held["id"]

    # Change the CIDR in place, then clear the description.
    news3 = bridge.checked({"networkId": net(emulator), "rule": "203.0.113.0/28"})
    out3 = from_struct(bridge.update(id, out2, news3, news).properties)
    (held,) = emulator.rules()
    assert held["rule"] == "203.0.113.0/28" and not held["description"]
    assert "description" not in out3

    # Import: only the id is known; the inputs come back and Check + Diff of them is clean.
    imp = bridge.read(id)
    assert imp.id == id
    imported_inputs = from_struct(imp.inputs)
    assert imported_inputs == {"networkId": net(emulator), "rule": "203.0.113.0/28", "kind": "ingress"}
    checked = bridge.checked(imported_inputs)
    assert bridge.diff(from_struct(imp.properties), checked, imported_inputs).changes == DR.DIFF_NONE

    # Delete, then delete again: both succeed, and the rule is gone.
    bridge.delete(id, out3)
    assert emulator.rules() == []
    bridge.delete(id, out3)


def test_refresh_after_an_out_of_band_delete_reports_it_gone(bridge, emulator):
    emulator.drop_allow_all()
    id, out, inputs = create(bridge, emulator, "198.51.100.1")
    emulator.api("DELETE", f"/networks/{net(emulator)}/firewall-rules/{out['ruleId']}")
    r = bridge.read(id, out, inputs)
    assert r.id == ""


def test_a_rule_that_already_exists_prints_the_import_command(bridge, emulator):
    emulator.drop_allow_all()
    existing = emulator.api("POST", f"/networks/{net(emulator)}/firewall-rules",
                            {"rule": "192.0.2.10/32", "description": "by hand"})
    with pytest.raises(grpc.RpcError) as e:
        create(bridge, emulator, "192.0.2.10", name="node-9")
    msg = e.value.details()
    want = f"pulumi import crunchybridge:index:FirewallRule node-9 {net(emulator)}/{existing['id']}"
    assert want in msg, msg
    assert len(emulator.rules()) == 1


def test_an_overlapping_rule_names_the_other_rule(bridge, emulator):
    emulator.drop_allow_all()
    existing = emulator.api("POST", f"/networks/{net(emulator)}/firewall-rules",
                            {"rule": "10.20.0.0/16"})
    with pytest.raises(grpc.RpcError) as e:
        create(bridge, emulator, "10.20.3.0/24")
    assert existing["id"] in e.value.details() and "overlap" in e.value.details()


def test_bad_import_ids_are_clear_errors(bridge):
    with pytest.raises(grpc.RpcError) as e:
        bridge.read("not-an-id")
    assert "<networkId>/<ruleId>" in e.value.details()


def test_429_storm_with_ten_in_flight_makes_exactly_one_rule_each(bridge, emulator):
    # Three waves of ten creates in flight; in each, nine of the first POSTs answer 429. The
    # faults are counted, not random: no create can meet more 429s than the wave holds (9),
    # below the client's 10 attempts, so the test cannot fail by chance.
    emulator.drop_allow_all()
    cidrs = [f"100.64.{i}.0/24" for i in range(30)]
    ids = []
    for wave in range(3):
        emulator.fault(method="POST", path="/networks/*/firewall-rules", status=429,
                       retry_after=1, count=9)
        batch = cidrs[wave * 10:(wave + 1) * 10]
        with ThreadPoolExecutor(max_workers=10) as pool:
            ids += list(pool.map(lambda c: create(bridge, emulator, c, name=f"n{c}")[0], batch))
        assert emulator._call("GET", "/__emulator/faults", auth=False)[1] == {"faults": []}, \
            "every 429 of the wave was answered"
    held = sorted(r["rule"] for r in emulator.rules())
    assert held == sorted(cidrs), "every create done, exactly one object each"
    assert len(set(ids)) == len(cidrs)


def test_a_create_whose_answer_is_lost_makes_one_rule(bridge, emulator):
    emulator.drop_allow_all()
    emulator.fault(method="POST", path="/networks/*/firewall-rules", drop_after_commit=True, count=1)
    id, out, _ = create(bridge, emulator, "203.0.113.99")
    (held,) = emulator.rules()
    assert held["rule"] == "203.0.113.99/32" and out["ruleId"] == held["id"]


def test_5xx_on_reads_is_retried(bridge, emulator):
    emulator.drop_allow_all()
    id, out, inputs = create(bridge, emulator, "203.0.113.50")
    emulator.fault(method="GET", path="/networks/*/firewall-rules/*", status=503, count=2)
    r = bridge.read(id, out, inputs)
    assert r.id == id


def test_ipv4_mapped_ipv6_is_checked_into_its_ipv4_form(bridge, emulator):
    # Kept as IPv6, the rule would never match the IPv4 client it names.
    assert bridge.checked({"networkId": net(emulator), "rule": "::ffff:203.0.113.7"})["rule"] \
        == "203.0.113.7/32"
    assert bridge.checked({"networkId": net(emulator), "rule": "::ffff:203.0.113.0/120"})["rule"] \
        == "203.0.113.0/24"
    r = bridge.check({"networkId": net(emulator), "rule": "::ffff:0.0.0.0/80"})
    assert [f.property for f in r.failures] == ["rule"]
    assert "no IPv4 form" in r.failures[0].reason, r.failures[0].reason


def test_many_creates_at_once_are_verified_by_shared_lists(engine, emulator):
    # A pulumi up sends every Create at once. With maxConcurrentRequests 2 and 30 creates the
    # provider's requests queue, so each create is read back from a list of the network begun
    # after it answered, shared by the creates waiting, not by a GET of its own (2 calls each).
    from conftest import CANARY_KEY as key  # the key the emulator fixture accepts

    emulator.reset()
    emulator.clear_faults()
    emulator.drop_allow_all()
    p = Provider(["--logtostderr", engine.address])
    try:
        p.stub.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address=engine.address))
        p.configure({"apiKey": secret(key), "apiUrl": emulator.url,
                     "maxConcurrentRequests": "2"})
        emulator.fault(latency_ms=20)  # every call: its `fired` counts the API calls
        cidrs = [f"100.65.{i}.0/24" for i in range(30)]
        with ThreadPoolExecutor(max_workers=len(cidrs)) as pool:
            made = list(pool.map(
                lambda c: create(p, emulator, c, f"node {c}", name=f"m{c}"), cidrs))
        faults = emulator._call("GET", "/__emulator/faults", auth=False)[1]["faults"]
        calls = sum(f["fired"] for f in faults)
        held = {r["rule"]: r for r in emulator.rules()}
        assert sorted(held) == sorted(cidrs), "one rule per create"
        for id, out, _ in made:
            rule = held[out["rule"]]
            assert out["ruleId"] == rule["id"] and id.endswith("/" + rule["id"])
            assert out["description"] == rule["description"] == f"node {out['rule']}"
        assert calls <= 45, f"{calls} API calls for 30 creates (a GET each would be 60)"
    finally:
        p.stop()
    assert key not in p.stderr(), "the API key leaked into the provider's stderr"
