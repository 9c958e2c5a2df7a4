// Builds the SDKs an example program depends on (`file:../../sdk/<dir>`, whose `main` is the
// compiled `bin/index.js`) when the compiled output is missing or older than a source file.
// Usage, from an example's directory: `node ../ensure-sdk.js nodejs oceanid` (the directories
// under `sdk/`).
"use strict";
const { execSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const sdks = path.resolve(__dirname, "..", "sdk");
const skip = new Set(["node_modules", "bin", "tests"]);

function newestSource(dir) {
    let newest = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (skip.has(entry.name)) {
            continue;
        }
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
            newest = Math.max(newest, newestSource(full));
        } else if (entry.name.endsWith(".ts") || entry.name.endsWith(".json")) {
            newest = Math.max(newest, fs.statSync(full).mtimeMs);
        }
    }
    return newest;
}

function ensure(name) {
    const sdk = path.join(sdks, name);
    if (!fs.existsSync(path.join(sdk, "package.json"))) {
        console.error(`ensure-sdk: ${sdk} holds no SDK (no package.json); the SDKs are sdk/nodejs and sdk/oceanid`);
        process.exit(2);
    }
    const run = (command) => {
        console.log(`ensure-sdk: (cd ${path.relative(process.cwd(), sdk)} && ${command})`);
        execSync(command, { cwd: sdk, stdio: "inherit" });
    };
    if (!fs.existsSync(path.join(sdk, "node_modules", "@pulumi", "pulumi"))) {
        run("npm ci --no-audit --no-fund");
    }
    const built = path.join(sdk, "bin", "index.js");
    if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < newestSource(sdk)) {
        run("npm run build");
    } else {
        console.log(`ensure-sdk: sdk/${name} is built and up to date`);
    }
}

const names = process.argv.slice(2);
if (names.length === 0) {
    console.error("ensure-sdk: name the SDKs to build, e.g. `node ../ensure-sdk.js nodejs oceanid`");
    process.exit(2);
}
names.forEach(ensure);
