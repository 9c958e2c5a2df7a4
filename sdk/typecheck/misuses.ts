// Misuses of @oceanid/crunchybridge: each must fail to compile under `tsc --strict`. A line
// under `@ts-expect-error` that compiles makes tsc fail ("Unused '@ts-expect-error' directive").
import * as cb from "@oceanid/crunchybridge";

// @ts-expect-error -- a resource needs its arguments
new cb.FirewallRule("no-args");

// @ts-expect-error -- state (an output such as ruleId) is not an argument
new cb.FirewallRule("state-as-args", { ruleId: "rule" });

// @ts-expect-error -- a required input (rule) is missing
new cb.FirewallRule("missing-rule", { networkId: "net" });

// @ts-expect-error -- a required input of a Cluster (planId) is missing
new cb.Cluster("no-plan", { name: "x", teamId: "team" });

// @ts-expect-error -- an input of the wrong type
new cb.Role("wrong-type", { clusterId: "c", name: 42 });

// @ts-expect-error -- getFirewallRules needs its networkId
cb.getFirewallRules({});

// @ts-expect-error -- invoke options are not arguments
cb.getFirewallRules({ networkId: "net", provider: undefined });

// @ts-expect-error -- a type only ever returned has no input form
export type NoInputForm = cb.types.input.VerifyDatabaseCheckArgs;

// @ts-expect-error -- outputs are read-only
cb.Cluster.prototype.name = undefined as any;
