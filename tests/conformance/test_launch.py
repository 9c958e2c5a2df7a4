"""Launch, flags, attach mode, shutdown: what the engine relies on before any resource."""

from __future__ import annotations

import re
import signal
import subprocess

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2

from harness import FW, Provider, crate_version, provider_binary


def test_port_line_is_only_the_port_and_a_newline(engine):
    p = Provider([engine.address])
    try:
        assert re.fullmatch(rb"[0-9]{2,5}\n", p.port_line), p.port_line
        assert 0 < p.port < 65536
        assert p.plugin_info() == crate_version()
    finally:
        assert p.stop() == 0
    # Nothing else ever goes to stdout: logs are on stderr.
    assert p.stdout_rest == b"", p.stdout_rest


def test_engine_flags_are_accepted_and_ignored(engine):
    p = Provider(["--logtostderr", "-v=9", "--tracing", "http://127.0.0.1:1", "--some-future-flag",
                  engine.address])
    try:
        assert p.plugin_info() == crate_version()
    finally:
        p.stop()


def test_attach_mode_serves_without_arguments(engine):
    p = Provider([])
    try:
        assert p.plugin_info() == crate_version()
        p.attach(engine.address)
        r = p.stub.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address=engine.address))
        assert r.accept_secrets
    finally:
        assert p.stop() == 0


def test_version_and_schema_subcommands():
    out = subprocess.run([str(provider_binary()), "--version"], capture_output=True, check=True)
    assert out.stdout.decode().strip() == crate_version()
    schema = subprocess.run([str(provider_binary()), "schema"], capture_output=True, check=True)
    assert b'"crunchybridge:index:FirewallRule"' in schema.stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stops_cleanly_on_signals(engine, sig):
    p = Provider([engine.address])
    assert p.plugin_info()
    assert p.stop(cancel=False, sig=sig) == 0


def test_cancel_then_sigint_as_the_engine_shuts_down(engine):
    p = Provider([engine.address])
    p.stub.Cancel(empty_pb2.Empty())
    # After Cancel the provider still answers until the signal arrives.
    assert p.plugin_info() == crate_version()
    assert p.stop(cancel=False) == 0


def test_large_messages_are_accepted(provider):
    # Far beyond gRPC's 4 MB default: the engine allows 400 MB.
    big = "x" * (20 * 1024 * 1024)
    r = provider.check({"networkId": "abcdefghijklmnopqrstuvwxya", "rule": "10.0.0.0/8",
                        "description": big})
    assert not r.failures
    assert len(r.inputs["description"]) == len(big)


def test_unknown_resource_type_is_a_clear_error(provider):
    with pytest.raises(grpc.RpcError) as e:
        provider.check({}, type_token="crunchybridge:index:Nope")
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert FW in e.value.details()
