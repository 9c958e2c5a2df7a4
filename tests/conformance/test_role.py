"""Role end to end: the provider driven through Pulumi's stubs against the emulator, checked
against the emulator's state and, with `--postgres auto`, against PostgreSQL itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from harness import from_struct, is_secret, reveal

RL = "crunchybridge:index:Role"
DR = provider_pb2.DiffResponse


def cluster(emulator) -> str:
    return emulator.seed["cluster_id"]


def roles(emulator, cluster_id: str | None = None) -> dict[str, dict]:
    c = cluster_id or cluster(emulator)
    return {r["name"]: r for r in emulator.state()["roles"] if r["cluster_id"] == c}


def create(p, emulator, name: str, flavor: str | None = None, resource: str = "me"):
    args = {"clusterId": cluster(emulator), "name": name}
    if flavor is not None:
        args["flavor"] = flavor
    inputs = p.checked(args, RL)
    r = p.create(inputs, type_token=RL, name=resource)
    return r.id, from_struct(r.properties), inputs


def wait_for_log(engine, predicate, timeout: float = 5.0) -> list[str]:
    """Engine.Log calls are fire-and-forget: give them a moment to arrive."""
    deadline = time.monotonic() + timeout
    while not any(predicate(m) for m in engine.messages()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return engine.messages()


def assert_no_leak(p, engine, *passwords: str) -> None:
    logs = "\n".join(engine.messages())
    for pw in passwords:
        assert pw not in p.stderr(), "a role password leaked into the provider's stderr"
        assert pw not in logs, "a role password leaked into an engine log line"


def test_user_role_lifecycle(bridge, emulator, engine):
    account_role = emulator.seed["account_role"]
    id, out, inputs = create(bridge, emulator, "user")
    assert id == f"{cluster(emulator)}/{account_role}"
    held = roles(emulator)[account_role]
    assert out["roleName"] == account_role and out["name"] == "user"
    assert is_secret(out["password"]) and is_secret(out["uri"])
    assert reveal(out["password"]) == held["password"] and reveal(out["uri"]) == held["uri"]
    first_password = held["password"]

    # Refresh: same state, secrets still wrapped, no diff.
    r = bridge.read(id, out, inputs, type_token=RL, name="me")
    refreshed = from_struct(r.properties)
    assert refreshed == out and is_secret(refreshed["password"])
    assert bridge.diff(refreshed, inputs, from_struct(r.inputs), type_token=RL).changes == \
        DR.DIFF_NONE

    # A password rotated outside Pulumi reaches the stack on refresh.
    emulator.api("PUT", f"/clusters/{cluster(emulator)}/roles/{account_role}",
                 {"rotate_password": True})
    rotated = roles(emulator)[account_role]["password"]
    assert rotated != first_password
    r = bridge.read(id, out, inputs, type_token=RL, name="me")
    assert reveal(from_struct(r.properties)["password"]) == rotated

    # The flavor updates in place.
    news = bridge.checked({**inputs, "flavor": "read"}, RL)
    d = bridge.diff(out, news, inputs, type_token=RL)
    assert d.changes == DR.DIFF_SOME and not d.replaces
    out = from_struct(bridge.update(id, out, news, inputs, type_token=RL, name="me").properties)
    assert roles(emulator)[account_role]["flavor"] == "read" and out["flavor"] == "read"
    assert is_secret(out["password"])
    # Changing the role's name replaces it.
    d = bridge.diff(out, bridge.checked({**news, "name": "application"}, RL), news, type_token=RL)
    assert d.replaces == ["name"]

    # Import: only the id; the inputs come back, and Check + Diff of them is clean.
    imp = bridge.read(id, type_token=RL, name="me")
    imported = from_struct(imp.inputs)
    assert imported == {"clusterId": cluster(emulator), "name": account_role, "flavor": "read"}
    checked = bridge.checked(imported, RL)
    assert bridge.diff(from_struct(imp.properties), checked, imported, type_token=RL).changes == \
        DR.DIFF_NONE
    assert is_secret(from_struct(imp.properties)["password"])

    # Delete, then delete again.
    bridge.delete(id, out, type_token=RL)
    assert account_role not in roles(emulator)
    bridge.delete(id, out, type_token=RL)
    assert_no_leak(bridge, engine, first_password, rotated)


@pytest.mark.parametrize("name", ["application", "postgres"])
def test_builtin_roles_are_adopted_and_only_forgotten(bridge, emulator, engine, name):
    id, out, inputs = create(bridge, emulator, name)
    held = roles(emulator)[name]
    assert id == f"{cluster(emulator)}/{name}" and out["roleName"] == name
    assert reveal(out["password"]) == held["password"] and is_secret(out["uri"])
    bridge.delete(id, out, type_token=RL)
    assert roles(emulator)[name]["password"] == held["password"], "still there, unchanged"
    said = wait_for_log(engine, lambda m: name in m and "cannot delete" in m and "forgets" in m)
    assert any(name in m and "cannot delete" in m and "forgets" in m for m in said), said
    assert_no_leak(bridge, engine, held["password"])


def test_refresh_after_an_out_of_band_delete_reports_it_gone(bridge, emulator):
    id, out, inputs = create(bridge, emulator, "user")
    emulator.api("DELETE", f"/clusters/{cluster(emulator)}/roles/{out['roleName']}")
    assert bridge.read(id, out, inputs, type_token=RL).id == ""


def test_an_existing_role_prints_the_import_command(bridge, emulator, engine):
    made = emulator.api("POST", f"/clusters/{cluster(emulator)}/roles")
    with pytest.raises(grpc.RpcError) as e:
        create(bridge, emulator, "user", resource="mine")
    msg = e.value.details()
    assert f"pulumi import crunchybridge:index:Role mine {cluster(emulator)}/{made['name']}" in msg
    assert made["password"] not in msg
    assert_no_leak(bridge, engine, made["password"])


def test_a_create_whose_answer_is_lost_makes_the_role_once(bridge, emulator):
    # Bridge made the role and the answer was lost: the retry (same Idempotency-Key) gets
    # Bridge's stored answer, so the role is resumed, not refused as an existing one.
    emulator.fault(method="POST", path="/clusters/*/roles", drop_after_commit=True, count=1)
    id, out, _ = create(bridge, emulator, "user")
    assert reveal(out["password"]) == roles(emulator)[out["roleName"]]["password"]


@pytest.mark.parametrize("name", ["user", "application"])
def test_the_team_chain_is_an_output_for_verify_full(bridge, emulator, name):
    req = urllib.request.Request(f"{emulator.url}/teams/{emulator.seed['team_id']}.pem")
    req.add_header("Authorization", f"Bearer {emulator.api_key}")
    with urllib.request.urlopen(req, timeout=10) as r:
        chain = r.read().decode()
    id, out, inputs = create(bridge, emulator, name)
    assert out["caCertificate"] == chain and chain.startswith("-----BEGIN CERTIFICATE-----")
    read = from_struct(bridge.read(id, out, inputs, type_token=RL).properties)
    assert read["caCertificate"] == out["caCertificate"]


def test_a_role_on_an_unknown_cluster_is_a_clear_error(bridge):
    missing = "a" * 25 + "a"
    inputs = bridge.checked({"clusterId": missing, "name": "application"}, RL)
    with pytest.raises(grpc.RpcError) as e:
        bridge.create(inputs, type_token=RL)
    assert missing in e.value.details() and "clusterId" in e.value.details()


def test_check_failures_say_what_to_change(bridge, emulator):
    def failures(args: dict) -> dict[str, str]:
        return {f.property: f.reason for f in bridge.check(args, RL).failures}

    c = cluster(emulator)
    assert "user" in failures({"clusterId": c, "name": "admin"})["name"]
    assert set(failures({"clusterId": c, "name": "postgres", "flavor": "read"})) == {"flavor"}
    assert set(failures({"clusterId": c, "name": "user", "flavor": "all"})) == {"flavor"}
    assert set(failures({"clusterId": "nope", "name": "user"})) == {"clusterId"}


def test_bad_import_ids_are_clear_errors(bridge):
    with pytest.raises(grpc.RpcError) as e:
        bridge.read("not-a-role", type_token=RL)
    assert "<clusterId>/<roleName>" in e.value.details()


def psql(uri: str, sql: str) -> str:
    """Runs one statement with psql over the role's own URI (TLS required)."""
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    r = subprocess.run(["psql", uri, "-XtAc", sql], capture_output=True, text=True, env=env,
                       timeout=30)
    assert r.returncode == 0, f"psql failed: {r.stderr.replace(uri, '<uri>')}"
    return r.stdout.strip()


@pytest.mark.skipif(shutil.which("psql") is None, reason="needs psql on PATH")
def test_the_credentials_log_in_to_postgres(pg_bridge, pg_emulator, engine):
    id, out, _ = create(pg_bridge, pg_emulator, "user")
    uri = reveal(out["uri"])
    assert psql(uri, "select current_user") == out["roleName"]
    assert psql(uri, "select ssl from pg_stat_ssl where pid = pg_backend_pid()") == "t"
    app_id, app, _ = create(pg_bridge, pg_emulator, "application", resource="app")
    assert psql(reveal(app["uri"]), "select current_user") == "application"
    pg_bridge.delete(id, out, type_token=RL)
    with pytest.raises(AssertionError):
        psql(uri, "select 1")  # the deleted role no longer logs in
    assert_no_leak(pg_bridge, engine, reveal(out["password"]), reveal(app["password"]))


def test_an_unreachable_engine_never_breaks_an_operation(emulator):
    # Engine.Log goes to an address where nothing listens: logging fails quietly.
    from conftest import CANARY_KEY
    from harness import Provider, secret

    emulator.reset()
    p = Provider(["--logtostderr", "127.0.0.1:1"])
    try:
        p.configure({"apiKey": secret(CANARY_KEY), "apiUrl": emulator.url})
        inputs = p.checked({"clusterId": emulator.seed["cluster_id"], "name": "application"},
                           "crunchybridge:index:Role")
        started = time.monotonic()
        r = p.create(inputs, type_token="crunchybridge:index:Role", name="app")
        assert r.id == f"{emulator.seed['cluster_id']}/application"
        # Deleting a built-in role logs why it is only forgotten: still fine, still quick.
        p.delete(r.id, from_struct(r.properties), type_token="crunchybridge:index:Role", name="app")
        assert time.monotonic() - started < 5
    finally:
        assert p.stop() == 0
