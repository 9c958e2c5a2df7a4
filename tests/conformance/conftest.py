"""Fixtures for the conformance suite."""

from __future__ import annotations

import pytest
from pulumi.runtime.proto import provider_pb2

from harness import PLUGINS, Emulator, Engine, Plugin, Provider, secret

TEST_KEY = "cbkey_conformance_test_key"


@pytest.fixture
def engine():
    e = Engine()
    yield e
    e.stop()


@pytest.fixture
def provider(engine):
    """A provider launched the way the engine launches it, handshaken and configured."""
    p = Provider(["--logtostderr", "-v=9", engine.address])
    p.stub.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address=engine.address))
    p.configure({"apiKey": secret(TEST_KEY), "apiUrl": "http://127.0.0.1:9"})
    yield p
    p.stop()


@pytest.fixture(params=PLUGINS, ids=lambda plugin: plugin.package)
def plugin(request) -> Plugin:
    """Each package on the layer in turn: the generic protocol tests run against both the
    crunchybridge plugin and the test package's plugin."""
    return request.param


@pytest.fixture
def any_provider(engine, plugin):
    """The plugin of `plugin`, launched the way the engine launches it, handshaken and
    configured."""
    p = Provider(["--logtostderr", "-v=9", engine.address], package=plugin.package)
    p.stub.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address=engine.address))
    p.configure(plugin.config)
    yield p
    p.stop()


@pytest.fixture
def test_provider(engine):
    """The test package's plugin (`pulumi-resource-oceanidtest`), handshaken and configured:
    the home of test-only behaviour such as a resource that panics."""
    p = Provider(["--logtostderr", engine.address], package="oceanidtest")
    p.stub.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address=engine.address))
    p.configure({})
    yield p
    p.stop()


# Distinctive values: no byte of them may appear in logs, errors or unwrapped outputs.
CANARY_KEY = "cbkey_CANARY_7f3a9e1c55d04b2a"


@pytest.fixture(scope="module")
def emulator():
    e = Emulator(CANARY_KEY, postgres="none")
    yield e
    e.stop()


@pytest.fixture
def bridge(engine, emulator):
    """A provider configured against the emulator (fresh emulator state each test)."""
    emulator.reset()
    emulator.clear_faults()
    p = Provider(["--logtostderr", engine.address])
    p.stub.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address=engine.address))
    p.configure({"apiKey": secret(CANARY_KEY), "apiUrl": emulator.url})
    yield p
    p.stop()
    assert CANARY_KEY not in p.stderr(), "the API key leaked into the provider's stderr"
    assert CANARY_KEY.encode() not in p.stdout_rest
    assert CANARY_KEY not in emulator.stderr(), "the API key leaked into the emulator's log"


@pytest.fixture(scope="module")
def pg_emulator():
    """An emulator with a throwaway PostgreSQL (`--postgres auto`): clusters point at it and
    roles are real Postgres roles."""
    e = Emulator(CANARY_KEY, postgres="auto")
    yield e
    e.stop()


@pytest.fixture
def pg_bridge(engine, pg_emulator):
    """A provider configured against the Postgres-backed emulator."""
    pg_emulator.reset()
    pg_emulator.clear_faults()
    p = Provider(["--logtostderr", engine.address])
    p.stub.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address=engine.address))
    p.configure({"apiKey": secret(CANARY_KEY), "apiUrl": pg_emulator.url})
    yield p
    p.stop()
    assert CANARY_KEY not in p.stderr(), "the API key leaked into the provider's stderr"
    assert CANARY_KEY not in pg_emulator.stderr(), "the API key leaked into the emulator's log"
