// The program under `pulumi.runtime.setMocks`: the allowlist follows the nodes that have an
// egress address (one without is excluded and reported), the split-tunnel entries and their
// provider's protected list, and both gates invoked with failOnError.
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { nodeEgressEntries } from "../nodeEgress";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const PROTECTED = ["172.20.0.0/16", "172.21.0.0/16"];
const CALYPSO_DETAIL =
    "no oceanid.io/egress-ip annotation, no globally routable ExternalIP or InternalIP; run `kubectl annotate node calypso oceanid.io/egress-ip=<addr>`";

// The operators' three nodes, as getNodes reports them: calypso has no known egress address.
const NODES = [
    {
        name: "calypso", roles: ["gpu", "worker"], ready: true,
        internalAddresses: ["192.168.2.40"], externalAddresses: [],
        egressSource: "none", egressDetail: CALYPSO_DETAIL,
    },
    {
        name: "srv712429", roles: ["control-plane", "master", "worker"], ready: true,
        internalAddresses: ["10.8.0.1"], externalAddresses: ["157.173.210.123"],
        egressAddress: "157.173.210.123", egressSource: "externalIp", egressDetail: "the node's ExternalIP",
    },
    {
        name: "srv712695", roles: ["worker"], ready: true,
        internalAddresses: ["10.8.0.2"], externalAddresses: ["191.101.1.3"],
        egressAddress: "191.101.1.3", egressSource: "externalIp", egressDetail: "the node's ExternalIP",
    },
];

interface Seen {
    type: string;
    name: string;
    inputs: Record<string, any>;
    provider: string;
}
const resources: Seen[] = [];
const invokes: { token: string; inputs: Record<string, any>; provider: string }[] = [];

function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => {
        resolve(v);
        return v;
    }));
}

const ok = (name: string, detail: string) => ({ name, ok: true, detail });

let program: typeof import("../index");

before(async () => {
    pulumi.runtime.setAllConfig({
        "oceanid-cluster:networkId": "net-1",
        "oceanid-cluster:cloudflareAccountId": ACCOUNT,
    });
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider ?? "" });
                switch (args.type) {
                    case "crunchybridge:index:FirewallAllowlist": {
                        const rules = args.inputs.entries.map((e: any, i: number) => ({
                            ruleId: `rule-${i}`, rule: `${e.address}/32`, description: e.description,
                        }));
                        return { id: `net-1/${rules.map((r: any) => r.ruleId).join(",")}`, state: { ...args.inputs, rules, applied: 1 } };
                    }
                    case "oceanid:cloudflare:SplitTunnelEntry":
                        return { id: `${ACCOUNT}/default/include/${args.inputs.address}`, state: { ...args.inputs, accountId: ACCOUNT } };
                    default:
                        return { id: `${args.name}-id`, state: args.inputs };
                }
            },
            call(args) {
                invokes.push({ token: args.token, inputs: args.inputs, provider: args.provider ?? "" });
                switch (args.token) {
                    case "oceanid:kubernetes:getNodes":
                        return { ok: false, nodes: NODES, checks: [{ name: "node calypso egress", ok: false, detail: CALYPSO_DETAIL }] };
                    case "crunchybridge:index:checkAllowlist":
                        return {
                            ok: true,
                            failures: "",
                            missing: [],
                            checks: [
                                ...args.inputs.addresses.map((a: string) => ok(`${a}/32`, "covered by rule")),
                                ok("allow_all", "no allow-all rule"),
                            ],
                        };
                    case "oceanid:cloudflare:verifyPrivateAccess":
                        return {
                            ok: true,
                            checks: [ok("split tunnel mode", "Include"), ...args.inputs.addresses.map((a: string) => ok(`${a} tunnel route`, "healthy"))],
                        };
                    default:
                        throw new Error(`unexpected invoke ${args.token}`);
                }
            },
        },
        "oceanid-cluster",
        "dev",
        false,
    );
    program = await import("../index");
    // Let every registration and invoke settle.
    await valueOf(program.allowlistChecks);
    await valueOf(program.privateAccessChecks);
    await valueOf(program.splitTunnelEntryIds);
    await valueOf(program.nodesWithoutEgress);
});

const registered = (type: string) => resources.filter((r) => r.type === type);
const invoked = (token: string) => invokes.filter((i) => i.token === token);

test("the allowlist holds exactly the nodes with an egress address, on the configured network, adopting", () => {
    const [allowlist, ...more] = registered("crunchybridge:index:FirewallAllowlist");
    assert.equal(more.length, 0);
    assert.equal(allowlist.inputs.networkId, "net-1");
    assert.equal(allowlist.inputs.adoptExisting, true);
    assert.deepEqual(allowlist.inputs.entries, [
        { address: "157.173.210.123", description: "srv712429 - K3s control-plane node" },
        { address: "191.101.1.3", description: "srv712695 - K3s worker node" },
    ]);
    assert.equal(allowlist.provider, "");
    assert.deepEqual(invoked("oceanid:kubernetes:getNodes").map((i) => i.inputs), [{}]);
});

test("a node without an egress address is excluded and reported with its fix", async () => {
    assert.deepEqual(await valueOf(program.nodesWithoutEgress), [{ name: "calypso", detail: CALYPSO_DETAIL }]);
    const [allowlist] = registered("crunchybridge:index:FirewallAllowlist");
    assert.equal(JSON.stringify(allowlist.inputs).includes("192.168.2.40"), false);
    const rules = await valueOf(program.allowlistRules);
    assert.deepEqual(rules.map((r) => r.rule), ["157.173.210.123/32", "191.101.1.3/32"]);
});

test("checkAllowlist gates on the same addresses with failOnError", async () => {
    const calls = invoked("crunchybridge:index:checkAllowlist");
    assert.deepEqual(calls.map((c) => c.inputs), [
        { networkId: "net-1", addresses: ["157.173.210.123", "191.101.1.3"], failOnError: true },
    ]);
    assert.deepEqual(await valueOf(program.allowlistChecks), [
        "ok 157.173.210.123/32: covered by rule",
        "ok 191.101.1.3/32: covered by rule",
        "ok allow_all: no allow-all rule",
    ]);
});

test("the explicit WARP provider carries the protected networks and the account", () => {
    const providers = registered("pulumi:providers:oceanid");
    assert.deepEqual(providers.map((p) => p.name), ["warp"]);
    // Pulumi sends a list in provider config as JSON text.
    assert.deepEqual(JSON.parse(providers[0].inputs.protectedSplitTunnelAddresses), PROTECTED);
    assert.equal(providers[0].inputs.cloudflareAccountId, ACCOUNT);
});

test("the three split-tunnel entries, Include mode, adopting, through the WARP provider", async () => {
    const entries = registered("oceanid:cloudflare:SplitTunnelEntry");
    assert.deepEqual(entries.map((e) => [e.name, e.inputs]), [
        ["pods", { address: "10.42.0.0/16", description: "K3s pods", mode: "include", adoptExisting: true }],
        ["services", { address: "10.43.0.0/16", description: "K3s services", mode: "include", adoptExisting: true }],
        ["gpu-node", { address: "192.168.2.0/24", description: "GPU node calypso", mode: "include", adoptExisting: true }],
    ]);
    for (const e of entries) {
        assert.match(e.provider, /::pulumi:providers:oceanid::warp::warp-id$/);
        for (const p of PROTECTED) {
            assert.notEqual(e.inputs.address, p);
        }
    }
    const ids = await valueOf(program.splitTunnelEntryIds);
    assert.equal(ids["192.168.2.0/24"], `${ACCOUNT}/default/include/192.168.2.0/24`);
    assert.equal(Object.keys(ids).length, 3);
});

test("verifyPrivateAccess gates on the three addresses with failOnError, through the WARP provider", async () => {
    const calls = invoked("oceanid:cloudflare:verifyPrivateAccess");
    assert.deepEqual(calls.map((c) => c.inputs), [
        { addresses: ["10.42.0.0/16", "10.43.0.0/16", "192.168.2.0/24"], failOnError: true },
    ]);
    assert.match(calls[0].provider, /::pulumi:providers:oceanid::warp::warp-id$/);
    const lines = await valueOf(program.privateAccessChecks);
    assert.equal(lines[0], "ok split tunnel mode: Include");
    assert.equal(lines.length, 4);
});

test("with no node egress address known the program stops rather than empty the allowlist", () => {
    assert.throws(
        () => nodeEgressEntries([NODES[0]]),
        /none of the cluster's 1 node\(s\) has a known egress address, so the database firewall would lose every node rule; check that oceanid:kubeconfig points at/,
    );
    assert.deepEqual(nodeEgressEntries(NODES).map((n) => n.name), ["srv712429", "srv712695"]);
});
