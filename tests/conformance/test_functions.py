"""The functions through Invoke: getAccount, getCluster, getNetwork and getFirewallRules against
the emulator; verifyDatabase against the emulator's throwaway PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from urllib.parse import urlparse

import grpc
import pytest

from harness import from_struct, is_secret, secret

ACCOUNT = "crunchybridge:index:getAccount"
CLUSTER = "crunchybridge:index:getCluster"
NETWORK = "crunchybridge:index:getNetwork"
RULES = "crunchybridge:index:getFirewallRules"
VERIFY = "crunchybridge:index:verifyDatabase"


def ok(p, token: str, args: dict) -> dict:
    r = p.invoke(token, args)
    assert not r.failures, [(f.property, f.reason) for f in r.failures]
    return from_struct(getattr(r, "return"))


def failures(p, token: str, args: dict) -> dict[str, str]:
    r = p.invoke(token, args)
    assert r.failures, from_struct(getattr(r, "return"))
    return {f.property: f.reason for f in r.failures}


def error(p, token: str, args: dict) -> str:
    with pytest.raises(grpc.RpcError) as e:
        p.invoke(token, args)
    return e.value.details()


def new_cluster(em, name: str) -> dict:
    s = em.seed
    return em.api("POST", "/clusters", {"name": name, "plan_id": s["plan_id"],
                                        "team_id": s["team_id"], "provider_id": s["provider_id"],
                                        "region_id": s["region_id"]})


# --- getAccount --------------------------------------------------------------------------------

def test_get_account(bridge, emulator):
    out = ok(bridge, ACCOUNT, {})
    s = emulator.seed
    assert out["id"] == s["account_id"] and out["email"] == s["account_email"]
    assert out["teamId"] == s["team_id"] and out["defaultTeamId"] == s["team_id"]
    assert out["roleName"] == s["account_role"]
    assert out["name"] and out["hasSso"] is False


# --- getCluster ----------------------------------------------------------------------------

def test_get_cluster_by_id_and_by_name(bridge, emulator):
    s = emulator.seed
    by_id = ok(bridge, CLUSTER, {"id": s["cluster_id"]})
    assert by_id["name"] == s["cluster_name"] and by_id["state"] == "ready"
    assert by_id["networkId"] == s["network_id"] and by_id["teamId"] == s["team_id"]
    assert by_id["majorVersion"] == s["major_version"] and by_id["planId"] == s["plan_id"]
    assert ok(bridge, CLUSTER, {"name": s["cluster_name"]}) == by_id


def test_get_cluster_by_name_searches_every_page(bridge, emulator):
    for i in range(101):
        new_cluster(emulator, f"filler-{i:03}")
    first_page = {c["name"] for c in emulator.api("GET", "/clusters")["clusters"]}
    everyone = {c["name"]: c["id"] for c in emulator.state()["clusters"]}
    later = sorted(set(everyone) - first_page)
    assert later, "every cluster fits on the first page; the test needs more"
    assert ok(bridge, CLUSTER, {"name": later[-1]})["id"] == everyone[later[-1]]


def test_get_cluster_zero_or_several_matches_list_the_candidates(bridge, emulator):
    a, b = new_cluster(emulator, "twin"), new_cluster(emulator, "twin")
    msg = error(bridge, CLUSTER, {"name": "twin"})
    assert "2 clusters are named \"twin\"" in msg and a["id"] in msg and b["id"] in msg, msg
    assert "`id`" in msg
    msg = error(bridge, CLUSTER, {"name": "Twin"})
    assert "no cluster is named \"Twin\"" in msg and emulator.seed["cluster_name"] in msg, msg
    msg = error(bridge, CLUSTER, {"id": "aaaaaaaaaaaaaaaaaaaaaaaaaa"})
    assert "no cluster has the id" in msg and emulator.seed["cluster_id"] in msg, msg


@pytest.mark.parametrize("args,prop,words", [
    ({}, "id", "`id` or its `name`"),
    ({"id": "oceanidemulatorcluster222a", "name": "x"}, "name", "not both"),
    ({"id": "emulator-cluster"}, "id", "pass `name` instead"),
])
def test_get_cluster_bad_arguments_are_failures(bridge, args, prop, words):
    f = failures(bridge, CLUSTER, args)
    assert prop in f and words in f[prop], f


# --- getNetwork ----------------------------------------------------------------------------

def test_get_network_by_id_by_name_and_ambiguous(bridge, emulator):
    s = emulator.seed
    by_id = ok(bridge, NETWORK, {"id": s["network_id"]})
    assert by_id["cidr4"] == s["network_cidr4"] and by_id["providerId"] == s["provider_id"]
    assert ok(bridge, NETWORK, {"name": by_id["name"]}) == by_id
    other = new_cluster(emulator, "elsewhere")["network_id"]
    emulator.api("PATCH", f"/networks/{other}", {"name": by_id["name"]})
    msg = error(bridge, NETWORK, {"name": by_id["name"]})
    assert "2 networks are named" in msg and other in msg and s["network_id"] in msg, msg
    assert "id" in failures(bridge, NETWORK, {})


# --- getFirewallRules ----------------------------------------------------------------------

def test_get_firewall_rules(bridge, emulator):
    s = emulator.seed
    out = ok(bridge, RULES, {"networkId": s["network_id"]})
    assert out["networkId"] == s["network_id"] and out["allowAll"] is True
    assert sorted(r["ruleId"] for r in out["rules"]) == sorted(s["allow_all_rule_ids"])
    emulator.drop_allow_all()
    made = emulator.api("POST", f"/networks/{s['network_id']}/firewall-rules",
                        {"rule": "203.0.113.7/32", "description": "node-1"})
    out = ok(bridge, RULES, {"networkId": s["network_id"]})
    assert out["allowAll"] is False
    assert out["rules"] == [{"ruleId": made["id"], "rule": "203.0.113.7/32",
                             "description": "node-1", "kind": "ingress"}]


def test_get_firewall_rules_of_a_bad_or_unknown_network(bridge):
    assert "networkId" in failures(bridge, RULES, {"networkId": "nope"})
    msg = error(bridge, RULES, {"networkId": "aaaaaaaaaaaaaaaaaaaaaaaaaa"})
    assert "getNetwork" in msg, msg


def test_function_schemas_declare_the_nested_types(bridge):
    schema = bridge.schema()
    assert set(schema["functions"]) >= {ACCOUNT, CLUSTER, NETWORK, RULES, VERIFY}
    rules = schema["functions"][RULES]["outputs"]["properties"]["rules"]
    assert rules["items"] == {"$ref": "#/types/crunchybridge:index:GetFirewallRulesRule"}
    assert "crunchybridge:index:VerifyDatabaseCheck" in schema["types"]
    assert schema["functions"][VERIFY]["inputs"]["properties"]["connectionUri"]["secret"] is True


# --- verifyDatabase ------------------------------------------------------------------------

def psql(uri: str, sql: str) -> str:
    r = subprocess.run(["psql", uri, "-AtXq", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True, timeout=30,
                       env={**os.environ, "PGCONNECT_TIMEOUT": "10"})
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.fixture
def app_db(pg_emulator) -> str:
    """A database `vdb` owned by `application`, and application's URI to it."""
    roles = f"/clusters/{pg_emulator.seed['cluster_id']}/roles"
    su = pg_emulator.api("GET", f"{roles}/postgres")["uri"]
    psql(su, "CREATE DATABASE vdb OWNER application")
    app = urlparse(pg_emulator.api("GET", f"{roles}/application")["uri"])
    return app._replace(path="/vdb").geturl()


def no_password_anywhere(p, engine, uri: str, *texts: str) -> None:
    pw = urlparse(uri).password
    assert pw and len(pw) >= 8
    for t in (p.stderr(), *engine.messages(), *texts):
        assert pw not in t, "a password leaked"


def test_verify_a_good_url(pg_bridge, engine, app_db):
    out = ok(pg_bridge, VERIFY, {"connectionUri": secret(app_db)})
    assert out["ok"] is True and out["failures"] == ""
    assert [c["name"] for c in out["checks"]] == ["connect", "server_version", "current_database",
                                                  "current_user", "tls", "tables", "write"]
    assert all(c["ok"] for c in out["checks"])
    assert (out["database"], out["user"], out["tls"]) == ("vdb", "application", True)
    assert out["serverVersion"] and out["tlsVersion"].startswith("TLS")
    assert out["tablesFound"] == [] and out["tablesMissing"] == []
    assert not is_secret(out["ok"])
    assert psql(app_db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0"
    no_password_anywhere(pg_bridge, engine, app_db, json.dumps(out))


def test_verify_reports_missing_tables(pg_bridge, app_db):
    psql(app_db, "CREATE TABLE notes (body text)")
    out = ok(pg_bridge, VERIFY, {"connectionUri": secret(app_db),
                                 "expectTables": ["notes", "public.missing"], "write": False})
    assert out["ok"] is False
    assert out["tablesFound"] == ["public.notes"] and out["tablesMissing"] == ["public.missing"]
    (tables,) = [c for c in out["checks"] if c["name"] == "tables"]
    assert tables["ok"] is False and "public.missing" in tables["detail"]
    assert "write" not in [c["name"] for c in out["checks"]]
    assert out["failures"].startswith("tables: missing 1 of 2 expected")


def test_verify_a_wrong_password_is_a_failed_check(pg_bridge, engine, app_db):
    u = urlparse(app_db)
    bad = u._replace(netloc=f"application:WRONG-pw-4d1e9b@{u.hostname}:{u.port}").geturl()
    out = ok(pg_bridge, VERIFY, {"connectionUri": secret(bad)})
    assert out["ok"] is False and len(out["checks"]) == 1
    (connect,) = out["checks"]
    assert connect["name"] == "connect" and connect["ok"] is False
    assert "password authentication failed" in connect["detail"], connect
    assert "WRONG-pw-4d1e9b" not in json.dumps(out)

    # failOnError: the same failure fails the invocation, with every failed check listed.
    msg = error(pg_bridge, VERIFY, {"connectionUri": secret(bad), "failOnError": True})
    assert "did not pass 1 check" in msg and "connect: password authentication failed" in msg, msg
    no_password_anywhere(pg_bridge, engine, bad, msg)


def test_verify_an_unreachable_server_is_a_failed_check(pg_bridge):
    out = ok(pg_bridge, VERIFY, {"connectionUri": secret(
        "postgres://app:unreachable-pw-77@127.0.0.1:1/db?sslmode=require")})
    assert out["ok"] is False
    assert out["checks"][0]["name"] == "connect" and not out["checks"][0]["ok"]
    assert out["checks"][0]["detail"] and "unreachable-pw-77" not in json.dumps(out)


def test_verify_a_malformed_url_is_a_failure_that_does_not_echo_it(pg_bridge):
    f = failures(pg_bridge, VERIFY, {"connectionUri": secret("mysql://u:echo-pw-31@h/db")})
    assert "scheme" in f["connectionUri"] and "echo-pw-31" not in f["connectionUri"], f


def team_chain(em) -> str:
    req = urllib.request.Request(f"{em.url}/teams/{em.seed['team_id']}.pem")
    req.add_header("Authorization", f"Bearer {em.api_key}")
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode()


def test_verify_full_against_the_team_chain(pg_bridge, pg_emulator, app_db):
    ca = team_chain(pg_emulator)
    out = ok(pg_bridge, VERIFY, {"connectionUri": secret(app_db), "caCertificate": ca})
    assert out["ok"] is True, out["failures"]
    (tls,) = [c for c in out["checks"] if c["name"] == "tls"]
    assert "certificate verified against the CA for this host name" in tls["detail"], tls
    assert "`caCertificate` input" in tls["detail"], tls

    # Without it, the report says the certificate was not verified.
    out = ok(pg_bridge, VERIFY, {"connectionUri": secret(app_db)})
    (tls,) = [c for c in out["checks"] if c["name"] == "tls"]
    assert "certificate not verified" in tls["detail"], tls


def test_verify_full_refuses_another_ca_clearly(pg_bridge, pg_emulator, app_db):
    other = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", "/dev/null", "-subj", "/CN=someone else", "-days", "1"],
        capture_output=True, text=True, timeout=30, check=True).stdout
    out = ok(pg_bridge, VERIFY, {"connectionUri": secret(app_db), "caCertificate": other})
    assert out["ok"] is False
    (connect,) = [c for c in out["checks"] if c["name"] == "connect"]
    assert "UnknownIssuer" in connect["detail"], connect
    assert "must chain to the given CA certificate" in connect["detail"], connect
