"""Launch, flags, attach mode, shutdown: what the engine relies on before any resource. Every
test runs against each package on the layer (the `plugin` fixture)."""

from __future__ import annotations

import re
import signal
import subprocess

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2

from harness import Provider, crate_version


def test_port_line_is_only_the_port_and_a_newline(engine, plugin):
    p = Provider([engine.address], package=plugin.package)
    try:
        assert re.fullmatch(rb"[0-9]{2,5}\n", p.port_line), p.port_line
        assert 0 < p.port < 65536
        assert p.plugin_info() == crate_version()
    finally:
        assert p.stop() == 0
    # Nothing else ever goes to stdout: logs are on stderr.
    assert p.stdout_rest == b"", p.stdout_rest


def test_engine_flags_are_accepted_and_ignored(engine, plugin):
    p = Provider(["--logtostderr", "-v=9", "--tracing", "http://127.0.0.1:1", "--some-future-flag",
                  engine.address], package=plugin.package)
    try:
        assert p.plugin_info() == crate_version()
    finally:
        p.stop()


def test_attach_mode_serves_without_arguments(engine, plugin):
    p = Provider([], package=plugin.package)
    try:
        assert p.plugin_info() == crate_version()
        p.attach(engine.address)
        r = p.stub.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address=engine.address))
        assert r.accept_secrets
    finally:
        assert p.stop() == 0


def test_version_and_schema_subcommands(plugin):
    out = subprocess.run([str(plugin.binary()), "--version"], capture_output=True, check=True)
    assert out.stdout.decode().strip() == crate_version()
    schema = subprocess.run([str(plugin.binary()), "schema"], capture_output=True, check=True)
    assert f'"{plugin.schema_token()}"'.encode() in schema.stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stops_cleanly_on_signals(engine, plugin, sig):
    p = Provider([engine.address], package=plugin.package)
    assert p.plugin_info()
    assert p.stop(cancel=False, sig=sig) == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_right_after_the_port_line_stops_cleanly(engine, plugin, sig):
    # The engine may signal as soon as it has read the port: the handlers must already be
    # installed then (a signal before them kills the process with the default action, -sig).
    # Twenty launches, since the window was a few scheduler ticks wide.
    for _ in range(20):
        p = Provider([engine.address], package=plugin.package)
        assert p.stop(cancel=False, sig=sig) == 0, p.stderr()


def test_cancel_then_sigint_as_the_engine_shuts_down(engine, plugin):
    p = Provider([engine.address], package=plugin.package)
    p.stub.Cancel(empty_pb2.Empty())
    # After Cancel the provider still answers until the signal arrives.
    assert p.plugin_info() == crate_version()
    assert p.stop(cancel=False) == 0


def test_large_messages_are_accepted(resource_provider, resource_plugin):
    any_provider, plugin = resource_provider, resource_plugin
    # Far beyond gRPC's 4 MB default: the engine allows 400 MB.
    big = "x" * (20 * 1024 * 1024)
    r = any_provider.check({**plugin.inputs, plugin.text_input: big}, type_token=plugin.resource)
    assert not r.failures
    assert len(r.inputs[plugin.text_input]) == len(big)


def test_unknown_resource_type_is_a_clear_error(resource_provider, resource_plugin):
    any_provider, plugin = resource_provider, resource_plugin
    with pytest.raises(grpc.RpcError) as e:
        any_provider.check({}, type_token=f"{plugin.package}:index:Nope")
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert plugin.resource in e.value.details()
