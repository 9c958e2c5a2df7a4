// Hand-written (not generated): the `cloudflare` module under mocks: SplitTunnelEntry's inputs
// as the provider receives them (defaults, address or host, mode), the id and outputs coming
// back, the explicit provider's config, and the functions' arguments and results.
import { before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, Recorder, valueOf } from "./mocks";
import * as oceanid from "../index";

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));

const ENTRY = "oceanid:cloudflare:SplitTunnelEntry";
const SPLIT = "oceanid:cloudflare:getSplitTunnel";
const VERIFY = "oceanid:cloudflare:verifyPrivateAccess";
const ACCOUNT = "0123456789abcdef0123456789abcdef";
const TOKEN = "cf-token-0ceanid-TEST";

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

const check = (name: string, ok: boolean, detail: string) => ({ name, ok, detail });

let rec: Recorder;
before(async () => {
    rec = await installMocks(
        (args) => {
            switch (args.token) {
                case SPLIT:
                    return {
                        policyId: args.inputs.policyId,
                        mode: "include",
                        entries: [
                            { address: "172.20.0.0/16", description: "Manowar network (do not modify)", protected: true },
                            { address: "10.42.0.0/16", description: "pods", protected: false },
                            { host: "wiki.corp.example.com", description: "wiki", protected: false },
                        ],
                    };
                case VERIFY:
                    if (args.inputs.failOnError) {
                        throw new Error("verifyPrivateAccess failed 1 check(s) (failOnError is set)");
                    }
                    return {
                        ok: false,
                        checks: [
                            check("split tunnel mode", true, "the profile is in Include mode"),
                            check("10.99.0.0/16 in split tunnel", false, "no include entry covers 10.99.0.0/16"),
                        ],
                    };
                default:
                    throw new Error(`unexpected invoke ${args.token}`);
            }
        },
        (args) => {
            if (args.type !== ENTRY) {
                return { id: `${args.name}-id`, state: args.inputs };
            }
            // As the provider answers: the address normalised, the id built from the key.
            const address = args.inputs.address === "192.168.2.10" ? "192.168.2.10/32" : args.inputs.address;
            const key = address ?? args.inputs.host;
            const id = `${ACCOUNT}/${args.inputs.policyId ?? "default"}/${args.inputs.mode}/${key}`;
            return { id, state: { ...args.inputs, accountId: ACCOUNT, ...(address ? { address } : {}) } };
        },
    );
});

describe("SplitTunnelEntry", () => {
    test("is reached as oceanid.cloudflare.SplitTunnelEntry with its type token", () => {
        assert.equal(typeof oceanid.cloudflare.SplitTunnelEntry, "function");
        const e = new oceanid.cloudflare.SplitTunnelEntry("type-probe", { address: "10.60.0.0/16" });
        assert.equal(oceanid.cloudflare.SplitTunnelEntry.isInstance(e), true);
        assert.equal((oceanid.cloudflare.SplitTunnelEntry as any).__pulumiType, ENTRY);
    });

    test("an address entry sends its inputs with mode include by default and gets its id back", async () => {
        const gpu = new oceanid.cloudflare.SplitTunnelEntry("gpu-node", {
            address: "192.168.2.10",
            description: "GPU node",
        });
        assert.equal(await valueOf(gpu.id), `${ACCOUNT}/default/include/192.168.2.10/32`);
        assert.equal(await valueOf(gpu.address), "192.168.2.10/32");
        assert.equal(await valueOf(gpu.mode), "include");
        assert.equal(await valueOf(gpu.accountId), ACCOUNT);
        assert.equal(await valueOf(gpu.description), "GPU node");
        const [reg] = rec.registered(ENTRY).filter((r) => r.name === "gpu-node");
        assert.deepEqual(reg.inputs, { address: "192.168.2.10", description: "GPU node", mode: "include" });
        assert.equal(reg.version, pkg.version);
        assert.equal(reg.provider, "");
    });

    test("a host entry in exclude mode of a custom profile sends host, mode and policyId, no address", async () => {
        const wiki = new oceanid.cloudflare.SplitTunnelEntry("wiki", {
            host: "wiki.corp.example.com",
            mode: "exclude",
            policyId: "policy-7",
            description: "wiki",
            adoptExisting: true,
        });
        assert.equal(await valueOf(wiki.id), `${ACCOUNT}/policy-7/exclude/wiki.corp.example.com`);
        assert.equal(await valueOf(wiki.host), "wiki.corp.example.com");
        assert.equal(await valueOf(wiki.address), undefined);
        const [reg] = rec.registered(ENTRY).filter((r) => r.name === "wiki");
        assert.deepEqual(reg.inputs, {
            host: "wiki.corp.example.com",
            mode: "exclude",
            policyId: "policy-7",
            description: "wiki",
            adoptExisting: true,
        });
    });

    test("an entry without a description sends the empty description the provider expects", async () => {
        const bare = new oceanid.cloudflare.SplitTunnelEntry("bare", { address: "10.61.0.0/16" });
        await valueOf(bare.id);
        const [reg] = rec.registered(ENTRY).filter((r) => r.name === "bare");
        assert.deepEqual(reg.inputs, { address: "10.61.0.0/16", description: "", mode: "include" });
    });

    test("an entry under an explicit provider carries its reference; the provider carries its config", async () => {
        const warp = new oceanid.Provider("warp", {
            cloudflareAccountId: ACCOUNT,
            cloudflareApiToken: TOKEN,
            protectedSplitTunnelAddresses: ["172.20.0.0/16", "172.21.0.0/16"],
        });
        const pods = new oceanid.cloudflare.SplitTunnelEntry(
            "pods",
            { address: "10.42.0.0/16", description: "pods" },
            { provider: warp },
        );
        await valueOf(pods.id);
        const [provider] = rec.registered("pulumi:providers:oceanid").filter((r) => r.name === "warp");
        // A list in provider config travels as JSON text, as Pulumi sends non-string config.
        assert.deepEqual(JSON.parse(provider.inputs.protectedSplitTunnelAddresses), ["172.20.0.0/16", "172.21.0.0/16"]);
        assert.equal(provider.inputs.cloudflareAccountId, ACCOUNT);
        // The token reaches the engine marked secret, so it is encrypted in state.
        assert.deepEqual(provider.inputs.cloudflareApiToken, { [SIG_KEY]: SECRET_SIG, value: TOKEN });
        assert.equal(await pulumi.isSecret(warp.cloudflareApiToken), true);
        const [reg] = rec.registered(ENTRY).filter((r) => r.name === "pods");
        assert.match(reg.provider, /::pulumi:providers:oceanid::warp::warp-id$/);
    });
});

describe("getSplitTunnel", () => {
    test("without arguments sends none and returns the mode and the entries marked protected", async () => {
        const view = await oceanid.cloudflare.getSplitTunnel();
        assert.equal(view.mode, "include");
        assert.deepEqual(
            view.entries.map((e) => [e.address ?? e.host, e.protected]),
            [["172.20.0.0/16", true], ["10.42.0.0/16", false], ["wiki.corp.example.com", false]],
        );
        assert.equal(view.entries[2].address, undefined);
        const [call] = rec.calls(SPLIT);
        assert.deepEqual(call.inputs, {});
        assert.equal(call.version, pkg.version);
    });

    test("the Output form sends the policy id", async () => {
        const view = oceanid.cloudflare.getSplitTunnelOutput({ policyId: pulumi.output("policy-7") });
        assert.equal(await valueOf(view.apply((v) => v.policyId)), "policy-7");
        const calls = rec.calls(SPLIT);
        assert.deepEqual(calls[calls.length - 1].inputs, { policyId: "policy-7" });
    });
});

describe("verifyPrivateAccess", () => {
    test("sends the addresses and returns the report of checks", async () => {
        const report = await oceanid.cloudflare.verifyPrivateAccess({ addresses: ["10.99.0.0/16"] });
        assert.equal(report.ok, false);
        assert.deepEqual(report.checks.map((c) => [c.name, c.ok]), [
            ["split tunnel mode", true],
            ["10.99.0.0/16 in split tunnel", false],
        ]);
        const calls = rec.calls(VERIFY);
        assert.deepEqual(calls[0].inputs, { addresses: ["10.99.0.0/16"] });
        assert.equal(calls[0].version, pkg.version);
    });

    test("with failOnError a failed check fails the invoke; both forms send every argument", async () => {
        const addresses = pulumi.output(["10.42.0.0/16", "10.43.0.0/16"]);
        // The mock monitor reports only that the invoke failed, not the provider's message.
        await assert.rejects(oceanid.cloudflare.verifyPrivateAccess({
            addresses: ["10.42.0.0/16", "10.43.0.0/16"], policyId: "policy-7", failOnError: true,
        }));
        const report = oceanid.cloudflare.verifyPrivateAccessOutput({ addresses, failOnError: false });
        assert.equal(await valueOf(report.ok), false);
        const calls = rec.calls(VERIFY);
        assert.deepEqual(calls.slice(-2).map((c) => c.inputs), [
            { addresses: ["10.42.0.0/16", "10.43.0.0/16"], policyId: "policy-7", failOnError: true },
            { addresses: ["10.42.0.0/16", "10.43.0.0/16"], failOnError: false },
        ]);
    });
});
