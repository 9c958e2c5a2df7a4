"""The protocol layer through Pulumi's own stubs: handshake and configuration, the schema,
Check (normalisation, failures, unknowns), Diff (every kind), preview, secrets, panics."""

from __future__ import annotations

import json
import os
import subprocess

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2

from harness import (FW, SIG, UNKNOWN, Provider, crate_version, from_struct, is_secret,
                     provider_binary, reveal, secret, to_struct)

NET = "abcdefghijklmnopqrstuvwxya"
NET2 = "bbcdefghijklmnopqrstuvwxya"
PD = provider_pb2.PropertyDiff
DR = provider_pb2.DiffResponse


# --- handshake, plugin info, configuration ------------------------------------------------

def test_plugin_info_is_the_crate_version(any_provider):
    assert any_provider.plugin_info() == crate_version()


def test_handshake_and_configure_flags(engine, plugin):
    p = Provider([engine.address], package=plugin.package)
    try:
        h = p.stub.Handshake(provider_pb2.ProviderHandshakeRequest(
            engine_address=engine.address, configure_with_urn=True, supports_views=True))
        assert h.accept_secrets and h.accept_resources
        c = p.configure(plugin.config)
        assert c.acceptSecrets and c.supportsPreview and c.acceptResources
        assert c.acceptOutputs == h.accept_outputs
    finally:
        p.stop()


def test_configure_from_the_flat_variables_of_older_engines(engine):
    p = Provider([engine.address])
    try:
        c = p.configure(variables={"crunchybridge:config:apiKey": "cbkey_flat",
                                   "crunchybridge:config:apiUrl": "http://127.0.0.1:9"})
        assert c.supportsPreview
    finally:
        p.stop()


def test_check_config_without_a_key_says_how_to_set_it(provider):
    r = provider.stub.CheckConfig(provider_pb2.CheckRequest(
        urn="urn:pulumi:test::conformance::pulumi:providers:crunchybridge::default",
        news=to_struct({"version": "0.1.0"})))
    failures = {f.property: f.reason for f in r.failures}
    assert "apiKey" in failures, failures
    reason = failures["apiKey"]
    assert "pulumi config set --secret crunchybridge:apiKey" in reason
    assert "CRUNCHYBRIDGE_API_KEY" in reason


def test_check_config_accepts_the_environment_fallback(engine):
    for var in ("CRUNCHYBRIDGE_API_KEY", "CB_API_KEY"):
        p = Provider([engine.address], env={var: "cbkey_from_env"})
        try:
            r = p.stub.CheckConfig(provider_pb2.CheckRequest(news=to_struct({})))
            assert not r.failures, [(f.property, f.reason) for f in r.failures]
            # The fallback is applied when configuring, never written into the state.
            assert "cbkey_from_env" not in str(from_struct(r.inputs))
            assert p.configure({}).supportsPreview
        finally:
            p.stop()


def test_calls_after_a_failed_configure_say_it_failed_and_why(engine):
    p = Provider([engine.address])
    try:
        with pytest.raises(grpc.RpcError):
            p.configure({"apiKey": secret("cbkey_x"), "apiUrl": "ftp://nowhere"})
        with pytest.raises(grpc.RpcError) as e:
            p.invoke("crunchybridge:index:getAccount", {})
        details = e.value.details()
        assert "Configure failed" in details and "apiUrl" in details, details
        assert "was not called" not in details, details
    finally:
        p.stop()


def test_configure_without_any_key_fails_clearly(engine):
    p = Provider([engine.address])
    try:
        with pytest.raises(grpc.RpcError) as e:
            p.configure({})
        assert "crunchybridge:apiKey" in e.value.details()
    finally:
        p.stop()


def test_check_config_keeps_the_key_secret_and_checks_the_url(provider):
    r = provider.stub.CheckConfig(provider_pb2.CheckRequest(
        news=to_struct({"apiKey": secret("cbkey_abc"), "apiUrl": "not a url", "version": "1"})))
    failures = {f.property: f.reason for f in r.failures}
    assert set(failures) == {"apiUrl"}, failures
    ok = provider.stub.CheckConfig(provider_pb2.CheckRequest(
        news=to_struct({"apiKey": secret("cbkey_abc"), "version": "1"})))
    inputs = from_struct(ok.inputs)
    assert is_secret(inputs["apiKey"]) and reveal(inputs["apiKey"]) == "cbkey_abc"
    assert inputs["version"] == "1"


def test_check_config_refuses_plain_http_off_loopback_and_url_credentials(provider):
    def reason(url):
        r = provider.stub.CheckConfig(provider_pb2.CheckRequest(
            news=to_struct({"apiKey": secret("cbkey_abc"), "apiUrl": url, "version": "1"})))
        return {f.property: f.reason for f in r.failures}.get("apiUrl")

    plain = reason("http://api.crunchybridge.com")
    assert plain and "loopback" in plain and "https://" in plain, plain
    assert reason("http://127.0.0.1:8080") is None
    creds = reason("https://ops:Hidden-Pass-55@api.crunchybridge.com")
    assert creds and "credentials" in creds and "Hidden-Pass-55" not in creds, creds
    long = reason("not a url " + "z" * 10_000)
    assert long and len(long) < 600, len(long)


def test_check_config_takes_max_concurrent_requests_as_number_or_text(provider):
    def reason(value):
        r = provider.stub.CheckConfig(provider_pb2.CheckRequest(
            news=to_struct({"apiKey": secret("cbkey_abc"), "maxConcurrentRequests": value})))
        return {f.property: f.reason for f in r.failures}.get("maxConcurrentRequests")

    # Stack config reaches a default provider as text; the SDK's Provider sends JSON text too.
    assert reason("25") is None
    assert reason(25) is None
    for bad in ["0", 0, "ten", 2000, 2.5]:
        why = reason(bad)
        assert why and "1 to 1000" in why, (bad, why)


def test_diff_config_never_replaces(provider):
    r = provider.stub.DiffConfig(provider_pb2.DiffRequest(
        olds=to_struct({"apiKey": secret("cbkey_a"), "apiUrl": "https://a.example"}),
        old_inputs=to_struct({"apiKey": secret("cbkey_a"), "apiUrl": "https://a.example"}),
        news=to_struct({"apiKey": secret("cbkey_b"), "apiUrl": "https://b.example"})))
    assert r.changes == DR.DIFF_SOME
    assert list(r.replaces) == []
    assert set(r.diffs) == {"apiKey", "apiUrl"}
    same = provider.stub.DiffConfig(provider_pb2.DiffRequest(
        olds=to_struct({"apiKey": secret("cbkey_a")}),
        old_inputs=to_struct({"apiKey": secret("cbkey_a")}),
        news=to_struct({"apiKey": secret("cbkey_a")})))
    assert same.changes == DR.DIFF_NONE


# --- schema ---------------------------------------------------------------------------------

def test_schema_describes_the_package(provider):
    s = provider.schema()
    assert s["name"] == "crunchybridge" and s["version"] == crate_version()
    assert s["config"]["variables"]["apiKey"]["secret"] is True
    assert s["language"]["nodejs"]["packageName"] == "@oceanid/crunchybridge"
    fw = s["resources"][FW]
    assert sorted(fw["requiredInputs"]) == ["networkId", "rule"]
    assert fw["inputProperties"]["networkId"]["replaceOnChanges"] is True
    assert fw["inputProperties"]["kind"]["replaceOnChanges"] is True
    assert "replaceOnChanges" not in fw["inputProperties"]["rule"]
    assert fw["inputProperties"]["kind"]["default"] == "ingress"
    assert {"ruleId", "networkId", "rule", "kind"} <= set(fw["required"])
    for spec in fw["inputProperties"].values():
        assert spec.get("description"), spec
    # Every $ref points at a type the schema defines.
    for ref in [w for w in json.dumps(s).split('"') if w.startswith("#/types/")]:
        assert ref[len("#/types/"):] in s["types"], ref


def test_get_schema_matches_the_schema_subcommand(any_provider, plugin):
    out = subprocess.run([str(plugin.binary()), "schema"], capture_output=True, check=True)
    assert json.loads(out.stdout) == any_provider.schema()


def test_the_schema_is_the_same_whatever_the_environment():
    # No variable adds or hides anything: not the old test-hook switch, not the key or URL
    # fallbacks, not logging.
    bare = subprocess.run([str(provider_binary()), "schema"], capture_output=True, check=True,
                          env={"PATH": os.environ.get("PATH", "")})
    busy = subprocess.run([str(provider_binary()), "schema"], capture_output=True, check=True,
                          env={**os.environ, "OCEANID_TEST_HOOKS": "1", "RUST_LOG": "trace",
                               "CRUNCHYBRIDGE_API_KEY": "cbkey_env",
                               "CRUNCHYBRIDGE_API_URL": "http://127.0.0.1:9"})
    assert bare.stdout == busy.stdout
    assert json.loads(bare.stdout)["name"] == "crunchybridge"


# --- Check ----------------------------------------------------------------------------------

def test_check_normalises_rules_and_applies_defaults(provider):
    got = provider.checked({"networkId": NET, "rule": " 203.0.113.7 "})
    assert got == {"networkId": NET, "rule": "203.0.113.7/32", "kind": "ingress"}
    got = provider.checked({"networkId": NET, "rule": "2001:db8::1", "kind": "egress",
                            "description": ""})
    assert got["rule"] == "2001:db8::1/128" and got["kind"] == "egress"
    # Bridge stores an empty description as none: the inputs say so too.
    assert "description" not in got


def test_host_bits_fail_with_the_network_address(provider):
    r = provider.check({"networkId": NET, "rule": "10.1.2.3/16"})
    (f,) = r.failures
    assert f.property == "rule" and "10.1.0.0/16" in f.reason


@pytest.mark.parametrize("news,prop,words", [
    ({"networkId": NET, "rule": 5}, "rule", "string"),
    ({"networkId": NET, "rule": "10.0.0.0/8", "kind": "sideways"}, "kind", "ingress"),
    ({"networkId": NET, "rule": "10.0.0.0/8", "description": {"a": 1}}, "description", "string"),
    ({"rule": "10.0.0.0/8"}, "networkId", "missing required"),
    ({"networkId": NET}, "rule", "missing required"),
    ({"networkId": "not-an-id", "rule": "10.0.0.0/8"}, "networkId", "network id"),
    ({"networkId": NET, "rule": "banana"}, "rule", "not an IP"),
    ({"networkId": NET, "rule": "10.0.0.0/8", "netwrkId": NET}, "netwrkId", "unknown property"),
])
def test_bad_inputs_are_check_failures_naming_the_property(provider, news, prop, words):
    r = provider.check(news)
    props = {f.property: f.reason for f in r.failures}
    assert prop in props, props
    assert words.lower() in props[prop].lower(), props[prop]


def test_hostile_nesting_is_a_failure_not_a_crash(provider):
    deep: object = "10.0.0.0/8"
    for _ in range(30):
        deep = [deep]
    r = provider.check({"networkId": NET, "rule": deep})
    assert [f.property for f in r.failures] == ["rule"]
    # Beyond protobuf's own recursion limit the message cannot even be decoded: a clean
    # gRPC error, and the provider keeps serving.
    for _ in range(200):
        deep = {"a": deep}
    with pytest.raises(grpc.RpcError):
        provider.check({"networkId": NET, "rule": deep})
    assert provider.plugin_info() == crate_version()


def test_unknowns_pass_through_check_while_known_values_are_still_checked(provider):
    got = provider.checked({"networkId": UNKNOWN, "rule": "203.0.113.9"})
    assert got["networkId"] == UNKNOWN
    assert got["rule"] == "203.0.113.9/32"
    got = provider.checked({"networkId": NET, "rule": UNKNOWN, "description": UNKNOWN})
    assert got["rule"] == UNKNOWN and got["description"] == UNKNOWN
    # A bad known value is still reported next to an unknown one.
    r = provider.check({"networkId": UNKNOWN, "rule": "10.1.2.3/16"})
    assert [f.property for f in r.failures] == ["rule"]


def test_preview_create_never_calls_the_api_and_returns_unknown_outputs(provider):
    inputs = provider.checked({"networkId": UNKNOWN, "rule": "203.0.113.9"})
    r = provider.create(inputs, preview=True)
    assert r.id == ""
    out = from_struct(r.properties)
    assert out["ruleId"] == UNKNOWN
    assert out["networkId"] == UNKNOWN
    assert out["rule"] == "203.0.113.9/32"


def test_secret_inputs_stay_secret_through_check_and_preview(provider):
    got = provider.checked({"networkId": NET, "rule": "10.0.0.0/8",
                            "description": secret("node-7 egress")})
    assert is_secret(got["description"]) and reveal(got["description"]) == "node-7 egress"
    out = from_struct(provider.create(got, preview=True).properties)
    assert is_secret(out["description"])


# --- Diff -----------------------------------------------------------------------------------

BASE = {"networkId": NET, "rule": "10.0.0.0/8", "kind": "ingress", "description": "a"}
STATE = {**BASE, "ruleId": "rrrrrrrrrrrrrrrrrrrrrrrrra"}


def kinds(r) -> dict[str, int]:
    assert set(r.diffs) == set(r.detailedDiff.keys())
    return {k: v.kind for k, v in r.detailedDiff.items()}


def test_no_change_is_diff_none(provider):
    r = provider.diff(STATE, BASE, BASE)
    assert r.changes == DR.DIFF_NONE and not r.diffs and not r.replaces


@pytest.mark.parametrize("change,kind", [
    ({"description": "b"}, PD.UPDATE),
    ({"rule": "10.0.0.0/16"}, PD.UPDATE),
    ({"rule": UNKNOWN}, PD.UPDATE),
    ({"networkId": NET2}, PD.UPDATE_REPLACE),
    ({"networkId": UNKNOWN}, PD.UPDATE_REPLACE),
    ({"kind": "egress"}, PD.UPDATE_REPLACE),
])
def test_every_diff_kind(provider, change, kind):
    news = {**BASE, **change}
    r = provider.diff(STATE, news, BASE)
    (prop,) = change
    assert r.changes == DR.DIFF_SOME
    assert r.hasDetailedDiff
    assert kinds(r) == {prop: kind}
    replacing = kind == PD.UPDATE_REPLACE
    assert list(r.replaces) == ([prop] if replacing else [])
    assert r.deleteBeforeReplace == replacing


def test_added_and_removed_optional_properties(provider):
    without = {k: v for k, v in BASE.items() if k != "description"}
    state_without = {k: v for k, v in STATE.items() if k != "description"}
    r = provider.diff(state_without, BASE, without)
    assert kinds(r) == {"description": PD.ADD}
    r = provider.diff(STATE, without, BASE)
    assert kinds(r) == {"description": PD.DELETE}


def test_secret_wrapping_alone_is_not_a_change(provider):
    r = provider.diff(STATE, {**BASE, "description": secret("a")}, BASE)
    assert r.changes == DR.DIFF_NONE


def test_ignore_changes_is_honoured(provider):
    r = provider.diff(STATE, {**BASE, "description": "b", "rule": "10.0.0.0/16"}, BASE,
                      ignore_changes=["description"])
    assert kinds(r) == {"rule": PD.UPDATE}


def test_refresh_drift_shows_against_the_refreshed_state(provider):
    # During refresh the engine diffs the refreshed state (olds) against the old inputs.
    drifted = {**STATE, "description": "changed by hand"}
    r = provider.diff(drifted, BASE, BASE)
    assert kinds(r) == {"description": PD.UPDATE}


# --- robustness -----------------------------------------------------------------------------

def test_a_panic_in_a_handler_is_internal_and_the_server_keeps_serving(test_provider):
    # The panicking resource lives in the test package only: the product carries no test hook.
    with pytest.raises(grpc.RpcError) as e:
        test_provider.check({"anything": 1}, type_token="oceanidtest:index:PanicProbe")
    assert e.value.code() == grpc.StatusCode.INTERNAL
    assert "panic" in e.value.details().lower()
    assert test_provider.plugin_info() == crate_version()
    echo = test_provider.checked({"name": "still-serving"}, type_token="oceanidtest:index:Echo")
    assert echo["name"] == "still-serving"


def test_unimplemented_rpcs_answer_unimplemented(any_provider, plugin):
    for call, req in [(any_provider.stub.Construct, provider_pb2.ConstructRequest()),
                      (any_provider.stub.Call, provider_pb2.CallRequest()),
                      (any_provider.stub.Parameterize, provider_pb2.ParameterizeRequest())]:
        with pytest.raises(grpc.RpcError) as e:
            call(req)
        assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
        assert plugin.package in e.value.details()
    assert any_provider.stub.GetMapping(provider_pb2.GetMappingRequest(key="tf")).provider == ""
    assert any_provider.plugin_info()
    any_provider.stub.Cancel(empty_pb2.Empty())


def test_an_unset_optional_input_the_cloud_filled_in_is_not_a_change(provider):
    # The program never set `description`; the stored state holds one (set by hand, imported).
    without = {k: v for k, v in BASE.items() if k != "description"}
    r = provider.diff(STATE, without, without)
    assert r.changes == DR.DIFF_NONE, kinds(r)
