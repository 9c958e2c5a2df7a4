// Correct uses of @oceanid/crunchybridge: each line must compile under `tsc --strict`.
import * as pulumi from "@pulumi/pulumi";
import * as cb from "@oceanid/crunchybridge";

const provider = new cb.Provider("bridge", { apiKey: pulumi.secret("cbkey_example") });

// A function whose schema declares (empty) inputs takes `{}` and invoke options.
export const account = cb.getAccount({}, { provider });
export const accountNoArgs = cb.getAccount();
export const accountOutput = cb.getAccountOutput({}, { provider });

const cluster = new cb.Cluster(
    "main",
    { name: "main", teamId: "team", planId: "hobby-2", firewallMode: "deny_all" },
    { provider },
);

// An optional output (`Output<string | undefined>`) into an optional input.
export const replica = new cb.Cluster("replica", {
    name: "replica",
    teamId: cluster.teamId,
    planId: cluster.planId,
    networkId: cluster.networkId,
    providerId: cluster.providerId,
    regionId: cluster.regionId,
    environment: cluster.environment,
});

// A plain `undefined` is an acceptable optional input too.
const rule = new cb.FirewallRule("node-0", {
    networkId: cluster.networkId.apply((id) => id ?? "unknown"),
    rule: "203.0.113.7",
    description: undefined,
    kind: "ingress",
});
export const ruleId: pulumi.Output<string> = rule.ruleId;

// Lookups take the id and, optionally, state (the State interface is for `get`).
export const imported = cb.FirewallRule.get("imported", "net/rule", { ruleId: "rule" });

const role = new cb.Role("application", { clusterId: cluster.id, name: "application" });
const db = new cb.Database("labelfish", {
    clusterId: cluster.id,
    name: "labelfish",
    owner: role.roleName,
    extensions: ["pgcrypto"],
});

// `*OutputArgs` accept outputs, optional ones included.
export const verified = cb.verifyDatabaseOutput({
    connectionUri: db.connectionUri,
    caCertificate: db.caCertificate,
    failOnError: true,
});
export const found = cb.getClusterOutput({ id: cluster.id });
export const rules = cb.getFirewallRulesOutput({ networkId: cluster.networkId.apply((id) => id!) });

// Output-only types are read from results.
export const firstCheck: pulumi.Output<cb.types.output.VerifyDatabaseCheck | undefined> =
    verified.apply((v) => v.checks[0]);

// Secret config stays an Output (documented in the SDK's README).
export const apiKey: pulumi.Output<string> | undefined = cb.config.apiKey;
