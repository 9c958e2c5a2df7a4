"""The oceanid package's Cloudflare functions through Invoke, against the emulator's Cloudflare
API: getSplitTunnel (mode, entries marked protected), verifyPrivateAccess healthy, with the
tunnel down, with an address not covered, failOnError, missing settings, and the token kept out
of every log; SplitTunnelEntry's create, update, delete, import, refusals and group commit, and
50 rounds of 50 parallel operations in one provider process losing nothing."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

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


# --- One `pulumi up` of 50 entry operations, 50 times ----------------------------------------

ROUNDS = 50
OPS_PER_ROUND = 50


def entry_key(entry: dict) -> str:
    return entry.get("address") or entry["host"]


def new_entry_inputs(n: int) -> dict:
    """The inputs of our n-th entry: mostly /24s, every fifth a host, every seventh a bare
    address (the provider normalises it to /32)."""
    if n % 5 == 0:
        return {"host": f"svc{n}.cluster.example.com", "description": f"entry {n}"}
    if n % 7 == 1:
        return {"address": f"10.{200 + n // 256}.{n % 256}.9", "description": f"entry {n}"}
    return {"address": f"10.{100 + n // 256}.{n % 256}.0/24", "description": f"entry {n}"}


def test_fifty_parallel_operations_lose_nothing_fifty_rounds(cf, cf_emulator):
    """Like one `pulumi up` per round: 50 SplitTunnelEntry Create/Update/Delete calls in
    parallel to one provider process; after each round the list holds exactly the declared
    entries, and every foreign entry byte-identical and in its order. Every fifth round another
    team's tool read-modify-writes the list through the API first (adds an entry, edits one):
    its changes between our operations are kept too."""
    rng = random.Random(13)
    account = cf_emulator.state()["cloudflare"]["account_id"]
    include_path = f"/client/v4/accounts/{account}/devices/policy/include"
    foreign = include_list(cf_emulator)
    foreign_keys = {entry_key(e) for e in foreign}
    live: dict[str, dict] = {}  # name -> {"id", "inputs", "state"}
    created_count = 0
    puts_per_round: list[int] = []
    calls_per_round: list[int] = []
    seconds_per_round: list[float] = []

    def create(name: str, news: dict) -> tuple[str, dict]:
        inputs = cf.checked(news, ENTRY)
        done = cf.create(inputs, ENTRY, name=name)
        return "create", {"id": done.id, "inputs": inputs, "state": from_struct(done.properties)}

    def update(name: str, description: str) -> tuple[str, dict]:
        old = live[name]
        news = cf.checked({**old["inputs"], "description": description}, ENTRY)
        done = cf.update(old["id"], old["state"], news, old_inputs=old["inputs"], type_token=ENTRY,
                         name=name)
        return "update", {"id": old["id"], "inputs": news, "state": from_struct(done.properties)}

    def delete(name: str) -> tuple[str, dict]:
        old = live[name]
        cf.delete(old["id"], old["state"], type_token=ENTRY, name=name)
        return "delete", {}

    with ThreadPoolExecutor(max_workers=OPS_PER_ROUND) as pool:
        for rnd in range(ROUNDS):
            if rnd % 5 == 4:
                listing = cf_emulator.api("GET", include_path)["result"]
                for e in listing:
                    if e.get("address") == "10.43.0.0/16":
                        e["description"] = f"K3s services (edited before round {rnd})"
                listing.append({"address": f"10.250.{rnd}.0/24", "description": f"other team {rnd}"})
                cf_emulator.api("PUT", include_path, listing)
                ours_keys = {entry_key(r["state"]) for r in live.values()}
                foreign = [e for e in include_list(cf_emulator) if entry_key(e) not in ours_keys]
                foreign_keys = {entry_key(e) for e in foreign}
                assert f"10.250.{rnd}.0/24" in foreign_keys
            names = list(live)
            rng.shuffle(names)
            n_update = rng.randint(10, 20) if names else 0
            n_delete = min(len(names) - n_update, (OPS_PER_ROUND - n_update) // 2) if names else 0
            n_create = OPS_PER_ROUND - n_update - n_delete
            ops = [(update, (name, f"entry {name} round {rnd}")) for name in names[:n_update]]
            ops += [(delete, (name,)) for name in names[n_update:n_update + n_delete]]
            for _ in range(n_create):
                ops.append((create, (f"e{created_count}", new_entry_inputs(created_count))))
                created_count += 1
            rng.shuffle(ops)
            assert len(ops) == OPS_PER_ROUND

            counts = cf_emulator.state()["cloudflare"]["requests"]["by_method"]
            started = time.monotonic()
            results = list(pool.map(lambda op: op[0](*op[1]), ops))
            seconds_per_round.append(time.monotonic() - started)
            after_counts = cf_emulator.state()["cloudflare"]["requests"]["by_method"]
            puts_per_round.append(after_counts.get("PUT", 0) - counts.get("PUT", 0))
            calls_per_round.append(sum(after_counts.values()) - sum(counts.values()))

            for (_, args), (kind, record) in zip(ops, results):
                if kind == "delete":
                    del live[args[0]]
                else:
                    live[args[0]] = record

            after = include_list(cf_emulator)
            declared = sorted((entry_key(r["state"]), r["state"]["description"]) for r in live.values())
            ours = sorted((entry_key(e), e["description"]) for e in after
                          if entry_key(e) not in foreign_keys)
            assert ours == declared, f"round {rnd}: the list differs from the declared entries"
            assert [e for e in after if entry_key(e) in foreign_keys] == foreign, (
                f"round {rnd}: a foreign entry changed or moved")
            assert len(after) == len(foreign) + len(live), f"round {rnd}: an entry is listed twice"
            for r in live.values():
                key = entry_key(r["state"])
                assert r["id"].endswith(f"/default/include/{key}"), r["id"]

    others = [e["address"] for e in include_list(cf_emulator)
              if e["description"].startswith("other team")]
    assert others == [f"10.250.{r}.0/24" for r in range(4, ROUNDS, 5)], others
    total = sum(seconds_per_round)
    print(f"{ROUNDS} rounds of {OPS_PER_ROUND} parallel operations through one provider: "
          f"{total:.1f} s; PUTs per round min {min(puts_per_round)} / median "
          f"{sorted(puts_per_round)[ROUNDS // 2]} / max {max(puts_per_round)} "
          f"(total {sum(puts_per_round)}); API calls per round median "
          f"{sorted(calls_per_round)[ROUNDS // 2]}; round time median "
          f"{sorted(seconds_per_round)[ROUNDS // 2] * 1000:.0f} ms; "
          f"{len(live)} entries of ours at the end")
    print("PUTs per round:", puts_per_round)
    # Group commit: the operations of a round share PUTs.
    assert max(puts_per_round) < OPS_PER_ROUND, puts_per_round
