"""Database end to end: the provider driven through Pulumi's stubs against the emulator with a
throwaway PostgreSQL, every assertion checked against PostgreSQL itself (psql)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from urllib.parse import parse_qs, urlparse

import grpc
import pytest
from google.rpc import status_pb2
from pulumi.runtime.proto import provider_pb2

from harness import from_struct, is_secret, reveal

DB = "crunchybridge:index:Database"
DR = provider_pb2.DiffResponse


# --- PostgreSQL, seen from outside the provider ----------------------------------------------

def cluster(em) -> str:
    return em.seed["cluster_id"]


def role_uri(em, role: str) -> str:
    return em.api("GET", f"/clusters/{cluster(em)}/roles/{role}")["uri"]


def with_db(uri: str, db: str) -> str:
    u = urlparse(uri)
    return u._replace(path=f"/{db}").geturl()


def psql(uri: str, sql: str, check: bool = True) -> str:
    r = subprocess.run(["psql", uri, "-AtXq", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True, timeout=30,
                       env={**os.environ, "PGCONNECT_TIMEOUT": "10"})
    if check:
        assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def su(em, sql: str, db: str = "postgres") -> str:
    return psql(with_db(role_uri(em, "postgres"), db), sql)


def owner_of(em, name: str) -> str | None:
    out = su(em, f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{name}'")
    return out or None


def extensions_of(em, name: str) -> list[str]:
    return su(em, "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1",
              db=name).splitlines()


def password(uri: str) -> str:
    return urlparse(uri).password or ""


# --- the provider ----------------------------------------------------------------------------

def create(p, em, name: str = "labelfish", owner: str = "application", **extra):
    inputs = p.checked({"clusterId": cluster(em), "name": name, "owner": owner, **extra}, DB)
    r = p.create(inputs, DB, name=name)
    return r.id, from_struct(r.properties), inputs


def init_failed(err: grpc.RpcError) -> provider_pb2.ErrorResourceInitFailed | None:
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                out = provider_pb2.ErrorResourceInitFailed()
                if detail.Unpack(out):
                    return out
    return None


def assert_not_leaked(p, engine, *secrets: str, also: tuple[str, ...] = ()) -> None:
    texts = [p.stderr(), *engine.messages(), *also]
    for s in secrets:
        assert s and len(s) >= 8
        for t in texts:
            assert s not in t, "a password leaked"


def assert_plain_outputs_hold_no(out: dict, secret_text: str) -> None:
    for key, value in out.items():
        if not is_secret(value):
            assert secret_text not in json.dumps(value), f"{key} is not secret but holds a password"


def wait_for_log(engine, words: str, timeout: float = 3.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for m in engine.messages():
            if words in m:
                return m
        time.sleep(0.05)
    raise AssertionError(f"no engine log with {words!r}: {engine.messages()}")


# --- tests -----------------------------------------------------------------------------------

def test_create_makes_the_database_and_a_verified_secret_uri(pg_bridge, pg_emulator, engine):
    id, out, inputs = create(pg_bridge, pg_emulator)
    assert id == f"{cluster(pg_emulator)}/labelfish"
    assert owner_of(pg_emulator, "labelfish") == "application"

    assert is_secret(out["connectionUri"])
    uri = reveal(out["connectionUri"])
    u = urlparse(uri)
    assert (u.username, u.path, u.hostname, u.port) == ("application", "/labelfish", out["host"],
                                                        out["port"])
    assert parse_qs(u.query)["sslmode"] == ["require"]
    assert password(uri) == password(role_uri(pg_emulator, "application"))
    assert out["ownerRoleName"] == "application"
    assert {k: out[k] for k in inputs} == inputs

    # The URI is what an application needs: it lands in the database as the owner, over TLS,
    # and can write; the provider's own write check left nothing behind.
    assert psql(uri, "SELECT current_database() || ' ' || current_user") == "labelfish application"
    assert psql(uri, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == "t"
    psql(uri, "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('hello')")
    assert psql(uri, "SELECT body FROM notes") == "hello"
    assert su(pg_emulator, "SELECT count(*) FROM pg_class WHERE relname LIKE 'oceanid_verify%'",
              db="labelfish") == "0"

    assert_plain_outputs_hold_no(out, password(uri))
    assert_not_leaked(pg_bridge, engine, password(uri), password(role_uri(pg_emulator, "postgres")))


def test_lifecycle_owner_extensions_refresh_import_delete(pg_bridge, pg_emulator, engine):
    id, out, inputs = create(pg_bridge, pg_emulator, extensions=["pgcrypto"])
    assert extensions_of(pg_emulator, "labelfish") == ["pgcrypto"]

    # Refresh: the same state, no diff.
    r = pg_bridge.read(id, out, inputs, DB)
    assert r.id == id and from_struct(r.properties) == out
    assert pg_bridge.diff(from_struct(r.properties), inputs, from_struct(r.inputs),
                          DB).changes == DR.DIFF_NONE

    # Change the owner to the account's own role (alias `user`) and add an extension: in place.
    pg_emulator.api("POST", f"/clusters/{cluster(pg_emulator)}/roles")
    account_role = pg_emulator.seed["account_role"]
    news = pg_bridge.checked({**inputs, "owner": "user", "extensions": ["pgcrypto", "citext"]}, DB)
    assert news["extensions"] == ["citext", "pgcrypto"]
    d = pg_bridge.diff(out, news, inputs, DB)
    assert d.changes == DR.DIFF_SOME and not d.replaces and set(d.diffs) == {"owner", "extensions"}
    out2 = from_struct(pg_bridge.update(id, out, news, inputs, DB).properties)
    assert owner_of(pg_emulator, "labelfish") == account_role
    assert extensions_of(pg_emulator, "labelfish") == ["citext", "pgcrypto"]
    assert out2["owner"] == "user" and out2["ownerRoleName"] == account_role
    uri2 = reveal(out2["connectionUri"])
    assert is_secret(out2["connectionUri"]) and urlparse(uri2).username == account_role
    assert psql(uri2, "SELECT current_user") == account_role
    wait_for_log(engine, f"changed the owner of database labelfish from application to {account_role}")

    # Refresh keeps the alias while it still names the owner.
    r = pg_bridge.read(id, out2, news, DB)
    assert from_struct(r.properties) == out2
    assert pg_bridge.diff(from_struct(r.properties), news, from_struct(r.inputs),
                          DB).changes == DR.DIFF_NONE

    # Unlisting an extension does not drop it.
    news3 = pg_bridge.checked({**news, "extensions": ["citext"]}, DB)
    out3 = from_struct(pg_bridge.update(id, out2, news3, news, DB).properties)
    assert extensions_of(pg_emulator, "labelfish") == ["citext", "pgcrypto"]
    assert out3["extensions"] == ["citext"]
    wait_for_log(engine, "pgcrypto are no longer listed but stay installed")

    # Import: only the id; the inputs come back and Check + Diff of them is clean.
    imp = pg_bridge.read(id, type_token=DB)
    assert imp.id == id
    imported = from_struct(imp.inputs)
    assert imported == {"clusterId": cluster(pg_emulator), "name": "labelfish",
                        "owner": account_role, "extensions": ["citext", "pgcrypto"]}
    checked = pg_bridge.checked(imported, DB)
    assert pg_bridge.diff(from_struct(imp.properties), checked, imported,
                          DB).changes == DR.DIFF_NONE
    assert is_secret(from_struct(imp.properties)["connectionUri"])
    assert_plain_outputs_hold_no(from_struct(imp.properties), password(uri2))
    assert_plain_outputs_hold_no(imported, password(uri2))

    # Delete (no tables), then delete again: both succeed.
    pg_bridge.delete(id, out3, DB)
    assert owner_of(pg_emulator, "labelfish") is None
    pg_bridge.delete(id, out3, DB)
    assert_not_leaked(pg_bridge, engine, password(uri2),
                      password(role_uri(pg_emulator, "postgres")))


def test_refresh_after_an_out_of_band_drop_answers_an_empty_id(pg_bridge, pg_emulator):
    id, out, inputs = create(pg_bridge, pg_emulator)
    su(pg_emulator, "DROP DATABASE labelfish WITH (FORCE)")
    r = pg_bridge.read(id, out, inputs, DB)
    assert r.id == ""


def test_delete_refuses_to_lose_data_unless_force_destroy(pg_bridge, pg_emulator, engine):
    id, out, inputs = create(pg_bridge, pg_emulator)
    uri = reveal(out["connectionUri"])
    psql(uri, "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('keep me');"
              "CREATE SCHEMA app; CREATE TABLE app.tags (t text)")

    with pytest.raises(grpc.RpcError) as e:
        pg_bridge.delete(id, out, DB)
    msg = e.value.details()
    assert "database labelfish holds 2 tables (app.tags, public.notes)" in msg, msg
    assert "forceDestroy: true" in msg and "pulumi up" in msg, msg
    assert psql(uri, "SELECT body FROM notes") == "keep me"

    # forceDestroy changes in place (no replacement), then the delete drops it with its data.
    news = pg_bridge.checked({**inputs, "forceDestroy": True}, DB)
    d = pg_bridge.diff(out, news, inputs, DB)
    assert d.changes == DR.DIFF_SOME and d.diffs == ["forceDestroy"] and not d.replaces
    out2 = from_struct(pg_bridge.update(id, out, news, inputs, DB).properties)
    assert out2["forceDestroy"] is True
    pg_bridge.delete(id, out2, DB)
    assert owner_of(pg_emulator, "labelfish") is None
    assert_not_leaked(pg_bridge, engine, password(uri), also=(msg,))


def test_an_existing_database_is_refused_with_the_import_command(pg_bridge, pg_emulator, engine):
    su(pg_emulator, "CREATE DATABASE preexisting OWNER postgres")
    with pytest.raises(grpc.RpcError) as e:
        create(pg_bridge, pg_emulator, name="preexisting")
    msg = e.value.details()
    assert "refusing to take it over" in msg, msg
    assert (f"pulumi import crunchybridge:index:Database preexisting "
            f"{cluster(pg_emulator)}/preexisting") in msg, msg
    # Never taken over: the owner is unchanged.
    assert owner_of(pg_emulator, "preexisting") == "postgres"


def test_a_retried_create_resumes_the_database_it_made(pg_bridge, pg_emulator, engine):
    id, _, _ = create(pg_bridge, pg_emulator, name="retried")
    # The engine never learned the id (the answer was lost) and creates again: same database.
    id2, _, _ = create(pg_bridge, pg_emulator, name="retried")
    assert id2 == id
    wait_for_log(engine, "made by this resource")
    assert owner_of(pg_emulator, "retried") == "application"


def test_the_team_chain_is_an_output_an_application_can_verify_with(pg_bridge, pg_emulator,
                                                                    tmp_path):
    _, out, _ = create(pg_bridge, pg_emulator)
    ca = out["caCertificate"]
    assert ca.startswith("-----BEGIN CERTIFICATE-----") and not is_secret(ca)
    (tmp_path / "ca.pem").write_text(ca)
    uri = reveal(out["connectionUri"]).replace(
        "sslmode=require", f"sslmode=verify-full&sslrootcert={tmp_path / 'ca.pem'}")
    # libpq (psql) checks the chain and the host name with it.
    assert psql(uri, "SELECT current_database()") == "labelfish"


def test_a_rename_of_a_database_with_data_is_refused_before_anything_is_made(
        pg_bridge, pg_emulator):
    _, out, inputs = create(pg_bridge, pg_emulator, name="before")
    psql(reveal(out["connectionUri"]), "CREATE TABLE notes (body text)")
    # The engine replaces it: Create of the new name (same resource, same URN), then Delete.
    renamed = pg_bridge.checked({**inputs, "name": "after"}, DB)
    with pytest.raises(grpc.RpcError) as e:
        pg_bridge.create(renamed, DB, name="before")
    msg = e.value.details()
    assert "would replace database before" in msg and "1 table (public.notes)" in msg, msg
    assert "nothing was created" in msg, msg
    assert owner_of(pg_emulator, "after") is None
    assert owner_of(pg_emulator, "before") == "application"
    # An empty database renames freely.
    psql(reveal(out["connectionUri"]), "DROP TABLE notes")
    r = pg_bridge.create(renamed, DB, name="before")
    assert r.id == f"{cluster(pg_emulator)}/after"


def test_delete_refuses_data_that_is_not_a_table(pg_bridge, pg_emulator, engine):
    id, out, _ = create(pg_bridge, pg_emulator, name="lobs")
    uri = reveal(out["connectionUri"])
    psql(uri, "SELECT lo_from_bytea(0, 'precious'::bytea); CREATE VIEW v AS SELECT 1 AS one")
    with pytest.raises(grpc.RpcError) as e:
        pg_bridge.delete(id, out, DB)
    msg = e.value.details()
    assert "database lobs holds 1 view (public.v), 1 large object (" in msg, msg
    assert owner_of(pg_emulator, "lobs") == "application"


def test_an_owner_bridge_does_not_manage_is_explained(pg_bridge, pg_emulator):
    # `user` names the account's role, which exists only once a Role resource made it.
    with pytest.raises(grpc.RpcError) as e:
        create(pg_bridge, pg_emulator, owner="user")
    msg = e.value.details()
    assert "role `user` does not exist" in msg and "crunchybridge.Role" in msg, msg
    assert owner_of(pg_emulator, "labelfish") is None


def test_a_failed_verification_is_init_failed_and_lists_the_checks(pg_bridge, pg_emulator, engine):
    su(pg_emulator, "ALTER ROLE application NOLOGIN")
    try:
        with pytest.raises(grpc.RpcError) as e:
            create(pg_bridge, pg_emulator)
    finally:
        su(pg_emulator, "ALTER ROLE application LOGIN")
    detail = init_failed(e.value)
    assert detail is not None, e.value.details()
    assert detail.id == f"{cluster(pg_emulator)}/labelfish"
    assert any("check `connect` failed" in r and "not permitted to log in" in r
               for r in detail.reasons), detail.reasons
    props = from_struct(detail.properties)
    assert is_secret(props["connectionUri"]) and props["owner"] == "application"
    assert owner_of(pg_emulator, "labelfish") == "application"
    assert_not_leaked(pg_bridge, engine, password(reveal(props["connectionUri"])),
                      also=(e.value.details(), *detail.reasons))

    # The next `up` resumes with an Update, which verifies again and now passes.
    out = from_struct(pg_bridge.update(detail.id, props, from_struct(detail.inputs),
                                       type_token=DB).properties)
    assert psql(reveal(out["connectionUri"]), "SELECT current_user") == "application"


@pytest.mark.parametrize("news,prop,words", [
    ({"clusterId": "nope", "name": "db", "owner": "application"}, "clusterId", "cluster id"),
    ({"name": "template1", "owner": "application"}, "name", "system database"),
    ({"name": "x" * 64, "owner": "application"}, "name", "63 bytes"),
    ({"name": "db", "owner": ""}, "owner", "empty"),
    ({"name": "db", "owner": "application", "extensions": ["pgcrypto", ""]}, "extensions[1]",
     "empty"),
])
def test_bad_inputs_are_check_failures(pg_bridge, pg_emulator, news, prop, words):
    r = pg_bridge.check({"clusterId": cluster(pg_emulator), **news}, DB)
    failures = {f.property: f.reason for f in r.failures}
    assert prop in failures and words in failures[prop], failures


def test_bad_import_ids_say_what_an_id_looks_like(pg_bridge):
    with pytest.raises(grpc.RpcError) as e:
        pg_bridge.read("labelfish", type_token=DB)
    assert "<clusterId>/<databaseName>" in e.value.details()
