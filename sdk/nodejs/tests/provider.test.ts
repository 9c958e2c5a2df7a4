// Hand-written (not generated): the Provider class and the config module under mocks.
import { before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, isSecretValue, Recorder, reveal, valueOf } from "./mocks";
import * as cb from "../index";

const API_KEY = "cbkey_0ceanid_TEST_only";

let rec: Recorder;
before(async () => {
    delete process.env.CRUNCHYBRIDGE_API_KEY;
    delete process.env.CB_API_KEY;
    delete process.env.CRUNCHYBRIDGE_API_URL;
    rec = await installMocks();
});

describe("Provider", () => {
    test("registers pulumi:providers:crunchybridge with apiKey sent as a secret and kept secret", async () => {
        const provider = new cb.Provider("explicit", { apiKey: API_KEY, apiUrl: "http://127.0.0.1:8080" });
        assert.equal(await pulumi.isSecret(provider.apiKey), true);
        const reg = rec.registration("explicit");
        assert.equal(reg.type, "pulumi:providers:crunchybridge");
        assert.ok(isSecretValue(reg.inputs.apiKey), "apiKey must reach the engine as a secret");
        assert.equal(reveal(reg.inputs.apiKey), API_KEY);
        assert.equal(reg.inputs.apiUrl, "http://127.0.0.1:8080");
        assert.deepEqual(reg.additionalSecretOutputs, ["apiKey"]);
        assert.equal(await pulumi.isSecret(provider.apiUrl), false);
        assert.ok(cb.Provider.isInstance(provider));
        assert.ok(!cb.FirewallRule.isInstance(provider));

        const rule = new cb.FirewallRule("via-explicit", { networkId: "net-1", rule: "192.0.2.1/32" }, { provider });
        await valueOf(rule.urn);
        assert.match(rec.registration("via-explicit").provider, /::pulumi:providers:crunchybridge::explicit::explicit-id$/);
    });

    test("apiUrl falls back to CRUNCHYBRIDGE_API_URL; a key from the environment is left to the plugin", async () => {
        process.env.CRUNCHYBRIDGE_API_URL = "http://emulator.test:1234";
        process.env.CRUNCHYBRIDGE_API_KEY = API_KEY;
        try {
            const provider = new cb.Provider("from-env");
            await valueOf(provider.urn);
            const reg = rec.registration("from-env");
            assert.equal(reg.inputs.apiUrl, "http://emulator.test:1234");
            assert.ok(!("apiKey" in reg.inputs), "the key from the environment must not be sent");
        } finally {
            delete process.env.CRUNCHYBRIDGE_API_URL;
            delete process.env.CRUNCHYBRIDGE_API_KEY;
        }
    });
});

describe("config", () => {
    test("apiKey falls back to CRUNCHYBRIDGE_API_KEY, then CB_API_KEY, as a secret", async () => {
        assert.equal(cb.config.apiKey, undefined);
        process.env.CB_API_KEY = "cbkey_second";
        try {
            assert.equal(await valueOf(cb.config.apiKey!), "cbkey_second");
            process.env.CRUNCHYBRIDGE_API_KEY = "cbkey_first";
            const key = cb.config.apiKey!;
            assert.equal(await valueOf(key), "cbkey_first");
            assert.equal(await pulumi.isSecret(key), true);
        } finally {
            delete process.env.CB_API_KEY;
            delete process.env.CRUNCHYBRIDGE_API_KEY;
        }
    });

    test("stack configuration wins over the environment; apiKey is read as a secret", async () => {
        process.env.CRUNCHYBRIDGE_API_URL = "http://from-env.test";
        try {
            assert.equal(cb.config.apiUrl, "http://from-env.test");
            pulumi.runtime.setAllConfig(
                { "crunchybridge:apiUrl": "https://api.example.test", "crunchybridge:apiKey": API_KEY },
                ["crunchybridge:apiKey"],
            );
            assert.equal(cb.config.apiUrl, "https://api.example.test");
            const key = cb.config.apiKey!;
            assert.equal(await pulumi.isSecret(key), true);
            assert.equal(await valueOf(key), API_KEY);
        } finally {
            delete process.env.CRUNCHYBRIDGE_API_URL;
        }
    });
});
