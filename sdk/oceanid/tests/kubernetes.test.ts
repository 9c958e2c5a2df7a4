// Hand-written (not generated): the `kubernetes` module's functions under mocks: the module
// path (`oceanid.kubernetes.*`), tokens, `failOnError`, plain and Output forms, the version.
import { before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { installMocks, Recorder, valueOf } from "./mocks";
import * as oceanid from "../index";

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));

const check = (name: string, ok: boolean, detail: string) => ({ name, ok, detail });

let rec: Recorder;
before(async () => {
    rec = await installMocks((args) => {
        switch (args.token) {
            case "oceanid:kubernetes:getNodes":
                return {
                    ok: false,
                    nodes: [{
                        name: "calypso", roles: ["gpu", "worker"], ready: true,
                        internalAddresses: ["192.168.2.40"], externalAddresses: [],
                        egressSource: "none", egressDetail: "annotate the node",
                    }, {
                        name: "srv712429", roles: ["control-plane"], ready: true,
                        internalAddresses: ["10.8.0.1"], externalAddresses: ["157.173.210.123"],
                        egressAddress: "157.173.210.123", egressSource: "externalIp",
                        egressDetail: "the node's ExternalIP",
                    }],
                    checks: [check("node calypso egress", false, "annotate the node")],
                };
            case "oceanid:kubernetes:getFluxHealth":
                return {
                    ok: true,
                    controllers: [{
                        name: "helm-controller", found: true, desiredReplicas: 1, availableReplicas: 1,
                        podsRunning: 1, podsTotal: 1, images: ["ghcr.io/fluxcd/helm-controller:v1.3.0"], ok: true,
                    }],
                    objects: [],
                    checks: [check("controller helm-controller", true, "1/1 available")],
                };
            case "oceanid:kubernetes:getPreflight":
                if (args.inputs.failOnError) {
                    throw new Error("the preflight failed 1 check(s) (failOnError is set)");
                }
                return {
                    ok: false,
                    findings: [{ severity: "blocking", category: "helmOwnership", detail: "moves" }],
                    crashLoops: [],
                    fixPlan: [],
                    checks: [check("helm ownership", false, "moves")],
                    notServed: [],
                };
            default:
                throw new Error(`unexpected invoke ${args.token}`);
        }
    });
});

describe("the kubernetes module", () => {
    test("its functions are reached as oceanid.kubernetes.*", () => {
        for (const fn of ["getNodes", "getNodesOutput", "getFluxHealth", "getFluxHealthOutput",
            "getPreflight", "getPreflightOutput"]) {
            assert.equal(typeof (oceanid.kubernetes as any)[fn], "function", fn);
        }
    });

    test("getNodes without arguments sends none and returns the typed report", async () => {
        const report = await oceanid.kubernetes.getNodes();
        assert.equal(report.ok, false);
        assert.deepEqual(report.nodes.map((n) => n.egressAddress ?? null), [null, "157.173.210.123"]);
        assert.equal(report.checks[0].name, "node calypso egress");
        const [call] = rec.calls("oceanid:kubernetes:getNodes");
        assert.deepEqual(call.inputs, {});
        assert.equal(call.version, pkg.version);
    });

    test("getFluxHealthOutput sends failOnError and resolves to the report", async () => {
        const report = oceanid.kubernetes.getFluxHealthOutput({ failOnError: true });
        assert.equal(await valueOf(report.ok), true);
        assert.equal((await valueOf(report.controllers))[0].availableReplicas, 1);
        const calls = rec.calls("oceanid:kubernetes:getFluxHealth");
        assert.deepEqual(calls[calls.length - 1].inputs, { failOnError: true });
    });

    test("getPreflight returns a failed report by default and rejects with failOnError", async () => {
        const report = await oceanid.kubernetes.getPreflight({});
        assert.equal(report.ok, false);
        assert.equal(report.findings[0].category, "helmOwnership");
        // The mock monitor reports only that the invoke failed, not the provider's message.
        await assert.rejects(oceanid.kubernetes.getPreflight({ failOnError: true }));
        const calls = rec.calls("oceanid:kubernetes:getPreflight");
        assert.deepEqual(calls.map((c) => c.inputs), [{}, { failOnError: true }]);
    });
});
