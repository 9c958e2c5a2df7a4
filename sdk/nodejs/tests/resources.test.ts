// Hand-written (not generated): the resource classes under `pulumi.runtime.setMocks`.
import { before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, isSecretValue, Recorder, reveal, valueOf } from "./mocks";
import * as cb from "../index";

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));
const PASSWORD = "pw-0ceanid-TEST-only";

let rec: Recorder;
before(async () => {
    rec = await installMocks({
        outputs: (args) => {
            switch (args.type) {
                case "crunchybridge:index:FirewallRule":
                    return { ruleId: "rule-1", teamId: "team-1" };
                case "crunchybridge:index:Role":
                    return {
                        roleName: "application",
                        password: PASSWORD,
                        uri: `postgres://application:${PASSWORD}@p.c1.db.postgresbridge.com:5432/postgres`,
                    };
                case "crunchybridge:index:Database":
                    return {
                        connectionUri: `postgres://application:${PASSWORD}@p.c1.db.postgresbridge.com:5432/labelfish?sslmode=require`,
                        host: "p.c1.db.postgresbridge.com",
                        port: 5432,
                        ownerRoleName: "application",
                    };
                case "crunchybridge:index:Cluster":
                    return { state: "ready", host: "p.c9.db.postgresbridge.com", majorVersion: 17 };
                default:
                    return {};
            }
        },
    });
});

describe("FirewallRule", () => {
    test("registers its token with the inputs as given, the default kind and the package options", async () => {
        const rule = new cb.FirewallRule("node-1", {
            networkId: "net-1",
            rule: "203.0.113.7/32",
            description: "node 1 egress",
        });
        assert.equal(await valueOf(rule.ruleId), "rule-1");
        assert.match(await valueOf(rule.urn), /::crunchybridge:index:FirewallRule::node-1$/);
        const reg = rec.registration("node-1");
        assert.equal(reg.type, "crunchybridge:index:FirewallRule");
        assert.deepEqual(reg.inputs, {
            networkId: "net-1",
            rule: "203.0.113.7/32",
            description: "node 1 egress",
            kind: "ingress",
        });
        assert.deepEqual(reg.replaceOnChanges, ["kind", "networkId"]);
        assert.deepEqual(reg.additionalSecretOutputs, []);
        assert.equal(reg.version, pkg.version);
        assert.equal(reg.version, pkg.pulumi.version);
        assert.equal(reg.pluginDownloadURL, pkg.pulumi.server);
        assert.ok(cb.FirewallRule.isInstance(rule));
        assert.ok(!cb.Role.isInstance(rule));
        assert.ok(!cb.FirewallRule.isInstance(undefined));
    });

    test("an explicit kind wins over the default", async () => {
        const rule = new cb.FirewallRule("egress-1", { networkId: "net-1", rule: "10.0.0.0/8", kind: "egress" });
        assert.equal(await valueOf(rule.kind), "egress");
        assert.equal(rec.registration("egress-1").inputs.kind, "egress");
    });

    test("refuses a missing required input", () => {
        assert.throws(
            () => new cb.FirewallRule("no-rule", { networkId: "net-1" } as cb.FirewallRuleArgs),
            /Missing required property 'rule'/,
        );
        assert.throws(
            () => new cb.FirewallRule("no-args", undefined as unknown as cb.FirewallRuleArgs),
            /Missing required property 'networkId'/,
        );
    });

    test("a resource rehydrated by urn needs no inputs", async () => {
        const original = new cb.FirewallRule("node-2", { networkId: "net-1", rule: "203.0.113.8/32" });
        const urn = await valueOf(original.urn);
        const again = new cb.FirewallRule("node-2", undefined as unknown as cb.FirewallRuleArgs, { urn });
        assert.equal(await valueOf(again.rule), "203.0.113.8/32");
    });

    test("get reads by id with the state given", async () => {
        const rule = cb.FirewallRule.get("imported", "net-1/rule-9", { networkId: "net-1" });
        assert.equal(await valueOf(rule.id), "net-1/rule-9");
        const reg = rec.registration("imported");
        assert.equal(reg.type, "crunchybridge:index:FirewallRule");
        assert.equal(reg.id, "net-1/rule-9");
        assert.equal(reg.inputs.networkId, "net-1");
    });
});

describe("Role", () => {
    test("password and uri are secret outputs; the rest is not", async () => {
        const role = new cb.Role("application", { clusterId: "c1", name: "application" });
        await valueOf(role.urn);
        const reg = rec.registration("application");
        assert.equal(reg.type, "crunchybridge:index:Role");
        assert.deepEqual(reg.inputs, { clusterId: "c1", name: "application" });
        assert.deepEqual(reg.additionalSecretOutputs, ["password", "uri"]);
        assert.deepEqual(reg.replaceOnChanges, ["clusterId", "name"]);
        assert.equal(await pulumi.isSecret(role.password), true);
        assert.equal(await pulumi.isSecret(role.uri), true);
        assert.equal(await pulumi.isSecret(role.roleName), false);
        assert.equal(await valueOf(role.password), PASSWORD);
    });

    test("refuses a missing cluster id", () => {
        assert.throws(
            () => new cb.Role("r", { name: "application" } as cb.RoleArgs),
            /Missing required property 'clusterId'/,
        );
    });
});

describe("Database", () => {
    test("sends clusterId, name, owner (from the role), extensions and the forceDestroy default; connectionUri is secret", async () => {
        const role = new cb.Role("owner-role", { clusterId: "c1", name: "application" });
        const db = new cb.Database("labelfish", {
            clusterId: "c1",
            name: "labelfish",
            owner: role.name,
            extensions: ["pg_trgm"],
        });
        const uri = await valueOf(db.connectionUri);
        assert.match(uri, /\/labelfish\?sslmode=require$/);
        const reg = rec.registration("labelfish");
        assert.equal(reg.type, "crunchybridge:index:Database");
        assert.deepEqual(reg.inputs, {
            clusterId: "c1",
            name: "labelfish",
            owner: "application",
            extensions: ["pg_trgm"],
            forceDestroy: false,
        });
        assert.deepEqual(reg.additionalSecretOutputs, ["connectionUri"]);
        assert.deepEqual(reg.replaceOnChanges, ["clusterId", "name"]);
        assert.equal(await pulumi.isSecret(db.connectionUri), true);
        assert.equal(await pulumi.isSecret(db.host), false);
        assert.equal(await valueOf(db.port), 5432);
    });

    test("refuses a missing owner", () => {
        assert.throws(
            () => new cb.Database("no-owner", { clusterId: "c1", name: "x" } as cb.DatabaseArgs),
            /Missing required property 'owner'/,
        );
    });

    test("a secret input stays secret on the wire", async () => {
        const db = new cb.Database("secret-owner", { clusterId: "c1", name: "s", owner: pulumi.secret("application") });
        await valueOf(db.urn);
        const reg = rec.registration("secret-owner");
        assert.ok(isSecretValue(reg.inputs.owner), "owner sent as a secret");
        assert.equal(reveal(reg.inputs.owner), "application");
    });
});

describe("Cluster", () => {
    test("registers its token; refuses a missing plan", async () => {
        const cluster = new cb.Cluster("main", { name: "main", teamId: "team-1", planId: "hobby-2" });
        assert.equal(await valueOf(cluster.state), "ready");
        const reg = rec.registration("main");
        assert.equal(reg.type, "crunchybridge:index:Cluster");
        assert.equal(reg.inputs.planId, "hobby-2");
        assert.equal(reg.inputs.isHa, false);
        assert.equal(reg.inputs.isProtected, false);
        assert.throws(
            () => new cb.Cluster("no-plan", { name: "x", teamId: "t" } as cb.ClusterArgs),
            /Missing required property 'planId'/,
        );
    });
});
