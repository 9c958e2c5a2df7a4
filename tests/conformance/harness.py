"""Drives pulumi-resource-crunchybridge (and the test package's pulumi-resource-oceanidtest, a
second package on the same layer) the way the Pulumi engine does, through the gRPC stubs
that ship in PyPI `pulumi` (`pulumi.runtime.proto`), with a stand-in Engine that records
Engine.Log calls."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import tempfile
import time
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from google.protobuf.json_format import MessageToDict
from pulumi.runtime.proto import engine_pb2_grpc, plugin_pb2, provider_pb2, provider_pb2_grpc

REPO = Path(__file__).resolve().parents[2]
SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
MAX_MSG = 400 * 1024 * 1024
MAX_METADATA = 16 * 1024 * 1024
FW = "crunchybridge:index:FirewallRule"


# Each plugin the suite launches: the variable that names its binary, the default path, and
# the cargo command that builds it.
BINARIES = {
    "crunchybridge": ("OCEANID_PROVIDER_BIN", "pulumi-resource-crunchybridge",
                      "cargo build -p provider-crunchybridge"),
    "oceanid": ("OCEANID_OCEANID_PROVIDER_BIN", "pulumi-resource-oceanid",
                "cargo build -p provider-oceanid"),
    "oceanidtest": ("OCEANID_TEST_PROVIDER_BIN", "pulumi-resource-oceanidtest",
                    "cargo build -p oceanid-tests --bin pulumi-resource-oceanidtest"),
}


def provider_binary(package: str = "crunchybridge") -> Path:
    var, name, build = BINARIES[package]
    explicit = os.environ.get(var)
    path = Path(explicit) if explicit else REPO / "target" / "debug" / name
    if not path.exists():
        raise RuntimeError(
            f"{path} does not exist: build it first with `{build}` (the README's test command "
            f"does), or point {var} at it"
        )
    return path


@dataclass(frozen=True)
class Plugin:
    """What the generic protocol tests need to know about one package on the layer."""

    package: str
    resource: str | None  # a resource type token of the package (None: functions only, so far)
    inputs: dict  # inputs that resource's Check accepts as they are
    text_input: str  # an input of that resource that takes any text, kept as given
    config: dict = field(default_factory=dict)  # a configuration Configure accepts
    token: str = ""  # a token the schema must hold (the resource's, else a function's)

    def schema_token(self) -> str:
        return self.resource or self.token

    def binary(self) -> Path:
        return provider_binary(self.package)


PLUGINS = [
    Plugin("crunchybridge", FW, {"networkId": "abcdefghijklmnopqrstuvwxya", "rule": "10.0.0.0/8"},
           "description", {"apiKey": {SIG: SECRET_SIG, "value": "cbkey_x"},
                           "apiUrl": "http://127.0.0.1:9"}),
    Plugin("oceanidtest", "oceanidtest:index:Echo", {"name": "echo-1"}, "text"),
    # No resource until oceanid:cloudflare:SplitTunnelEntry; its config needs neither side.
    Plugin("oceanid", None, {}, "", {"kubeContext": "oceanid-emulator"},
           token="oceanid:kubernetes:getFluxHealth"),
]


def crate_version() -> str:
    for line in (REPO / "Cargo.toml").read_text().splitlines():
        if line.startswith("version = "):
            return line.split('"')[1]
    raise RuntimeError("no version in Cargo.toml")


def urn(type_token: str, name: str = "r") -> str:
    return f"urn:pulumi:test::conformance::{type_token}::{name}"


def secret(value: Any) -> dict:
    return {SIG: SECRET_SIG, "value": value}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG) == SECRET_SIG


def reveal(value: Any) -> Any:
    return value["value"] if is_secret(value) else value


def to_struct(d: dict | None) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    if d:
        s.update(d)
    return s


def from_struct(s: struct_pb2.Struct) -> dict:
    return MessageToDict(s, preserving_proto_field_name=True) if s is not None else {}


class Engine(engine_pb2_grpc.EngineServicer):
    """A stand-in for the engine's Engine service: records every Log call."""

    def __init__(self) -> None:
        self.logs: list[Any] = []
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        engine_pb2_grpc.add_EngineServicer_to_server(self, self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def Log(self, request, context):  # noqa: N802 (the generated servicer's name)
        self.logs.append(request)
        return empty_pb2.Empty()

    def messages(self) -> list[str]:
        return [l.message for l in self.logs]

    def stop(self) -> None:
        self.server.stop(0)


class Provider:
    """One running provider process and a ResourceProviderStub connected to it."""

    def __init__(self, args: list[str] | None = None, env: dict[str, str] | None = None,
                 clear_env_keys: bool = True, package: str = "crunchybridge") -> None:
        full_env = dict(os.environ)
        if clear_env_keys:
            for k in ("CRUNCHYBRIDGE_API_KEY", "CB_API_KEY", "CRUNCHYBRIDGE_API_URL", "KUBECONFIG",
                      "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_API_URL"):
                full_env.pop(k, None)
        full_env.setdefault("RUST_LOG", "info")
        full_env.update(env or {})
        self.stderr_file = tempfile.TemporaryFile()
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [str(provider_binary(package)), *(args or [])],
            stdout=subprocess.PIPE,
            stderr=self.stderr_file,
            env=full_env,
        )
        self.port_line = self._read_port_line()
        self.port = int(self.port_line)
        self.channel = grpc.insecure_channel(
            f"127.0.0.1:{self.port}",
            options=[("grpc.max_send_message_length", MAX_MSG),
                     ("grpc.max_receive_message_length", MAX_MSG),
                     # An init-failed state travels in the trailers (grpc-status-details-bin);
                     # the engine (grpc-go) accepts 16 MiB of them, Python's default is 8 KiB.
                     ("grpc.max_metadata_size", MAX_METADATA)],
        )
        grpc.channel_ready_future(self.channel).result(timeout=10)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.stdout_rest = b""

    def _read_port_line(self) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + 15
        while not buf.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"no port line within 15 s; got {buf!r}; stderr: {self.stderr()}")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 1)
                if not chunk:
                    raise RuntimeError(f"provider exited before the port line; stderr: {self.stderr()}")
                buf += chunk
        return buf

    def stderr(self) -> str:
        self.stderr_file.seek(0)
        return self.stderr_file.read().decode("utf-8", "replace")

    # --- calls -------------------------------------------------------------------------

    def configure(self, args: dict | None = None, variables: dict | None = None):
        return self.stub.Configure(provider_pb2.ConfigureRequest(
            args=to_struct(args) if args is not None else None,
            variables=variables or {},
            acceptSecrets=True, acceptResources=True,
            sends_old_inputs=True, sends_old_inputs_to_delete=True))

    def check(self, news: dict, type_token: str = FW, olds: dict | None = None, name: str = "r"):
        return self.stub.Check(provider_pb2.CheckRequest(
            urn=urn(type_token, name), type=type_token, name=name,
            olds=to_struct(olds), news=to_struct(news)))

    def checked(self, news: dict, type_token: str = FW) -> dict:
        r = self.check(news, type_token)
        assert not r.failures, [(f.property, f.reason) for f in r.failures]
        return from_struct(r.inputs)

    def diff(self, olds: dict, news: dict, old_inputs: dict | None = None, type_token: str = FW,
             ignore_changes: list[str] | None = None, id: str = "id"):
        return self.stub.Diff(provider_pb2.DiffRequest(
            id=id, urn=urn(type_token), type=type_token, olds=to_struct(olds), news=to_struct(news),
            old_inputs=to_struct(old_inputs if old_inputs is not None else olds),
            ignoreChanges=ignore_changes or []))

    def create(self, props: dict, type_token: str = FW, preview: bool = False, timeout: float = 0,
               name: str = "r"):
        return self.stub.Create(provider_pb2.CreateRequest(
            urn=urn(type_token, name), type=type_token, name=name, properties=to_struct(props),
            preview=preview, timeout=timeout))

    def read(self, id: str, props: dict | None = None, inputs: dict | None = None,
             type_token: str = FW, name: str = "r"):
        return self.stub.Read(provider_pb2.ReadRequest(
            id=id, urn=urn(type_token, name), type=type_token, name=name,
            properties=to_struct(props), inputs=to_struct(inputs)))

    def update(self, id: str, olds: dict, news: dict, old_inputs: dict | None = None,
               type_token: str = FW, preview: bool = False, timeout: float = 0, name: str = "r"):
        return self.stub.Update(provider_pb2.UpdateRequest(
            id=id, urn=urn(type_token, name), type=type_token, name=name, olds=to_struct(olds),
            news=to_struct(news), old_inputs=to_struct(old_inputs if old_inputs is not None else news),
            preview=preview, timeout=timeout))

    def delete(self, id: str, props: dict, type_token: str = FW, timeout: float = 0,
               name: str = "r"):
        return self.stub.Delete(provider_pb2.DeleteRequest(
            id=id, urn=urn(type_token, name), type=type_token, name=name,
            properties=to_struct(props), old_inputs=to_struct(props), timeout=timeout))

    def invoke(self, token: str, args: dict, preview: bool = False):
        return self.stub.Invoke(provider_pb2.InvokeRequest(tok=token, args=to_struct(args),
                                                           preview=preview))

    def schema(self) -> dict:
        return json.loads(self.stub.GetSchema(provider_pb2.GetSchemaRequest(version=1)).schema)

    def plugin_info(self) -> str:
        return self.stub.GetPluginInfo(empty_pb2.Empty()).version

    def attach(self, address: str) -> None:
        self.stub.Attach(plugin_pb2.PluginAttach(address=address))

    # --- shutdown ----------------------------------------------------------------------

    def stop(self, cancel: bool = True, sig: int = signal.SIGINT, timeout: float = 5.0) -> int:
        """Shuts down as the engine does: Cancel, then a signal, then a kill after 5 s."""
        if self.proc.poll() is None:
            if cancel:
                try:
                    self.stub.Cancel(empty_pb2.Empty(), timeout=2)
                except grpc.RpcError:
                    pass
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.channel.close()
                raise AssertionError(f"the provider did not stop within {timeout} s of {sig!r}")
        self.channel.close()
        assert self.proc.stdout is not None
        self.stdout_rest = self.proc.stdout.read() or b""
        return self.proc.returncode


# --- the emulator ---------------------------------------------------------------------------

import urllib.error
import urllib.request


def emulator_binary() -> Path:
    explicit = os.environ.get("OCEANID_EMULATOR_BIN")
    path = Path(explicit) if explicit else REPO / "target" / "debug" / "oceanid-emulator"
    if not path.exists():
        raise RuntimeError(f"{path} does not exist: build it with `cargo build -p oceanid-emulator`")
    return path


class Emulator:
    """A running oceanid-emulator process, and its REST and admin routes."""

    def __init__(self, api_key: str, postgres: str = "none", provision_delay_ms: int = 50,
                 kubeconfig_out: Path | None = None) -> None:
        self.api_key = api_key
        self.kubeconfig = kubeconfig_out
        self.stderr_file = tempfile.TemporaryFile()
        extra = ["--kubeconfig-out", str(kubeconfig_out)] if kubeconfig_out else []
        self.proc = subprocess.Popen(
            [str(emulator_binary()), "--listen", "127.0.0.1:0", "--api-key", api_key,
             "--postgres", postgres, "--provision-delay-ms", str(provision_delay_ms), *extra],
            stdout=subprocess.PIPE, stderr=self.stderr_file)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("http://"):
            self.stderr_file.seek(0)
            raise RuntimeError(f"emulator did not start: {line!r} {self.stderr_file.read()!r}")
        self.url = line
        self.seed = self.state()["seed"]

    def _call(self, method: str, path: str, body: Any = None, auth: bool = True) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if auth:
            req.add_header("Authorization", f"Bearer {self.api_key}")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
                return r.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw) if raw else None
            except ValueError:
                return e.code, raw.decode("utf-8", "replace")

    def api(self, method: str, path: str, body: Any = None) -> Any:
        status, out = self._call(method, path, body)
        assert status < 300, (method, path, status, out)
        return out

    def state(self) -> dict:
        return self._call("GET", "/__emulator/state", auth=False)[1]

    def reset(self) -> None:
        assert self._call("POST", "/__emulator/reset", {}, auth=False)[0] < 300

    def fault(self, **spec: Any) -> None:
        status, out = self._call("POST", "/__emulator/faults", spec, auth=False)
        assert status < 300, out

    def clear_faults(self) -> None:
        assert self._call("DELETE", "/__emulator/faults", auth=False)[0] < 300

    def rules(self, network_id: str | None = None) -> list[dict]:
        net = network_id or self.seed["network_id"]
        return [r for r in self.state()["firewall_rules"] if r["network_id"] == net]

    def drop_allow_all(self, network_id: str | None = None) -> None:
        net = network_id or self.seed["network_id"]
        for r in self.rules(net):
            if r["rule"] in ("0.0.0.0/0", "::/0"):
                self.api("DELETE", f"/networks/{net}/firewall-rules/{r['id']}")

    # --- its Kubernetes API: objects as the test routes see them ---------------------------

    def kube_object(self, kind: str, namespace: str | None, name: str) -> dict:
        for o in self.state()["kubernetes"]["objects"]:
            meta = o["metadata"]
            if o["kind"] == kind and meta["name"] == name and meta.get("namespace") == namespace:
                return o
        raise KeyError(f"no {kind} {namespace}/{name} in the emulator's cluster")

    def kube_put(self, obj: dict) -> None:
        """Creates or replaces an object exactly as given, status and all."""
        status, out = self._call("POST", "/__emulator/kubernetes/objects", obj, auth=False)
        assert status < 300, out

    def stderr(self) -> str:
        self.stderr_file.seek(0)
        return self.stderr_file.read().decode("utf-8", "replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
