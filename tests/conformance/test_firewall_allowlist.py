"""FirewallAllowlist end to end: the provider driven through Pulumi's stubs against the
emulator, every assertion checked against the emulator's own state; rules the allowlist does
not own are asserted byte-identical before and after."""

from __future__ import annotations

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from harness import from_struct
from test_cluster import init_failed

AL = "crunchybridge:index:FirewallAllowlist"
DR = provider_pb2.DiffResponse


def net(emulator) -> str:
    return emulator.seed["network_id"]


def args(emulator, entries: list, adopt: bool | None = None) -> dict:
    a = {"networkId": net(emulator), "entries": entries}
    if adopt is not None:
        a["adoptExisting"] = adopt
    return a


def entry(address: str, description: str | None = None) -> dict:
    return {"address": address, **({"description": description} if description else {})}


def create(p, a: dict):
    inputs = p.checked(a, AL)
    r = p.create(inputs, type_token=AL, name="nodes")
    return r.id, from_struct(r.properties), inputs


def update(p, id: str, olds: dict, news: dict, old_inputs: dict):
    news = p.checked(news, AL)
    return from_struct(p.update(id, olds, news, old_inputs, type_token=AL, name="nodes").properties), news


def foreign(emulator, owned: dict) -> list[dict]:
    """The network's rules the allowlist does not own, exactly as the emulator holds them."""
    ids = {r["ruleId"] for r in owned.get("rules", [])}
    return sorted((r for r in emulator.rules() if r["id"] not in ids), key=lambda r: r["id"])


def held(emulator, out: dict) -> dict[str, str | None]:
    """The owned rules as the emulator holds them: CIDR -> description."""
    ids = {r["ruleId"] for r in out["rules"]}
    return {r["rule"]: r.get("description") or None for r in emulator.rules() if r["id"] in ids}


@pytest.fixture
def hand_rule(emulator):
    """The operators' network: no allow-all, one rule another team made by hand."""
    emulator.drop_allow_all()
    return emulator.api("POST", f"/networks/{net(emulator)}/firewall-rules",
                        {"rule": "192.0.2.0/24", "description": "other team"})


def test_create_update_and_delete_touch_only_owned_rules(bridge, emulator, hand_rule):
    before = foreign(emulator, {})
    id, out, inputs = create(bridge, args(emulator, [
        entry("157.173.210.123", "srv712429 - K3s worker node"),
        entry("191.101.1.3", "srv712695 - K3s worker node"),
        entry("191.101.1.3/32", "srv712695 - K3s worker node"),  # identical: merged
    ]))
    assert held(emulator, out) == {"157.173.210.123/32": "srv712429 - K3s worker node",
                                   "191.101.1.3/32": "srv712695 - K3s worker node"}
    assert len(out["rules"]) == 2 and id.startswith(net(emulator) + "/")
    assert foreign(emulator, out) == before

    # Add one, remove one, rename one: one update.
    out2, news = update(bridge, id, out, args(emulator, [
        entry("157.173.210.123", "srv712429 (renamed)"),
        entry("2001:db8::7", "v6 node"),
    ]), inputs)
    assert held(emulator, out2) == {"157.173.210.123/32": "srv712429 (renamed)",
                                    "2001:db8::7/128": "v6 node"}
    kept = {r["rule"]: r["ruleId"] for r in out["rules"]}["157.173.210.123/32"]
    assert kept in {r["ruleId"] for r in out2["rules"]}, "a rename patches, it does not replace"
    assert foreign(emulator, out2) == before
    assert len(emulator.rules()) == 3

    # No change: no diff.
    assert bridge.diff(out2, news, news, type_token=AL).changes == DR.DIFF_NONE

    bridge.delete(id, out2, type_token=AL)
    assert emulator.rules() == before


def test_a_hand_made_rule_is_a_conflict_unless_adopted(bridge, emulator, hand_rule):
    by_hand = emulator.api("POST", f"/networks/{net(emulator)}/firewall-rules",
                           {"rule": "157.173.210.123/32", "description": "added by hand"})
    snapshot = emulator.rules()
    wanted = [entry("157.173.210.123", "srv712429"), entry("191.101.1.3", "srv712695")]
    with pytest.raises(grpc.RpcError) as e:
        create(bridge, args(emulator, wanted))
    msg = e.value.details()
    assert by_hand["id"] in msg and "adoptExisting: true" in msg and "nothing was changed" in msg, msg
    assert emulator.rules() == snapshot

    id, out, _ = create(bridge, args(emulator, wanted, adopt=True))
    assert by_hand["id"] in {r["ruleId"] for r in out["rules"]}, "adopted, not made again"
    assert held(emulator, out) == {"157.173.210.123/32": "srv712429", "191.101.1.3/32": "srv712695"}
    assert foreign(emulator, out) == [hand_rule]


def test_an_overlap_with_a_foreign_rule_is_refused_naming_it(bridge, emulator, hand_rule):
    with pytest.raises(grpc.RpcError) as e:
        create(bridge, args(emulator, [entry("192.0.2.7")], adopt=True))
    msg = e.value.details()
    assert hand_rule["id"] in msg and "overlaps" in msg, msg
    assert emulator.rules() == [hand_rule]


def test_the_allow_all_rule_is_reported_with_its_fix(bridge, emulator):
    snapshot = emulator.rules()
    with pytest.raises(grpc.RpcError) as e:
        create(bridge, args(emulator, [entry("203.0.113.7")]))
    msg = e.value.details()
    assert "allow-all" in msg and "0.0.0.0/0" in msg and "deny_all" in msg, msg
    assert emulator.rules() == snapshot


def test_bad_entries_are_check_failures_naming_both_positions(bridge, emulator):
    r = bridge.check(args(emulator, [entry("203.0.113.7", "a"), entry("10.1.2.3/16"),
                                     entry("203.0.113.7/32", "b")]), type_token=AL)
    failures = {f.property: f.reason for f in r.failures}
    assert "10.1.0.0/16" in failures["entries[1].address"], failures
    r = bridge.check(args(emulator, [entry("203.0.113.7", "a"), entry("203.0.113.7/32", "b")]),
                     type_token=AL)
    failures = {f.property: f.reason for f in r.failures}
    assert "entries[0]" in failures["entries[1]"], failures


def test_a_partial_failure_is_init_failed_and_the_next_up_finishes_without_duplicates(
        bridge, emulator, hand_rule):
    emulator.fault(method="POST", path="/networks/*/firewall-rules", status=422, count=3)
    wanted = [entry(f"100.64.0.{i}", f"node-{i}") for i in range(1, 21)]
    a = args(emulator, wanted)
    inputs = bridge.checked(a, AL)
    with pytest.raises(grpc.RpcError) as e:
        bridge.create(inputs, type_token=AL, name="nodes")
    detail = init_failed(e.value)
    msg = e.value.details()
    assert msg.count("entries[") >= 3 and "request id" in msg, msg
    partial = from_struct(detail.properties)
    assert len(partial["rules"]) == 17
    assert len(held(emulator, partial)) == 17
    emulator.clear_faults()

    # The next `up` is an Update from the init-failed state: it makes only the missing three.
    out, _ = update(bridge, detail.id, partial, a, inputs)
    assert held(emulator, out) == {f"100.64.0.{i}/32": f"node-{i}" for i in range(1, 21)}
    assert len(emulator.rules()) == 21, "never a duplicate"
    assert foreign(emulator, out) == [hand_rule]


def test_a_lost_create_answer_is_claimed_not_duplicated(bridge, emulator, hand_rule):
    emulator.fault(method="POST", path="/networks/*/firewall-rules", drop_after_commit=True,
                   count=2)
    id, out, _ = create(bridge, args(emulator, [entry(f"100.65.0.{i}") for i in range(1, 6)]))
    assert len(out["rules"]) == 5
    assert len(emulator.rules()) == 6


def test_refresh_sees_out_of_band_edits_and_the_next_up_repairs_them(bridge, emulator, hand_rule):
    wanted = [entry("100.66.0.1", "a"), entry("100.66.0.2", "b"), entry("100.66.0.3", "c")]
    a = args(emulator, wanted)
    id, out, inputs = create(bridge, a)
    by_rule = {r["rule"]: r["ruleId"] for r in out["rules"]}
    emulator.api("DELETE", f"/networks/{net(emulator)}/firewall-rules/{by_rule['100.66.0.1/32']}")
    emulator.api("PATCH", f"/networks/{net(emulator)}/firewall-rules/{by_rule['100.66.0.2/32']}",
                 {"description": "edited by hand"})
    r = bridge.read(id, out, inputs, type_token=AL)
    refreshed = from_struct(r.properties)
    assert r.id == id
    assert {x["rule"]: x.get("description") for x in refreshed["rules"]} == {
        "100.66.0.2/32": "edited by hand", "100.66.0.3/32": "c"}
    assert bridge.diff(refreshed, inputs, from_struct(r.inputs), type_token=AL).changes == DR.DIFF_SOME

    out2, _ = update(bridge, id, refreshed, a, from_struct(r.inputs))
    assert held(emulator, out2) == {"100.66.0.1/32": "a", "100.66.0.2/32": "b", "100.66.0.3/32": "c"}
    assert foreign(emulator, out2) == [hand_rule]


def test_import_takes_the_named_rules_and_is_diff_free(bridge, emulator, hand_rule):
    made = [emulator.api("POST", f"/networks/{net(emulator)}/firewall-rules",
                         {"rule": f"100.67.0.{i}/32", "description": f"n{i}"}) for i in (1, 2)]
    import_id = f"{net(emulator)}/{made[0]['id']},{made[1]['id']}"
    imp = bridge.read(import_id, type_token=AL)
    assert imp.id == import_id
    inputs = from_struct(imp.inputs)
    assert inputs["entries"] == [{"address": "100.67.0.1/32", "description": "n1"},
                                 {"address": "100.67.0.2/32", "description": "n2"}]
    checked = bridge.checked(inputs, AL)
    assert bridge.diff(from_struct(imp.properties), checked, inputs, type_token=AL).changes == DR.DIFF_NONE

    with pytest.raises(grpc.RpcError) as e:
        bridge.read(f"{net(emulator)}/not-a-rule-id", type_token=AL)
    assert "<networkId>/<ruleId>[,<ruleId>…]" in e.value.details()


def test_a_replaced_overlapping_entry_is_deleted_before_its_successor_is_made(
        bridge, emulator, hand_rule):
    a = args(emulator, [entry("100.68.0.0/24", "whole subnet"), entry("100.69.0.1", "other")])
    id, out, inputs = create(bridge, a)
    narrowed = args(emulator, [entry("100.68.0.5", "one node"), entry("100.69.0.2", "moved")])
    out2, _ = update(bridge, id, out, narrowed, inputs)
    assert held(emulator, out2) == {"100.68.0.5/32": "one node", "100.69.0.2/32": "moved"}
    assert foreign(emulator, out2) == [hand_rule]


CHECK = "crunchybridge:index:checkAllowlist"


def test_check_allowlist_reports_covered_missing_and_allow_all(bridge, emulator):
    network = net(emulator)
    r = bridge.invoke(CHECK, {"networkId": network, "addresses": ["157.173.210.123", "191.101.1.3"]})
    assert not r.failures
    report = from_struct(getattr(r, "return"))
    assert report["ok"] is False
    allow_all = [c for c in report["checks"] if c["name"] == "allow_all"][0]
    assert not allow_all["ok"] and "deny_all" in allow_all["detail"]

    emulator.drop_allow_all()
    rule = emulator.api("POST", f"/networks/{network}/firewall-rules",
                        {"rule": "157.173.210.0/24", "description": "srv712429 subnet"})
    report = from_struct(getattr(bridge.invoke(
        CHECK, {"networkId": network, "addresses": ["157.173.210.123", "191.101.1.3"]}), "return"))
    assert report["missing"] == ["191.101.1.3/32"]
    by_name = {c["name"]: c for c in report["checks"]}
    assert by_name["157.173.210.123/32"]["ok"] and rule["id"] in by_name["157.173.210.123/32"]["detail"]
    fix = f"cb network add-firewall-rule --network {network} --rule 191.101.1.3/32"
    assert fix in by_name["191.101.1.3/32"]["detail"]

    with pytest.raises(grpc.RpcError) as e:
        bridge.invoke(CHECK, {"networkId": network, "addresses": ["191.101.1.3"], "failOnError": True})
    assert fix in e.value.details()

    r = bridge.invoke(CHECK, {"networkId": network, "addresses": ["10.1.2.3/16"]})
    assert "10.1.0.0/16" in {f.property: f.reason for f in r.failures}["addresses[0]"]
