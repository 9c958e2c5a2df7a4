"""The oceanid package's Cloudflare functions through Invoke, against the emulator's Cloudflare
API: getSplitTunnel (mode, entries marked protected), verifyPrivateAccess healthy, with the
tunnel down, with an address not covered, failOnError, missing settings, and the token kept out
of every log."""

from __future__ import annotations

import grpc
import pytest

from conftest import CANARY_KEY, oceanid_provider
from harness import Emulator, from_struct, secret

SPLIT = "oceanid:cloudflare:getSplitTunnel"
VERIFY = "oceanid:cloudflare:verifyPrivateAccess"
CF_TOKEN = "cf-CANARY-token-7a41c2e9"
PROTECTED = ["172.20.0.0/16", "172.21.0.0/16"]
OPERATORS = ["10.42.0.0/16", "10.43.0.0/16", "192.168.2.0/24"]


@pytest.fixture(scope="module")
def cf_emulator():
    e = Emulator(CANARY_KEY, postgres="none")
    yield e
    e.stop()


def configured(engine, cf_emulator, **extra):
    state = cf_emulator.state()["cloudflare"]
    config = {
        "cloudflareApiToken": secret(CF_TOKEN),
        "cloudflareAccountId": state["account_id"],
        "cloudflareApiUrl": cf_emulator.url + "/client/v4",
        "protectedSplitTunnelAddresses": PROTECTED,
        **extra,
    }
    return oceanid_provider(engine, config)


@pytest.fixture
def cf(engine, cf_emulator):
    cf_emulator.reset()
    cf_emulator.clear_faults()
    p = configured(engine, cf_emulator)
    yield p
    p.stop()
    assert CF_TOKEN not in p.stderr(), "the Cloudflare token leaked into the provider's stderr"
    assert CF_TOKEN.encode() not in p.stdout_rest


def ok(p, token: str, args: dict) -> dict:
    r = p.invoke(token, args)
    assert not r.failures, [(f.property, f.reason) for f in r.failures]
    return from_struct(getattr(r, "return"))


def failed(report: dict) -> list[str]:
    return [c["name"] for c in report["checks"] if not c["ok"]]


def test_get_split_tunnel_marks_the_protected_entries(cf):
    view = ok(cf, SPLIT, {})
    assert view["mode"] == "include"
    marked = [(e["address"], e["protected"]) for e in view["entries"]]
    assert marked == [(a, True) for a in PROTECTED] + [(a, False) for a in OPERATORS]


def test_get_split_tunnel_of_the_custom_profile_is_exclude(cf, cf_emulator):
    policy = cf_emulator.state()["cloudflare"]["custom_profiles"][0]["policy_id"]
    view = ok(cf, SPLIT, {"policyId": policy})
    assert view["mode"] == "exclude"
    assert view["policyId"] == policy


def test_verify_private_access_healthy(cf):
    report = ok(cf, VERIFY, {"addresses": OPERATORS})
    assert report["ok"] is True, report
    # Mode, 3 × (covered, routed), 2 protected.
    assert len(report["checks"]) == 9


def test_verify_private_access_with_the_tunnel_down_and_an_address_not_covered(cf, cf_emulator):
    report = ok(cf, VERIFY, {"addresses": ["10.99.0.0/16"]})
    assert failed(report) == ["10.99.0.0/16 in split tunnel", "10.99.0.0/16 tunnel route"]
    tunnel = cf_emulator.state()["cloudflare"]["tunnels"][0]["id"]
    cf_emulator.api("POST", f"/__emulator/cloudflare/tunnels/{tunnel}",
                    {"status": "down", "connections": 0})
    report = ok(cf, VERIFY, {"addresses": OPERATORS})
    assert report["ok"] is False
    assert len(failed(report)) == 3
    with pytest.raises(grpc.RpcError) as e:
        cf.invoke(VERIFY, {"addresses": OPERATORS, "failOnError": True})
    assert "failed 3 check(s)" in e.value.details()
    assert "down with 0 connection" in e.value.details()


def test_verify_private_access_needs_addresses(cf):
    r = cf.invoke(VERIFY, {"addresses": []})
    assert [f.property for f in r.failures] == ["addresses"]


def test_without_a_token_the_error_names_the_setting(engine, cf_emulator, monkeypatch):
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    p = oceanid_provider(engine, {"cloudflareApiUrl": cf_emulator.url + "/client/v4"})
    try:
        with pytest.raises(grpc.RpcError) as e:
            p.invoke(SPLIT, {})
        assert "oceanid:cloudflareApiToken" in e.value.details()
        assert "CLOUDFLARE_API_TOKEN" in e.value.details()
    finally:
        p.stop()


# --- SplitTunnelEntry ------------------------------------------------------------------------

ENTRY = "oceanid:cloudflare:SplitTunnelEntry"


def include_list(cf_emulator) -> list[dict]:
    return cf_emulator.state()["cloudflare"]["default_profile"]["include"]


def test_entry_create_update_delete_keeps_every_other_entry(cf, cf_emulator):
    before = include_list(cf_emulator)
    inputs = cf.checked({"address": "10.44.0.7", "description": "gpu box"}, ENTRY)
    assert inputs["address"] == "10.44.0.7/32"
    created = cf.create(inputs, ENTRY)
    account = cf_emulator.state()["cloudflare"]["account_id"]
    assert created.id == f"{account}/default/include/10.44.0.7/32"
    after = include_list(cf_emulator)
    assert after[:len(before)] == before
    assert after[-1] == {"address": "10.44.0.7/32", "description": "gpu box"}

    state = from_struct(created.properties)
    news = {**inputs, "description": "gpu box (renamed)"}
    updated = cf.update(created.id, state, news, type_token=ENTRY)
    assert from_struct(updated.properties)["description"] == "gpu box (renamed)"
    assert include_list(cf_emulator)[-1]["description"] == "gpu box (renamed)"

    read = cf.read(created.id, from_struct(updated.properties), type_token=ENTRY)
    assert read.id == created.id
    assert from_struct(read.properties)["description"] == "gpu box (renamed)"

    cf.delete(created.id, from_struct(updated.properties), type_token=ENTRY)
    assert include_list(cf_emulator) == before
    gone = cf.read(created.id, from_struct(updated.properties), type_token=ENTRY)
    assert gone.id == ""


def test_entry_import_reads_by_id_alone(cf, cf_emulator):
    account = cf_emulator.state()["cloudflare"]["account_id"]
    imported = cf.read(f"{account}/default/include/10.42.0.0/16", type_token=ENTRY)
    props = from_struct(imported.properties)
    assert props["address"] == "10.42.0.0/16"
    assert props["mode"] == "include"
    # The account is the provider's default: a program that leaves `accountId` to
    # `cloudflareAccountId` imports without planning a replacement.
    inputs = from_struct(imported.inputs)
    assert "accountId" not in inputs
    news = cf.checked({"address": "10.42.0.0/16", "description": props["description"]}, ENTRY)
    d = cf.diff(props, news, old_inputs=inputs, type_token=ENTRY)
    assert list(d.replaces) == [] and list(d.diffs) == [], d
    # A program that states the same account explicitly plans no change either.
    d = cf.diff(props, {**news, "accountId": account}, old_inputs=inputs, type_token=ENTRY)
    assert list(d.replaces) == [] and list(d.diffs) == [], d


def test_entry_existing_not_ours_names_the_import_command(cf, cf_emulator):
    before = include_list(cf_emulator)
    with pytest.raises(grpc.RpcError) as e:
        cf.create(cf.checked({"address": "10.42.0.0/16", "description": "pods"}, ENTRY), ENTRY)
    assert "pulumi import oceanid:cloudflare:SplitTunnelEntry" in e.value.details()
    assert include_list(cf_emulator) == before
    adopted = cf.create(cf.checked({"address": "10.42.0.0/16", "description": "pods",
                                     "adoptExisting": True}, ENTRY), ENTRY)
    assert adopted.id.endswith("/default/include/10.42.0.0/16")


def test_entry_bad_input_and_protected_overlap_are_refused(cf, cf_emulator):
    before = include_list(cf_emulator)
    for news, prop, words in [
        ({"address": "0.0.0.0/0"}, "address", "every destination"),
        ({"host": "https://wiki.example.com"}, "host", "scheme"),
        ({"address": "10.1.0.0/16", "host": "a.example.com"}, "address", "not both"),
        ({}, "address", "one of `address`"),
        ({"address": "10.1.0.0/16", "description": "x" * 101}, "description", "101 characters"),
    ]:
        r = cf.check(news, ENTRY)
        assert [(f.property, words in f.reason) for f in r.failures] == [(prop, True)], news
    with pytest.raises(grpc.RpcError) as e:
        cf.create(cf.checked({"address": "172.20.9.0/24", "description": "x"}, ENTRY), ENTRY)
    assert "protected network `172.20.0.0/16`" in e.value.details()
    policy = cf_emulator.state()["cloudflare"]["custom_profiles"][0]["policy_id"]
    with pytest.raises(grpc.RpcError) as e:
        cf.create(cf.checked({"address": "10.45.0.0/16", "policyId": policy}, ENTRY), ENTRY)
    assert "exclude mode" in e.value.details() and "resets" in e.value.details()
    assert include_list(cf_emulator) == before


def test_parallel_creates_in_one_process_are_group_committed(cf, cf_emulator):
    from concurrent.futures import ThreadPoolExecutor

    before = include_list(cf_emulator)
    puts_before = cf_emulator.state()["cloudflare"]["requests"]["by_method"].get("PUT", 0)
    inputs = [cf.checked({"address": f"10.46.{i}.0/24", "description": f"n{i}"}, ENTRY)
              for i in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        created = list(pool.map(lambda i: cf.create(inputs[i], ENTRY, name=f"e{i}"), range(20)))
    assert len({c.id for c in created}) == 20
    after = include_list(cf_emulator)
    assert after[:len(before)] == before
    assert sorted(e["address"] for e in after[len(before):]) == sorted(
        f"10.46.{i}.0/24" for i in range(20))
    puts = cf_emulator.state()["cloudflare"]["requests"]["by_method"].get("PUT", 0) - puts_before
    print(f"20 parallel creates through the provider: {puts} PUT(s)")
    assert 1 <= puts < 20, puts
