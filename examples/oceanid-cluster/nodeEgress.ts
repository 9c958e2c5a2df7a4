// Which nodes the database firewall lets in: those whose egress address is known, each with the
// rule description the operators use. A node without one is left out (the program reports it).
import * as oceanid from "@oceanid/oceanid";

/** A node whose egress address is known, and the description of its rule. */
export interface NodeEgress {
    name: string;
    address: string;
    description: string;
}

/**
 * The allowlist entries for `nodes`, in the order given. Throws when no node has a known
 * egress address: an empty list would delete every node rule, and a kubeconfig pointing at the
 * wrong cluster must stop the deployment (at preview, before anything changes) instead.
 */
export function nodeEgressEntries(nodes: oceanid.types.output.NodeReport[]): NodeEgress[] {
    const known = nodes.flatMap((n) =>
        n.egressAddress
            ? [{
                name: n.name,
                address: n.egressAddress,
                description: `${n.name} - K3s ${n.roles.includes("control-plane") ? "control-plane" : "worker"} node`,
            }]
            : [],
    );
    if (known.length === 0) {
        throw new Error(
            `none of the cluster's ${nodes.length} node(s) has a known egress address, so the database ` +
            "firewall would lose every node rule; check that oceanid:kubeconfig points at the " +
            "operators' cluster, and annotate each node with oceanid.io/egress-ip=<addr> " +
            "(`oceanid nodes` shows why each one has none)",
        );
    }
    return known;
}
