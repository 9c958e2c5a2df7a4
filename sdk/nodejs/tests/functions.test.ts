// Hand-written (not generated): functions under mocks: tokens, arguments, results.
import { before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, Recorder, reveal, valueOf } from "./mocks";
import * as cb from "../index";

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));

let rec: Recorder;
before(async () => {
    rec = await installMocks({
        results: (args) => {
            switch (args.token) {
                case "crunchybridge:index:getAccount":
                    return { id: "acct-1", email: "ops@example.com", defaultTeamId: "team-1" };
                case "crunchybridge:index:getCluster":
                    return { id: "c1", name: args.inputs.name ?? "main", networkId: "net-1", teamId: "team-1" };
                case "crunchybridge:index:getNetwork":
                    return { id: "net-1", name: "default", cidr4: "10.0.0.0/24" };
                case "crunchybridge:index:getFirewallRules":
                    return {
                        networkId: args.inputs.networkId,
                        allowAll: false,
                        rules: [{ ruleId: "r1", rule: "203.0.113.7/32", kind: "ingress" }],
                    };
                case "crunchybridge:index:verifyDatabase":
                    return {
                        ok: true,
                        checks: [{ name: "connect", ok: true, detail: "connected" }],
                        failures: "",
                        tablesFound: args.inputs.expectTables ?? [],
                        tablesMissing: [],
                        target: "p.c1.db.postgresbridge.com:5432/labelfish",
                        tls: true,
                    };
                default:
                    throw new Error(`unexpected invoke ${args.token}`);
            }
        },
    });
});

describe("functions", () => {
    test("getAccount takes no arguments", async () => {
        const account = await cb.getAccount();
        assert.equal(account.email, "ops@example.com");
        const [call] = rec.calls("crunchybridge:index:getAccount");
        assert.ok(call, "invoked");
        assert.deepEqual(call.inputs, {});
    });

    test("getCluster sends only the arguments given", async () => {
        const cluster = await cb.getCluster({ id: "c1" });
        assert.equal(cluster.networkId, "net-1");
        assert.deepEqual(rec.calls("crunchybridge:index:getCluster").map((c) => c.inputs), [{ id: "c1" }]);
    });

    test("getClusterOutput accepts outputs and returns an output", async () => {
        const cluster = cb.getClusterOutput({ name: pulumi.output("prod") });
        assert.equal(await valueOf(cluster.name), "prod");
        const calls = rec.calls("crunchybridge:index:getCluster");
        assert.deepEqual(calls[calls.length - 1].inputs, { name: "prod" });
    });

    test("getNetwork and getFirewallRules", async () => {
        const network = await cb.getNetwork({ id: "net-1" });
        assert.equal(network.cidr4, "10.0.0.0/24");
        const rules = cb.getFirewallRulesOutput({ networkId: network.id });
        const list = await valueOf(rules.rules);
        assert.equal(list[0].rule, "203.0.113.7/32");
        assert.deepEqual(rec.calls("crunchybridge:index:getFirewallRules").map((c) => c.inputs), [{ networkId: "net-1" }]);
    });

    test("verifyDatabaseOutput sends the connection URI, expected tables and write; a secret URI makes a secret result", async () => {
        const uri = pulumi.secret("postgres://application:pw@p.c1.db.postgresbridge.com:5432/labelfish?sslmode=require");
        const result = cb.verifyDatabaseOutput({ connectionUri: uri, expectTables: ["labels"], write: true });
        assert.equal(await valueOf(result.ok), true);
        assert.equal(await pulumi.isSecret(result.ok), true);
        assert.deepEqual(await valueOf(result.tablesFound), ["labels"]);
        const [call] = rec.calls("crunchybridge:index:verifyDatabase");
        assert.equal(reveal(call.inputs.connectionUri), "postgres://application:pw@p.c1.db.postgresbridge.com:5432/labelfish?sslmode=require");
        assert.deepEqual(call.inputs.expectTables, ["labels"]);
        assert.equal(call.inputs.write, true);
    });

    test("verifyDatabase (promise form) returns the checklist", async () => {
        const result = await cb.verifyDatabase({ connectionUri: "postgres://x", expectTables: [] });
        assert.equal(result.checks[0].name, "connect");
        assert.equal(result.ok, true);
    });

    test("every invoke carries the package version and plugin download URL", () => {
        assert.ok(rec.invocations.length >= 6);
        for (const call of rec.invocations) {
            assert.equal(call.version, pkg.version, call.token);
            assert.equal(call.pluginDownloadURL, pkg.pulumi.server, call.token);
        }
    });
});
