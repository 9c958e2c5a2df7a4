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


def launched(engine, plugin: Plugin):
    """`plugin` launched the way the engine launches it, handshaken and configured."""
    p = Provider(["--logtostderr", "-v=9", engine.address], package=plugin.package)
    p.stub.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address=engine.address))
    p.configure(plugin.config)
    yield p
    p.stop()


@pytest.fixture
def any_provider(engine, plugin):
    """The plugin of `plugin`, launched the way the engine launches it, handshaken and
    configured."""
    yield from launched(engine, plugin)


@pytest.fixture(params=[p for p in PLUGINS if p.resource], ids=lambda plugin: plugin.package)
def resource_plugin(request) -> Plugin:
    """Each package that has a resource: the tests of Check run against each."""
    return request.param


@pytest.fixture
def resource_provider(engine, resource_plugin):
    """The plugin of `resource_plugin`, launched, handshaken and configured."""
    yield from launched(engine, resource_plugin)


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


# --- the oceanid package against the emulator's Kubernetes API ----------------------------------

KUBE_TOKEN = "oceanid-emulator-kubernetes-token"  # the admin token the emulator's kubeconfig holds


@pytest.fixture(scope="module")
def kube_emulator(tmp_path_factory):
    """An emulator that writes its kubeconfig (context `oceanid-emulator`, https with its CA)."""
    e = Emulator(CANARY_KEY, postgres="none",
                 kubeconfig_out=tmp_path_factory.mktemp("kube") / "kubeconfig")
    yield e
    e.stop()


def oceanid_provider(engine, config: dict) -> Provider:
    p = Provider(["--logtostderr", engine.address], package="oceanid")
    p.stub.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address=engine.address))
    p.configure(config)
    return p


@pytest.fixture
def oceanid(engine, kube_emulator):
    """The oceanid plugin configured with the emulator's kubeconfig given as content (a
    secret), the seeded cluster restored first."""
    kube_emulator.reset()
    kube_emulator.clear_faults()
    p = oceanid_provider(engine, {"kubeconfig": secret(kube_emulator.kubeconfig.read_text())})
    yield p
    p.stop()
    assert KUBE_TOKEN not in p.stderr(), "the kubeconfig's token leaked into the provider's stderr"
    assert KUBE_TOKEN.encode() not in p.stdout_rest
