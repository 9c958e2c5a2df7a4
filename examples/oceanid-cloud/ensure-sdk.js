// Builds the SDK this program depends on (`file:../../sdk/nodejs`, whose `main` is the
// compiled `bin/index.js`) when the compiled output is missing or older than a source file.
"use strict";
const { execSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const sdk = path.resolve(__dirname, "..", "..", "sdk", "nodejs");
const built = path.join(sdk, "bin", "index.js");
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

function run(command) {
    console.log(`ensure-sdk: (cd ${path.relative(process.cwd(), sdk)} && ${command})`);
    execSync(command, { cwd: sdk, stdio: "inherit" });
}

if (!fs.existsSync(path.join(sdk, "node_modules", "@pulumi", "pulumi"))) {
    run("npm ci --no-audit --no-fund");
}
if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < newestSource(sdk)) {
    run("npm run build");
} else {
    console.log("ensure-sdk: the SDK is built and up to date");
}
