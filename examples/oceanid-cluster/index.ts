// The operators' cluster side: every K3s node that has a known egress address is let through
// the Crunchy Bridge firewall (and a node without one is reported, never guessed), the WARP
// split tunnel carries the cluster's networks next to another team's entries, which nothing
// here may touch, and a deploy is green only when both are verified.
import * as pulumi from "@pulumi/pulumi";
import * as crunchybridge from "@oceanid/crunchybridge";
import * as oceanid from "@oceanid/oceanid";
import { nodeEgressEntries } from "./nodeEgress";

const config = new pulumi.Config();

// --- Kubernetes → database firewall -------------------------------------------------------

// The Bridge network of the database cluster (`cb network list`), managed elsewhere.
const networkId = config.require("networkId");

// The nodes as the cluster reports them (the default `oceanid` provider: `oceanid:kubeconfig`
// or KUBECONFIG). No failOnError here: a node without a known egress address must not stop the
// other nodes' rules; it is reported below instead.
const nodes = oceanid.kubernetes.getNodesOutput().nodes;

const nodeEgress = nodes.apply(nodeEgressEntries);

// The network's ingress rules for the nodes, kept equal to the nodes with an egress address.
// Only rules it owns change; `adoptExisting` takes over the rules the operators added by hand
// with `cb network add-firewall-rule` for exactly these addresses.
const allowlist = new crunchybridge.FirewallAllowlist("node-egress", {
    networkId,
    entries: nodeEgress.apply((ns) => ns.map((n) => ({ address: n.address, description: n.description }))),
    adoptExisting: true,
});

// The gate: every node's egress address is let in by a rule, after the allowlist is applied.
const allowlistCheck = crunchybridge.checkAllowlistOutput(
    { networkId, addresses: nodeEgress.apply((ns) => ns.map((n) => n.address)), failOnError: true },
    { dependsOn: [allowlist] },
);

// --- Cloudflare WARP split tunnel --------------------------------------------------------

/** Another team's networks in the same split tunnel ("Manowar network (do not modify)"). */
const PROTECTED_NETWORKS = ["172.20.0.0/16", "172.21.0.0/16"];

/** The cluster's networks WARP clients must reach, as the operators describe them. */
const SPLIT_TUNNEL = [
    { name: "pods", address: "10.42.0.0/16", description: "K3s pods" },
    { name: "services", address: "10.43.0.0/16", description: "K3s services" },
    { name: "gpu-node", address: "192.168.2.0/24", description: "GPU node calypso" },
];

// An explicit provider, so the protected list is part of this program: no entry declared with
// it may create, change or delete anything overlapping those networks.
const warp = new oceanid.Provider("warp", {
    cloudflareAccountId: config.get("cloudflareAccountId"),
    cloudflareApiToken: config.getSecret("cloudflareApiToken"),
    cloudflareApiUrl: config.get("cloudflareApiUrl"),
    protectedSplitTunnelAddresses: PROTECTED_NETWORKS,
});

// One entry each in the default profile's Include list; every other entry stays as it is.
// The entries exist today (added by hand), so they are taken over rather than refused.
const entries = SPLIT_TUNNEL.map(
    (e) =>
        new oceanid.cloudflare.SplitTunnelEntry(
            e.name,
            { address: e.address, description: e.description, mode: "include", adoptExisting: true },
            { provider: warp },
        ),
);

// The gate: Include mode, each address covered and routed through a healthy tunnel, the
// protected networks listed once.
const privateAccess = oceanid.cloudflare.verifyPrivateAccessOutput(
    { addresses: SPLIT_TUNNEL.map((e) => e.address), failOnError: true },
    { provider: warp, dependsOn: entries },
);

// --- What the stack reports --------------------------------------------------------------

/** Nodes with no known egress address: not in the allowlist, each with how to fix it. */
export const nodesWithoutEgress = nodes.apply((ns) =>
    ns.filter((n) => !n.egressAddress).map((n) => ({ name: n.name, detail: n.egressDetail })),
);

/** The firewall rules the allowlist owns. */
export const allowlistRules = allowlist.rules;

/** The allowlist check, one line per check. */
export const allowlistChecks = allowlistCheck.checks.apply((cs) =>
    cs.map((c) => `${c.ok ? "ok" : "FAILED"} ${c.name}: ${c.detail}`),
);

/** Split-tunnel entry ids by address. */
export const splitTunnelEntryIds = pulumi
    .all(entries.map((e) => pulumi.all([e.address, e.id])))
    .apply((pairs) => Object.fromEntries(pairs));

/** The WARP check, one line per check. */
export const privateAccessChecks = privateAccess.checks.apply((cs) =>
    cs.map((c) => `${c.ok ? "ok" : "FAILED"} ${c.name}: ${c.detail}`),
);
