// The operators' Crunchy Bridge setup: every K3s node can reach the database, the labelfish
// database belongs to the `application` role, and a deploy is green only when the database
// answers as the application will use it.
import * as pulumi from "@pulumi/pulumi";
import * as crunchybridge from "@oceanid/crunchybridge";

const config = new pulumi.Config();

// The cluster is managed elsewhere; look it up to check it exists and to find its network.
const cluster = crunchybridge.getClusterOutput({ id: config.require("clusterId") });
const networkId = cluster.apply((c) => {
    if (!c.networkId) {
        throw new Error(`cluster ${c.name} (${c.id}) reports no network: its firewall cannot be managed`);
    }
    return c.networkId;
});

// One rule per node egress address, named after the address so that adding or removing a
// node touches only its own rule.
const nodeEgressAddresses = config.requireObject<string[]>("nodeEgressAddresses");
const rules = nodeEgressAddresses.map(
    (address) =>
        new crunchybridge.FirewallRule(`node-egress-${address.replace(/[^0-9a-zA-Z]+/g, "-")}`, {
            networkId,
            rule: address,
            description: `K3s node egress ${address}`,
        }),
);

// The built-in `application` role (adopted, never created or deleted) owns the database.
const application = new crunchybridge.Role("application", {
    clusterId: cluster.id,
    name: "application",
});

const labelfish = new crunchybridge.Database("labelfish", {
    clusterId: cluster.id,
    name: "labelfish",
    owner: application.name,
});

// Success is verified behaviour, never a green deploy: connect with the URL the application
// gets, as the application, and fail the deployment when any check fails.
const verification = crunchybridge.verifyDatabaseOutput({
    connectionUri: labelfish.connectionUri,
    expectTables: config.getObject<string[]>("expectTables") ?? [],
    write: true,
    failOnError: true,
});

/** What labelfish's deployment needs (e.g. for its Kubernetes secret). Secret. */
export const connectionUri = pulumi.secret(labelfish.connectionUri);

/** Firewall rule ids by node address. */
export const firewallRuleIds = pulumi
    .all(rules.map((r) => pulumi.all([r.rule, r.ruleId])))
    .apply((pairs) => Object.fromEntries(pairs));

/**
 * The verification report. It inherits secrecy from the connection URL, but none of its
 * fields holds a password (the function guarantees it), so it is shown in the clear.
 */
export const databaseVerification = pulumi.unsecret(
    verification.apply((r) => ({
        ok: r.ok,
        target: r.target,
        tls: r.tls,
        tablesMissing: r.tablesMissing,
        checks: r.checks.map((c) => `${c.ok ? "ok" : "FAILED"} ${c.name}: ${c.detail}`),
    })),
);
