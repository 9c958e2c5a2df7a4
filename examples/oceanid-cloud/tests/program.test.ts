// The program under `pulumi.runtime.setMocks`: what it registers, what it invokes, what it
// exports (and which exports are secret).
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const reveal = (v: any): any => (v && typeof v === "object" && v[SIG_KEY] === SECRET_SIG ? v.value : v);

const ADDRESSES = ["203.0.113.10", "203.0.113.11", "2001:db8::7"];
const CONNECTION_URI = "postgres://application:pw-0ceanid-TEST@p.c1.db.postgresbridge.com:5432/labelfish?sslmode=require";

interface Seen {
    type: string;
    name: string;
    inputs: Record<string, any>;
}
const resources: Seen[] = [];
const invokes: { token: string; inputs: Record<string, any> }[] = [];

function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => {
        resolve(v);
        return v;
    }));
}

let program: typeof import("../index");

before(async () => {
    pulumi.runtime.setAllConfig({
        "oceanid-cloud:clusterId": "c1",
        "oceanid-cloud:nodeEgressAddresses": JSON.stringify(ADDRESSES),
        "oceanid-cloud:expectTables": JSON.stringify(["public.labels"]),
    });
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                resources.push({ type: args.type, name: args.name, inputs: args.inputs });
                const outputs: Record<string, any> =
                    args.type === "crunchybridge:index:Database"
                        ? { connectionUri: CONNECTION_URI, host: "p.c1.db.postgresbridge.com", port: 5432 }
                        : args.type === "crunchybridge:index:FirewallRule"
                          ? { ruleId: `rule-${args.inputs.rule}`, kind: "ingress" }
                          : args.type === "crunchybridge:index:Role"
                            ? { password: "pw-0ceanid-TEST", roleName: "application" }
                            : {};
                return { id: `${args.name}-id`, state: { ...args.inputs, ...outputs } };
            },
            call(args) {
                invokes.push({ token: args.token, inputs: args.inputs });
                switch (args.token) {
                    case "crunchybridge:index:getCluster":
                        return { id: args.inputs.id, name: "labelfish-prod", networkId: "net-1", teamId: "team-1" };
                    case "crunchybridge:index:verifyDatabase":
                        return {
                            ok: true,
                            target: "application@p.c1.db.postgresbridge.com:5432/labelfish",
                            tls: true,
                            failures: "",
                            tablesFound: ["public.labels"],
                            tablesMissing: [],
                            checks: [
                                { name: "connect", ok: true, detail: "connected" },
                                { name: "write", ok: true, detail: "a row read back" },
                            ],
                        };
                    default:
                        throw new Error(`unexpected invoke ${args.token}`);
                }
            },
        },
        "oceanid-cloud",
        "dev",
        false,
    );
    program = await import("../index");
    // Let every registration and invoke settle.
    await valueOf(program.databaseVerification);
    await valueOf(program.firewallRuleIds);
});

test("one firewall rule per node egress address, on the cluster's network", () => {
    const rules = resources.filter((r) => r.type === "crunchybridge:index:FirewallRule");
    assert.deepEqual(rules.map((r) => r.inputs.rule).sort(), [...ADDRESSES].sort());
    for (const r of rules) {
        assert.equal(r.inputs.networkId, "net-1");
        assert.match(r.inputs.description, /^K3s node egress /);
    }
    assert.deepEqual(
        rules.map((r) => r.name).sort(),
        ["node-egress-2001-db8-7", "node-egress-203-0-113-10", "node-egress-203-0-113-11"],
    );
});

test("the cluster is looked up by the configured id", () => {
    const lookups = invokes.filter((i) => i.token === "crunchybridge:index:getCluster");
    assert.deepEqual(lookups.map((i) => i.inputs), [{ id: "c1" }]);
});

test("the application role and the labelfish database it owns", () => {
    const roles = resources.filter((r) => r.type === "crunchybridge:index:Role");
    assert.deepEqual(roles.map((r) => r.inputs), [{ clusterId: "c1", name: "application" }]);
    const dbs = resources.filter((r) => r.type === "crunchybridge:index:Database");
    assert.equal(dbs.length, 1);
    assert.equal(dbs[0].name, "labelfish");
    assert.deepEqual(dbs[0].inputs, { clusterId: "c1", name: "labelfish", owner: "application", forceDestroy: false });
});

test("connectionUri is exported as a secret", async () => {
    assert.equal(await pulumi.isSecret(program.connectionUri), true);
    assert.equal(await valueOf(program.connectionUri), CONNECTION_URI);
});

test("verifyDatabase runs on the database's connectionUri and its report is exported", async () => {
    const calls = invokes.filter((i) => i.token === "crunchybridge:index:verifyDatabase");
    assert.equal(calls.length, 1);
    assert.equal(reveal(calls[0].inputs.connectionUri), CONNECTION_URI);
    assert.deepEqual(calls[0].inputs.expectTables, ["public.labels"]);
    assert.equal(calls[0].inputs.write, true);
    assert.equal(calls[0].inputs.failOnError, true);
    const report = await valueOf(program.databaseVerification);
    assert.equal(report.ok, true);
    assert.deepEqual(report.checks, ["ok connect: connected", "ok write: a row read back"]);
    assert.equal(await pulumi.isSecret(program.databaseVerification), false);
});

test("firewall rule ids are exported by address", async () => {
    const ids = await valueOf(program.firewallRuleIds);
    assert.equal(ids["203.0.113.10"], "rule-203.0.113.10");
    assert.equal(Object.keys(ids).length, ADDRESSES.length);
});
