//! The Cloudflare API under `/client/v4`: every route, the envelope and `cf-ray` on every answer,
//! token authentication, pagination, PUT semantics of split-tunnel lists, the seed, reset and
//! faults.

use std::time::{Duration, Instant};

use oceanid_emulator::{CloudflareSeed, Emulator, EmulatorConfig};
use reqwest::Method;
use serde_json::{Value, json};

/// A distinctive token, to check it never leaks.
const TOKEN: &str = "cf_emulator_test_token_Hq27Xv";

/// One Cloudflare answer, checked on arrival: JSON envelope (unless `raw`), `cf-ray`, no token.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    json: Value,
}

impl Answer {
    #[track_caller]
    fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "{}", self.json);
        assert_eq!(self.json["success"], true, "{}", self.json);
        &self.json["result"]
    }

    /// Asserts a failure with `status` whose first error has `code`; returns its message.
    #[track_caller]
    fn fails(&self, status: u16, code: u64) -> String {
        assert_eq!(self.status, status, "{}", self.json);
        assert_eq!(self.json["success"], false, "{}", self.json);
        assert_eq!(self.json["errors"][0]["code"], code, "{}", self.json);
        self.json["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

struct Cf {
    emu: Emulator,
    client: reqwest::Client,
    token: String,
    seed: CloudflareSeed,
}

impl Cf {
    async fn start(token: Option<&str>) -> Cf {
        let emu = Emulator::start(EmulatorConfig {
            cloudflare_token: token.map(str::to_owned),
            ..EmulatorConfig::default()
        })
        .await
        .expect("emulator starts");
        let seed = emu.cloudflare_seed();
        Cf {
            emu,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
            token: token.unwrap_or("any-token-at-all").to_owned(),
            seed,
        }
    }

    /// `/client/v4/accounts/{seeded account}{path}`.
    fn account(&self, path: &str) -> String {
        format!("/accounts/{}{path}", self.seed.account_id)
    }

    async fn try_call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> reqwest::Result<Answer> {
        let url = format!("{}/client/v4{path}", self.emu.base_url());
        let mut req = self.client.request(method.clone(), url);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let ray = headers
            .get("cf-ray")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{method} {path} → {status}: no cf-ray header"));
        assert_eq!(ray.len(), 20, "{ray}");
        assert!(
            !text.contains(TOKEN),
            "an answer contains the token: {text}"
        );
        let is_json = headers
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        let json = if is_json {
            let json: Value = serde_json::from_slice(&bytes).expect("a JSON answer");
            // The envelope, on success and failure alike.
            assert!(json["success"].is_boolean(), "{method} {path}: {json}");
            assert!(json["errors"].is_array(), "{method} {path}: {json}");
            assert!(json["messages"].is_array(), "{method} {path}: {json}");
            assert!(json.get("result").is_some(), "{method} {path}: {json}");
            if json["success"] == false {
                assert!(json["result"].is_null());
                let errors = json["errors"].as_array().unwrap();
                assert!(!errors.is_empty());
                for e in errors {
                    assert!(e["code"].as_u64().is_some_and(|c| c >= 971), "{e}");
                    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
                }
            } else {
                assert_eq!(json["errors"], json!([]));
            }
            json
        } else {
            Value::String(text)
        };
        Ok(Answer {
            status,
            headers,
            json,
        })
    }

    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        self.try_call(method.clone(), path, body, Some(&self.token))
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    async fn put(&self, path: &str, body: &Value) -> Answer {
        self.call(Method::PUT, path, Some(body)).await
    }

    async fn post(&self, path: &str, body: &Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: &Value) -> Answer {
        self.call(Method::PATCH, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, None).await
    }

    /// An admin route (no envelope).
    async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Value {
        let mut req = self
            .client
            .request(method, format!("{}/__emulator{path}", self.emu.base_url()));
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.unwrap()
    }
}

fn entry(address: &str, description: &str) -> Value {
    json!({"address": address, "description": description})
}

/// The seeded include list of the default profile, in order.
fn seeded_include(seed: &CloudflareSeed) -> Value {
    json!([
        entry("172.20.0.0/16", seed.foreign_description),
        entry("172.21.0.0/16", seed.foreign_description),
        entry("10.42.0.0/16", "K3s pods"),
        entry("10.43.0.0/16", "K3s services"),
        entry("192.168.2.0/24", "GPU node calypso"),
    ])
}

#[tokio::test]
async fn authentication_and_token_verify() {
    let cf = Cf::start(Some(TOKEN)).await;
    let verify_account = cf.account("/tokens/verify");
    for path in ["/user/tokens/verify", verify_account.as_str()] {
        let verified = cf.get(path).await;
        assert_eq!(verified.ok()["status"], "active");
        assert_eq!(verified.ok()["id"], cf.seed.token_id);
        let wrong = cf
            .try_call(Method::GET, path, None, Some("not-the-token"))
            .await
            .unwrap();
        assert_eq!(wrong.fails(401, 1000), "Invalid API Token");
    }
    let profile = cf.account("/devices/policy");
    let missing = cf
        .try_call(Method::GET, &profile, None, None)
        .await
        .unwrap();
    assert!(missing.fails(401, 10000).contains("Authorization: Bearer"));
    let wrong = cf
        .try_call(Method::GET, &profile, None, Some("not-the-token"))
        .await
        .unwrap();
    wrong.fails(403, 9109);
    let other_account = cf
        .get("/accounts/ffffffffffffffffffffffffffffffff/devices/policy")
        .await;
    assert!(
        other_account
            .fails(403, 9109)
            .contains("ffffffffffffffffffffffffffffffff")
    );
    cf.get("/accounts/ffffffffffffffffffffffffffffffff/tokens/verify")
        .await
        .fails(403, 9109);

    // Without --cloudflare-token any non-empty bearer token is accepted.
    let open = Cf::start(None).await;
    open.get(&open.account("/devices/policy")).await.ok();
    open.try_call(Method::GET, "/user/tokens/verify", None, Some("whatever"))
        .await
        .unwrap()
        .ok();
    open.try_call(Method::GET, "/user/tokens/verify", None, None)
        .await
        .unwrap()
        .fails(401, 10000);

    // The token never shows in the emulator's Debug output either.
    let config = EmulatorConfig {
        cloudflare_token: Some(TOKEN.to_owned()),
        ..EmulatorConfig::default()
    };
    assert!(!format!("{config:?}").contains(TOKEN));
    let empty = Emulator::start(EmulatorConfig {
        cloudflare_token: Some(String::new()),
        ..EmulatorConfig::default()
    })
    .await;
    assert!(
        empty
            .unwrap_err()
            .to_string()
            .contains("--cloudflare-token")
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_envelopes() {
    let cf = Cf::start(None).await;
    let unknown = cf.get(&cf.account("/access/apps")).await;
    assert!(unknown.fails(404, 7003).contains("/access/apps"));
    for bare in ["", "/"] {
        cf.get(bare).await.fails(404, 7003);
    }
    cf.call(Method::DELETE, &cf.account("/devices/policies"), None)
        .await
        .fails(405, 7001);
    // A body that is not JSON names the problem.
    let bad = cf
        .try_call(
            Method::PUT,
            &cf.account("/devices/policy/include"),
            None,
            Some("t"),
        )
        .await
        .unwrap();
    bad.fails(400, 9207);
}

#[tokio::test]
async fn seeded_profiles_and_lists() {
    let cf = Cf::start(None).await;
    let seed = &cf.seed;
    let default = cf.get(&cf.account("/devices/policy")).await;
    let default = default.ok();
    assert_eq!(default["default"], true);
    assert_eq!(default["include"], seeded_include(seed));
    assert!(default.get("exclude").is_none(), "{default}");
    let include = cf.get(&cf.account("/devices/policy/include")).await;
    assert_eq!(include.ok(), &seeded_include(seed));
    assert!(include.json.get("result_info").is_none());
    assert_eq!(
        cf.get(&cf.account("/devices/policy/exclude")).await.ok(),
        &json!([])
    );

    let custom_path = cf.account(&format!("/devices/policy/{}", seed.custom_policy_id));
    let custom = cf.get(&custom_path).await;
    let custom = custom.ok();
    assert_eq!(custom["policy_id"], seed.custom_policy_id);
    assert_eq!(custom["name"], seed.custom_policy_name);
    assert_eq!(custom["default"], false);
    assert!(custom.get("include").is_none());
    assert!(custom["exclude"].as_array().is_some_and(|e| !e.is_empty()));
    let exclude = cf.get(&format!("{custom_path}/exclude")).await;
    assert_eq!(exclude.ok(), &custom["exclude"]);

    let all = cf.get(&cf.account("/devices/policies")).await;
    let all = all.ok().as_array().unwrap().clone();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["default"], true);
    assert_eq!(all[1]["policy_id"], seed.custom_policy_id);

    let nowhere = cf
        .get(&cf.account("/devices/policy/00000000-0000-4000-8000-000000000000"))
        .await;
    assert!(nowhere.fails(404, 1001).contains("devices/policies"));
    cf.get(&cf.account("/devices/policy/00000000-0000-4000-8000-000000000000/include"))
        .await
        .fails(404, 1001);
}

#[tokio::test]
async fn put_replaces_the_whole_list_and_the_last_writer_wins() {
    let cf = Cf::start(None).await;
    let path = cf.account("/devices/policy/include");
    let mut list = seeded_include(&cf.seed).as_array().unwrap().clone();
    list.push(entry("10.44.0.0/16", "new"));
    let put = cf.put(&path, &json!(list)).await;
    assert_eq!(put.ok(), &json!(list));
    assert_eq!(cf.get(&path).await.ok(), &json!(list));

    // Two writers, each from the same read: the second PUT wins and the first entry is lost,
    // as on Cloudflare (no ETag, no If-Match).
    let read = cf.get(&path).await.ok().as_array().unwrap().clone();
    let mut first = read.clone();
    first.push(entry("10.45.0.0/16", "writer one"));
    let mut second = read.clone();
    second.push(entry("10.46.0.0/16", "writer two"));
    cf.put(&path, &json!(first)).await.ok();
    cf.put(&path, &json!(second)).await.ok();
    let now = cf.get(&path).await.ok().clone();
    assert_eq!(now, json!(second));
    assert!(!now.to_string().contains("10.45.0.0/16"));

    // Order and bytes are kept as written; a host entry, an entry without a description.
    let written = json!([
        {"host": "intranet.example.com", "description": "wiki"},
        {"address": "10.9.0.1"},
        entry("172.20.0.0/16", "Manowar network (do not modify)"),
    ]);
    let stored = cf.put(&path, &written).await;
    assert_eq!(
        stored.ok(),
        &json!([
            {"host": "intranet.example.com", "description": "wiki"},
            {"address": "10.9.0.1", "description": ""},
            entry("172.20.0.0/16", "Manowar network (do not modify)"),
        ])
    );
    // An empty list empties it.
    cf.put(&path, &json!([])).await.ok();
    assert_eq!(cf.get(&path).await.ok(), &json!([]));
    let profile = cf.get(&cf.account("/devices/policy")).await;
    assert_eq!(profile.ok()["include"], json!([]));
}

#[tokio::test]
async fn writing_the_list_of_the_other_mode_is_stored_but_inert() {
    let cf = Cf::start(None).await;
    let seed = &cf.seed;
    let exclude = cf.account("/devices/policy/exclude");
    let put = cf.put(&exclude, &json!([entry("10.42.0.0/16", "x")])).await;
    assert_eq!(put.ok(), &json!([entry("10.42.0.0/16", "x")]));
    // The profile is still in Include mode with its include list untouched.
    let profile = cf.get(&cf.account("/devices/policy")).await;
    assert_eq!(profile.ok()["include"], seeded_include(seed));
    assert!(profile.ok().get("exclude").is_none());
    assert_eq!(
        cf.get(&exclude).await.ok(),
        &json!([entry("10.42.0.0/16", "x")])
    );

    // The custom profile (Exclude mode): a PUT to its include list is inert too.
    let custom = cf.account(&format!("/devices/policy/{}", seed.custom_policy_id));
    let before = cf.get(&custom).await.ok().clone();
    cf.put(
        &format!("{custom}/include"),
        &json!([entry("10.50.0.0/16", "inert")]),
    )
    .await
    .ok();
    let after = cf.get(&custom).await.ok().clone();
    assert_eq!(after, before);
    assert_eq!(
        cf.get(&format!("{custom}/include")).await.ok(),
        &json!([entry("10.50.0.0/16", "inert")])
    );
    // Its own list replaces as the default profile's does.
    cf.put(
        &format!("{custom}/exclude"),
        &json!([entry("10.0.0.0/8", "")]),
    )
    .await
    .ok();
    assert_eq!(
        cf.get(&custom).await.ok()["exclude"],
        json!([entry("10.0.0.0/8", "")])
    );
}

#[tokio::test]
async fn profile_patch_switches_modes_and_refuses_both() {
    let cf = Cf::start(None).await;
    let path = cf.account("/devices/policy");
    let both = cf
        .patch(&path, &json!({"include": [], "exclude": []}))
        .await;
    assert!(
        both.fails(400, 9207)
            .contains("Both 'exclude' and 'include'")
    );
    assert_eq!(
        cf.get(&path).await.ok()["include"],
        seeded_include(&cf.seed)
    );

    let renamed = cf
        .patch(
            &path,
            &json!({"enabled": true, "tunnel_protocol": "masque"}),
        )
        .await;
    assert_eq!(renamed.ok()["tunnel_protocol"], "masque");
    assert_eq!(renamed.ok()["include"], seeded_include(&cf.seed));

    let switched = cf
        .patch(&path, &json!({"exclude": [entry("10.0.0.0/8", "lan")]}))
        .await;
    assert_eq!(
        switched.ok()["exclude"],
        json!([entry("10.0.0.0/8", "lan")])
    );
    assert!(switched.ok().get("include").is_none());

    // Custom profiles: create, patch, delete.
    let missing = cf.post(&path, &json!({"name": "x"})).await;
    let message = missing.fails(400, 9207);
    assert!(
        message.contains("match") && message.contains("precedence"),
        "{message}"
    );
    let created = cf
        .post(
            &path,
            &json!({"name": "Ops", "match": "identity.email == \"a@b.example\"", "precedence": 5,
                    "include": [entry("10.42.0.0/16", "pods")]}),
        )
        .await;
    let id = created.ok()["policy_id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.ok()["include"],
        json!([entry("10.42.0.0/16", "pods")])
    );
    let one = cf.account(&format!("/devices/policy/{id}"));
    let patched = cf
        .patch(&one, &json!({"name": "Operators", "precedence": 6}))
        .await;
    assert_eq!(patched.ok()["name"], "Operators");
    assert_eq!(patched.ok()["precedence"], 6);
    assert_eq!(
        cf.get(&cf.account("/devices/policies"))
            .await
            .ok()
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let remaining = cf.delete(&one).await;
    assert_eq!(remaining.ok().as_array().unwrap().len(), 1);
    cf.get(&one).await.fails(404, 1001);
}

#[tokio::test]
async fn bad_entries_are_refused_and_change_nothing() {
    let cf = Cf::start(None).await;
    let path = cf.account("/devices/policy/include");
    let cases = [
        (json!([entry("10.42.0.0/33", "")]), "10.42.0.0/33"),
        (json!([entry("not-a-cidr", "")]), "not-a-cidr"),
        (
            json!([entry("10.1.0.0/16", &"x".repeat(101))]),
            "at most 100 characters",
        ),
        (
            json!([{"address": "10.1.0.0/16", "host": "a.example", "description": ""}]),
            "not both",
        ),
        (json!([{"description": "nothing"}]), "give `address`"),
        (
            json!([{"host": "https://a.example", "description": ""}]),
            "no scheme",
        ),
        (
            json!([{"address": "10.1.0.0/16", "comment": "x"}]),
            "comment",
        ),
        (json!({"address": "10.1.0.0/16"}), "invalid"),
    ];
    for (body, expected) in cases {
        let refused = cf.put(&path, &body).await;
        let message = refused.fails(400, 9207);
        assert!(message.contains(expected), "{body}: {message}");
    }
    // The index of the bad entry is named.
    let mut list = seeded_include(&cf.seed).as_array().unwrap().clone();
    list.push(entry("10.1.0.0/16", &"y".repeat(120)));
    let refused = cf.put(&path, &json!(list)).await;
    assert!(refused.fails(400, 9207).starts_with("entry 5"));
    assert_eq!(cf.get(&path).await.ok(), &seeded_include(&cf.seed));
    // Exactly 100 characters (not bytes) is fine.
    cf.put(&path, &json!([entry("10.1.0.0/16", &"é".repeat(100))]))
        .await
        .ok();
}

#[tokio::test]
async fn tunnel_routes() {
    let cf = Cf::start(None).await;
    let seed = &cf.seed;
    let routes = cf.account("/teamnet/routes");
    let live = cf.get(&format!("{routes}?is_deleted=false")).await;
    let rows = live.ok().as_array().unwrap().clone();
    let networks: Vec<&str> = rows
        .iter()
        .map(|r| r["network"].as_str().unwrap())
        .collect();
    assert_eq!(networks, seed.operator_cidrs);
    for (row, id) in rows.iter().zip(seed.route_ids) {
        assert_eq!(row["id"], id);
        assert_eq!(row["tunnel_id"], seed.tunnel_id);
        assert_eq!(row["tunnel_name"], seed.tunnel_name);
        assert_eq!(row["virtual_network_id"], seed.virtual_network_id);
        assert_eq!(row["virtual_network_name"], "default");
        assert_eq!(row["tun_type"], "cfd_tunnel");
        assert!(row["deleted_at"].is_null());
    }
    assert_eq!(live.json["result_info"]["total_count"], 3);

    let created = cf
        .post(
            &routes,
            &json!({"network": "10.44.0.0/16", "tunnel_id": seed.tunnel_id, "comment": "extra"}),
        )
        .await;
    let route = created.ok().clone();
    let id = route["id"].as_str().unwrap().to_owned();
    assert_eq!(route["virtual_network_id"], seed.virtual_network_id);
    let one = format!("{routes}/{id}");
    assert_eq!(cf.get(&one).await.ok()["comment"], "extra");
    let duplicate = cf
        .post(
            &routes,
            &json!({"network": "10.44.0.0/16", "tunnel_id": seed.tunnel_id}),
        )
        .await;
    assert!(duplicate.fails(409, 1014).contains(&id));
    let patched = cf
        .patch(
            &one,
            &json!({"comment": "renamed", "network": "10.45.0.0/16"}),
        )
        .await;
    assert_eq!(patched.ok()["comment"], "renamed");
    assert_eq!(patched.ok()["network"], "10.45.0.0/16");
    let clash = cf.patch(&one, &json!({"network": "10.42.0.0/16"})).await;
    clash.fails(409, 1014);

    // The route for an IP: the longest prefix that holds it.
    let narrow = cf
        .post(
            &routes,
            &json!({"network": "10.42.7.0/24", "tunnel_id": seed.tunnel_id}),
        )
        .await;
    let narrow_id = narrow.ok()["id"].as_str().unwrap().to_owned();
    let by_ip = cf.get(&cf.account("/teamnet/routes/ip/10.42.7.9")).await;
    assert_eq!(by_ip.ok()["id"], narrow_id.as_str());
    let by_ip = cf.get(&cf.account("/teamnet/routes/ip/10.42.8.9")).await;
    assert_eq!(by_ip.ok()["id"], seed.route_ids[0]);
    cf.get(&cf.account("/teamnet/routes/ip/8.8.8.8"))
        .await
        .fails(404, 1001);
    cf.get(&cf.account("/teamnet/routes/ip/not-an-ip"))
        .await
        .fails(400, 9106);

    // Delete marks deleted: gone from is_deleted=false, shown with is_deleted=true and unfiltered.
    let deleted = cf.delete(&one).await;
    assert!(deleted.ok()["deleted_at"].is_string());
    cf.get(&one).await.fails(404, 1001);
    cf.delete(&one).await.fails(404, 1001);
    let live = cf.get(&format!("{routes}?is_deleted=false")).await;
    assert_eq!(live.json["result_info"]["total_count"], 4);
    let gone = cf.get(&format!("{routes}?is_deleted=true")).await;
    assert_eq!(gone.ok().as_array().unwrap().len(), 1);
    assert_eq!(gone.ok()[0]["id"], id.as_str());
    assert_eq!(cf.get(&routes).await.json["result_info"]["total_count"], 5);

    // Filters: subset, superset, tunnel, bad values.
    let subset = cf
        .get(&format!(
            "{routes}?is_deleted=false&network_subset=10.42.0.0/16"
        ))
        .await;
    assert_eq!(subset.ok().as_array().unwrap().len(), 2);
    let exact = cf
        .get(&format!(
            "{routes}?is_deleted=false&network_subset=10.43.0.0/16&network_superset=10.43.0.0/16&tunnel_id={}",
            seed.tunnel_id
        ))
        .await;
    assert_eq!(exact.ok().as_array().unwrap().len(), 1);
    assert_eq!(exact.ok()[0]["id"], seed.route_ids[1]);
    cf.get(&format!("{routes}?is_deleted=maybe"))
        .await
        .fails(400, 9106);
    cf.get(&format!("{routes}?network_subset=x"))
        .await
        .fails(400, 9106);

    // Bad bodies.
    for (body, expected) in [
        (
            json!({"network": "10.0.0.0/99", "tunnel_id": seed.tunnel_id}),
            "10.0.0.0/99",
        ),
        (
            json!({"network": "10.60.0.0/16", "tunnel_id": "00000000-0000-4000-8000-000000000000"}),
            "cfd_tunnel",
        ),
        (json!({"network": "10.60.0.0/16"}), "tunnel_id"),
        (
            json!({"network": "10.60.0.0/16", "tunnel_id": seed.tunnel_id, "comment": "c".repeat(101)}),
            "at most 100",
        ),
    ] {
        let refused = cf.post(&routes, &body).await;
        assert!(refused.fails(400, 9207).contains(expected), "{body}");
    }
}

#[tokio::test]
async fn pagination_of_routes() {
    let cf = Cf::start(None).await;
    let routes = cf.account("/teamnet/routes");
    let first = cf
        .get(&format!("{routes}?is_deleted=false&per_page=2"))
        .await;
    assert_eq!(first.ok().as_array().unwrap().len(), 2);
    assert_eq!(
        first.json["result_info"],
        json!({"page": 1, "per_page": 2, "count": 2, "total_count": 3, "total_pages": 2})
    );
    let second = cf
        .get(&format!("{routes}?is_deleted=false&per_page=2&page=2"))
        .await;
    assert_eq!(second.ok()[0]["id"], cf.seed.route_ids[2]);
    assert_eq!(second.json["result_info"]["count"], 1);
    let past = cf
        .get(&format!("{routes}?is_deleted=false&per_page=2&page=3"))
        .await;
    assert_eq!(past.ok(), &json!([]));
    for bad in ["per_page=0", "per_page=1001", "page=0", "page=x"] {
        let refused = cf.get(&format!("{routes}?{bad}")).await;
        let name = bad.split('=').next().unwrap();
        assert!(refused.fails(400, 9106).contains(name), "{bad}");
    }
}

#[tokio::test]
async fn virtual_networks_and_tunnels() {
    let cf = Cf::start(None).await;
    let seed = &cf.seed;
    let vnets = cf.get(&cf.account("/teamnet/virtual_networks")).await;
    let vnets = vnets.ok().as_array().unwrap().clone();
    assert_eq!(vnets.len(), 1);
    assert_eq!(vnets[0]["id"], seed.virtual_network_id);
    assert_eq!(vnets[0]["is_default_network"], true);
    let none = cf
        .get(&cf.account("/teamnet/virtual_networks?is_default=false"))
        .await;
    assert_eq!(none.ok(), &json!([]));

    let tunnels = cf.get(&cf.account("/cfd_tunnel?is_deleted=false")).await;
    let list = tunnels.ok().as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!(tunnels.json["result_info"]["total_count"], 1);
    let tunnel = cf
        .get(&cf.account(&format!("/cfd_tunnel/{}", seed.tunnel_id)))
        .await;
    let tunnel = tunnel.ok().clone();
    assert_eq!(tunnel, list[0]);
    assert_eq!(tunnel["status"], "healthy");
    assert_eq!(tunnel["name"], seed.tunnel_name);
    assert_eq!(tunnel["account_tag"], seed.account_id);
    assert_eq!(tunnel["connections"].as_array().unwrap().len(), 2);
    let by_status = cf.get(&cf.account("/cfd_tunnel?status=down")).await;
    assert_eq!(by_status.ok(), &json!([]));

    let clients = cf
        .get(&cf.account(&format!("/cfd_tunnel/{}/connections", seed.tunnel_id)))
        .await;
    let clients = clients.ok().as_array().unwrap().clone();
    assert_eq!(clients.len(), 1);
    let conns = clients[0]["conns"].as_array().unwrap();
    assert_eq!(conns.len(), 2);
    assert!(conns.iter().all(|c| c["is_pending_reconnect"] == false));
    cf.get(&cf.account("/cfd_tunnel/00000000-0000-4000-8000-000000000000"))
        .await
        .fails(404, 1001);
}

#[tokio::test]
async fn zones_and_dns_records() {
    let cf = Cf::start(None).await;
    let seed = &cf.seed;
    let zones = cf.get("/zones").await;
    assert_eq!(zones.ok()[0]["id"], seed.zone_id);
    assert_eq!(zones.json["result_info"]["total_count"], 1);
    let by_name = cf.get(&format!("/zones?name={}", seed.zone_name)).await;
    assert_eq!(by_name.ok().as_array().unwrap().len(), 1);
    assert_eq!(
        cf.get(&format!("/zones/{}", seed.zone_id)).await.ok()["name"],
        seed.zone_name
    );
    let unknown = cf
        .get("/zones/ffffffffffffffffffffffffffffffff/dns_records")
        .await;
    assert!(
        unknown
            .fails(400, 7003)
            .contains("perhaps your object identifier is invalid")
    );
    assert_eq!(unknown.json["errors"][1]["code"], 7000);

    let records = format!("/zones/{}/dns_records", seed.zone_id);
    let all = cf.get(&records).await;
    let ids: Vec<&str> = all
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, seed.dns_record_ids);
    let cname = cf.get(&format!("{records}?type=CNAME")).await;
    assert_eq!(
        cname.ok()[0]["content"],
        format!("{}.cfargotunnel.com", seed.tunnel_id)
    );
    assert_eq!(cname.ok()[0]["proxied"], true);
    let paged = cf.get(&format!("{records}?per_page=3&page=2")).await;
    assert_eq!(paged.ok().as_array().unwrap().len(), 1);
    assert_eq!(paged.json["result_info"]["total_pages"], 2);

    let created = cf
        .post(
            &records,
            &json!({"type": "A", "name": "gpu", "content": "192.168.2.10", "ttl": 1}),
        )
        .await;
    let record = created.ok().clone();
    assert_eq!(record["name"], format!("gpu.{}", seed.zone_name));
    let id = record["id"].as_str().unwrap().to_owned();
    let one = format!("{records}/{id}");
    assert_eq!(cf.get(&one).await.ok(), &record);
    let by_name = cf
        .get(&format!("{records}?name=gpu.{}", seed.zone_name))
        .await;
    assert_eq!(by_name.ok().as_array().unwrap().len(), 1);

    let identical = cf
        .post(
            &records,
            &json!({"type": "A", "name": "gpu", "content": "192.168.2.10", "ttl": 1}),
        )
        .await;
    assert_eq!(
        identical.fails(400, 81058),
        "An identical record already exists."
    );
    let same = cf
        .post(
            &records,
            &json!({"type": "A", "name": "gpu", "content": "192.168.2.10", "ttl": 300}),
        )
        .await;
    assert_eq!(same.fails(400, 81057), "The record already exists.");
    cf.post(
        &records,
        &json!({"type": "CNAME", "name": "gpu", "content": "x.example"}),
    )
    .await
    .fails(400, 1003);
    cf.post(
        &records,
        &json!({"type": "A", "name": "app", "content": "192.0.2.1"}),
    )
    .await
    .fails(400, 1003);
    cf.post(
        &records,
        &json!({"type": "A", "name": "bad", "content": "not-an-ip"}),
    )
    .await
    .fails(400, 9005);
    cf.post(
        &records,
        &json!({"type": "A", "name": "bad", "content": "192.0.2.1", "ttl": 5}),
    )
    .await
    .fails(400, 9021);
    cf.post(
        &records,
        &json!({"type": "TXT", "name": "bad", "content": "x", "proxied": true}),
    )
    .await
    .fails(400, 9004);
    let missing = cf.post(&records, &json!({"name": "bad"})).await;
    missing.fails(400, 1004);
    assert!(
        missing.json["errors"][1]["message"]
            .as_str()
            .unwrap()
            .contains("type, content")
    );

    let patched = cf
        .patch(
            &one,
            &json!({"content": "192.168.2.11", "comment": "calypso"}),
        )
        .await;
    assert_eq!(patched.ok()["content"], "192.168.2.11");
    assert_eq!(patched.ok()["comment"], "calypso");
    let replaced = cf
        .call(
            Method::PUT,
            &one,
            Some(&json!({"type": "AAAA", "name": "gpu", "content": "2001:db8::1"})),
        )
        .await;
    assert_eq!(replaced.ok()["type"], "AAAA");
    assert!(replaced.ok()["comment"].is_null());
    let missing_id = format!("{records}/00000000000000000000000000000000");
    cf.patch(&missing_id, &json!({"content": "192.0.2.1"}))
        .await
        .fails(404, 81044);
    cf.get(&missing_id).await.fails(404, 81044);
    assert_eq!(cf.delete(&one).await.ok(), &json!({"id": id}));
    assert_eq!(
        cf.delete(&one).await.fails(404, 81044),
        format!("Record does not exist. (record {id})")
    );
}

#[tokio::test]
async fn reset_restores_the_seed_and_state_shows_it() {
    let cf = Cf::start(None).await;
    let seed = &cf.seed;
    let include = cf.account("/devices/policy/include");
    cf.put(&include, &json!([])).await.ok();
    cf.patch(&cf.account("/devices/policy"), &json!({"exclude": []}))
        .await
        .ok();
    cf.delete(&cf.account(&format!("/teamnet/routes/{}", seed.route_ids[0])))
        .await
        .ok();
    cf.delete(&format!(
        "/zones/{}/dns_records/{}",
        seed.zone_id, seed.dns_record_ids[0]
    ))
    .await
    .ok();

    let state = cf.admin(Method::GET, "/state", None).await;
    let cloudflare = &state["cloudflare"];
    assert_eq!(cloudflare["default_profile"]["mode"], "exclude");
    assert_eq!(cloudflare["default_profile"]["include"], json!([]));
    assert!(cloudflare["routes"][0]["deleted_at"].is_string());
    assert_eq!(cloudflare["dns_records"].as_array().unwrap().len(), 3);
    assert_eq!(cf.emu.state()["cloudflare"], *cloudflare);

    // Every Cloudflare request is counted, by method: 1 PUT, 1 PATCH, 2 DELETEs so far.
    let requests = &cloudflare["requests"];
    assert_eq!(
        requests["by_method"],
        json!({"DELETE": 2, "PATCH": 1, "PUT": 1})
    );
    assert_eq!(requests["total"], 4);

    cf.admin(Method::POST, "/reset", None).await;
    let state = cf.admin(Method::GET, "/state", None).await;
    assert_eq!(state["cloudflare"]["requests"]["total"], 0);
    assert_eq!(cf.get(&include).await.ok(), &seeded_include(seed));
    let profile = cf.get(&cf.account("/devices/policy")).await;
    assert!(profile.ok().get("exclude").is_none());
    let live = cf
        .get(&cf.account("/teamnet/routes?is_deleted=false"))
        .await;
    assert_eq!(live.json["result_info"]["total_count"], 3);
    let state = cf.admin(Method::GET, "/state", None).await;
    assert_eq!(state["cloudflare"]["default_profile"]["mode"], "include");
    assert_eq!(state["cloudflare"]["requests"]["by_method"]["GET"], 3);
    assert_eq!(
        state["cloudflare"]["dns_records"].as_array().unwrap().len(),
        4
    );
    assert_eq!(state["cloudflare"]["custom_profiles"][0]["mode"], "exclude");
}

#[tokio::test]
async fn faults_on_cloudflare_routes() {
    let cf = Cf::start(Some(TOKEN)).await;
    let include = cf.account("/devices/policy/include");
    let pattern = "/client/v4/accounts/*/devices/policy/include";

    // A rate-limit storm: 429, Retry-After, code 971; nothing applied.
    cf.admin(
        Method::POST,
        "/faults",
        Some(
            &json!({"method": "PUT", "path": pattern, "status": 429, "retry_after": 7, "count": 2}),
        ),
    )
    .await;
    for _ in 0..2 {
        let limited = cf.put(&include, &json!([])).await;
        limited.fails(429, 971);
        assert_eq!(limited.header("retry-after"), Some("7"));
    }
    // A GET is not matched by a PUT fault.
    assert_eq!(cf.get(&include).await.ok(), &seeded_include(&cf.seed));
    cf.put(&include, &json!([])).await.ok();
    cf.admin(Method::POST, "/reset", None).await;

    // Injected statuses answer before authentication, as on the Bridge routes.
    cf.admin(
        Method::POST,
        "/faults",
        Some(&json!({"path": pattern, "status": 503, "count": 1})),
    )
    .await;
    let unavailable = cf
        .try_call(Method::GET, &include, None, None)
        .await
        .unwrap();
    unavailable.fails(503, 10001);

    // An edge HTML page, as Cloudflare's edge sends on a 502.
    cf.admin(
        Method::POST,
        "/faults",
        Some(&json!({"path": pattern, "status": 502, "body": "<html><body>Bad gateway</body></html>", "count": 1})),
    )
    .await;
    let html = cf.get(&include).await;
    assert_eq!(html.status, 502);
    assert_eq!(html.header("content-type"), Some("text/html"));
    assert!(html.json.as_str().unwrap().contains("Bad gateway"));

    // A JSON body given verbatim (a 429 with every field a client might read).
    let body = json!({"success": false, "errors": [{"code": 971, "message": "Please wait and consider throttling your request speed"}], "messages": [], "result": null});
    cf.admin(
        Method::POST,
        "/faults",
        Some(&json!({"path": pattern, "status": 429, "body": body.to_string(), "content_type": "application/json", "count": 1})),
    )
    .await;
    let limited = cf.get(&include).await;
    limited.fails(429, 971);
    assert_eq!(limited.header("retry-after"), Some("1"));

    // PUT committed, then the connection dropped: the client sees a transport error, the list
    // changed.
    cf.admin(
        Method::POST,
        "/faults",
        Some(&json!({"method": "PUT", "path": pattern, "drop_after_commit": true, "count": 1})),
    )
    .await;
    let dropped = cf
        .try_call(
            Method::PUT,
            &include,
            Some(&json!([entry("10.99.0.0/16", "committed")])),
            Some(TOKEN),
        )
        .await;
    assert!(dropped.is_err(), "{dropped:?}");
    assert_eq!(
        cf.get(&include).await.ok(),
        &json!([entry("10.99.0.0/16", "committed")])
    );

    // Latency on every Cloudflare route.
    cf.admin(
        Method::POST,
        "/faults",
        Some(&json!({"path": "/client/v4/zones", "latency_ms": 150, "count": 1})),
    )
    .await;
    let started = Instant::now();
    cf.get("/zones").await.ok();
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn admin_routes_change_tunnels_and_token_permissions() {
    let cf = Cf::start(Some(TOKEN)).await;
    let seed = &cf.seed;
    let tunnel = cf.account(&format!("/cfd_tunnel/{}", seed.tunnel_id));
    let down = cf
        .admin(
            Method::POST,
            &format!("/cloudflare/tunnels/{}", seed.tunnel_id),
            Some(&json!({"status": "down", "connections": 0})),
        )
        .await;
    assert_eq!(down["status"], "down");
    let read = cf.get(&tunnel).await;
    assert_eq!(read.ok()["status"], "down");
    assert_eq!(read.ok()["connections"], json!([]));
    let connections = cf.get(&format!("{tunnel}/connections")).await;
    assert_eq!(connections.ok(), &json!([]));
    let three = cf
        .admin(
            Method::POST,
            &format!("/cloudflare/tunnels/{}", seed.tunnel_id),
            Some(&json!({"status": "healthy", "connections": 3})),
        )
        .await;
    assert_eq!(three["connections"].as_array().unwrap().len(), 3);
    let bad = cf
        .client
        .post(format!(
            "{}/__emulator/cloudflare/tunnels/{}",
            cf.emu.base_url(),
            seed.tunnel_id
        ))
        .json(&json!({"status": "sleepy"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    // A token without write permission reads but cannot write.
    cf.admin(
        Method::POST,
        "/cloudflare/token",
        Some(&json!({"read_only": true})),
    )
    .await;
    let include = cf.account("/devices/policy/include");
    assert_eq!(cf.get(&include).await.ok(), &seeded_include(seed));
    cf.put(&include, &json!([])).await.fails(403, 10000);
    assert_eq!(cf.get(&include).await.ok(), &seeded_include(seed));
    let state = cf.admin(Method::GET, "/state", None).await;
    assert_eq!(state["cloudflare"]["token_read_only"], true);

    // Reset restores both.
    cf.admin(Method::POST, "/reset", None).await;
    cf.put(&include, &json!([])).await.ok();
    let read = cf.get(&tunnel).await;
    assert_eq!(read.ok()["connections"].as_array().unwrap().len(), 2);
}
