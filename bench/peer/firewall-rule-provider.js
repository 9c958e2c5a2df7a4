// The benchmark peer: crunchybridge FirewallRule as a Pulumi *dynamic provider*, written the way a
// team would write it by hand in a TypeScript stack (plain `fetch`, no SDK), and served by
// `@pulumi/pulumi`'s `cmd/dynamic-provider`.
//
// This whole file is the `__provider` input: the dynamic provider loads it with
// `require-from-string` and calls `exports.handler()` once per process. It must stay
// self-contained (no `require` of anything outside Node's built-ins).
//
// Configuration comes from the dynamic provider's Configure: `crunchybridge:apiKey` and
// `crunchybridge:apiUrl` (or the environment variables CRUNCHYBRIDGE_API_KEY / _URL).
//
// PEER_MODE (environment of the node process): "hand" (default) makes one API call per
// create, like most hand-written providers; "same-calls" makes the same calls the native
// provider makes (POST, then read the rule back to verify it; on a 400, list the rules to say
// which one is in the way), so the two can also be compared for the same work.
"use strict";

const net = require("net");

exports.handler = function handler() {
  let apiKey = process.env.CRUNCHYBRIDGE_API_KEY;
  let apiUrl = process.env.CRUNCHYBRIDGE_API_URL || "https://api.crunchybridge.com";
  const sameCalls = process.env.PEER_MODE === "same-calls";

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // One Bridge call; 429 and 5xx are retried after Retry-After (seconds; 1 s when absent),
  // up to 10 attempts. A 429 means nothing was applied, so even a POST is safe to send again.
  async function bridge(method, path, body) {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(apiUrl + path, {
        method,
        headers: {
          Authorization: `Bearer ${apiKey}`,
          Accept: "application/json",
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const retryable = res.status === 429 || (method !== "POST" && res.status >= 500);
      if (retryable && attempt < 10) {
        const after = res.headers.get("retry-after");
        await res.arrayBuffer();
        await sleep(after === null ? 1000 : Number(after) * 1000);
        continue;
      }
      const text = await res.text();
      const json = text ? JSON.parse(text) : null;
      if (!res.ok) {
        const err = new Error(`${method} ${path}: ${res.status} ${json && json.message ? json.message : text}`);
        err.status = res.status;
        throw err;
      }
      return json;
    }
  }

  // A bare address becomes /32 or /128; IPv4 host bits are refused.
  function normalize(rule) {
    const text = String(rule || "").trim();
    const [addr, bits] = text.split("/");
    const family = net.isIP(addr);
    if (!family) return { error: `\`${text}\` is not an IP address or CIDR` };
    const max = family === 4 ? 32 : 128;
    if (bits === undefined) return { rule: `${addr}/${max}` };
    const len = Number(bits);
    if (!/^\d+$/.test(bits) || len > max) return { error: `\`${text}\` has a bad prefix length` };
    if (family === 4) {
      const n = addr.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
      const network = n - (n % 2 ** (32 - len));
      if (network !== n) {
        const dotted = [24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join(".");
        return { error: `\`${text}\` has host bits set: did you mean \`${dotted}/${len}\`?` };
      }
    }
    return { rule: `${addr}/${len}` };
  }

  const outputs = (networkId, r) => ({
    networkId,
    rule: r.rule,
    ...(r.description ? { description: r.description } : {}),
    kind: r.kind || "ingress",
    ruleId: r.id,
    ...(r.team_id ? { teamId: r.team_id } : {}),
  });

  async function listRules(networkId) {
    const rules = [];
    let cursor = null;
    do {
      const q = cursor ? `?limit=200&cursor=${encodeURIComponent(cursor)}` : "?limit=200";
      const page = await bridge("GET", `/networks/${networkId}/firewall-rules${q}`);
      rules.push(...page.firewall_rules);
      cursor = page.has_more ? page.next_cursor : null;
    } while (cursor);
    return rules;
  }

  return {
    async configure(req) {
      apiKey = req.config.get("crunchybridge:apiKey") || apiKey;
      apiUrl = req.config.get("crunchybridge:apiUrl") || apiUrl;
      if (!apiKey) throw new Error("set crunchybridge:apiKey or CRUNCHYBRIDGE_API_KEY");
    },

    async check(olds, news) {
      const failures = [];
      const inputs = { ...news };
      if (!/^[a-z2-7]{26}$/.test(String(news.networkId || "").trim())) {
        failures.push({ property: "networkId", reason: "not a Crunchy Bridge network id" });
      } else {
        inputs.networkId = news.networkId.trim();
      }
      const n = normalize(news.rule);
      if (n.error) failures.push({ property: "rule", reason: n.error });
      else inputs.rule = n.rule;
      if (inputs.description === "") delete inputs.description;
      if (inputs.kind === undefined) inputs.kind = "ingress";
      return { inputs, failures };
    },

    async diff(id, olds, news) {
      const replaces = ["networkId", "kind"].filter((k) => olds[k] !== news[k]);
      const changed = replaces.length > 0 || olds.rule !== news.rule
        || (olds.description || "") !== (news.description || "");
      return { changes: changed, replaces, deleteBeforeReplace: replaces.length > 0 };
    },

    async create(inputs) {
      const { networkId, rule, description, kind } = inputs;
      const body = { rule, kind };
      if (description) body.description = description;
      let created;
      try {
        created = await bridge("POST", `/networks/${networkId}/firewall-rules`, body);
      } catch (e) {
        if (sameCalls && e.status === 400) {
          const existing = (await listRules(networkId)).find((r) => r.rule === rule);
          if (existing) e.message += ` (rule ${existing.id} already holds ${rule})`;
        }
        throw e;
      }
      if (sameCalls) {
        created = await bridge("GET", `/networks/${networkId}/firewall-rules/${created.id}`);
      }
      return { id: `${networkId}/${created.id}`, outs: outputs(networkId, created) };
    },

    async read(id, props) {
      const [networkId, ruleId] = id.split("/");
      try {
        const r = await bridge("GET", `/networks/${networkId}/firewall-rules/${ruleId}`);
        return { id, props: outputs(networkId, r) };
      } catch (e) {
        if (e.status === 404 || e.status === 410) return { id: "", props: {} };
        throw e;
      }
    },

    async update(id, olds, news) {
      const [networkId, ruleId] = id.split("/");
      const r = await bridge("PATCH", `/networks/${networkId}/firewall-rules/${ruleId}`, {
        rule: news.rule,
        description: news.description || null,
      });
      return { outs: outputs(networkId, r) };
    },

    async delete(id) {
      const [networkId, ruleId] = id.split("/");
      try {
        await bridge("DELETE", `/networks/${networkId}/firewall-rules/${ruleId}`);
      } catch (e) {
        if (e.status !== 404 && e.status !== 410) throw e;
      }
    },
  };
};
