//! An emulator in process and a client whose every answer is checked against the OpenAPI
//! description (and for `X-Request-Id`).

use std::time::Duration;

use oceanid_emulator::{Emulator, EmulatorConfig};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::openapi::SPEC;

/// A distinctive key, to check it never leaks.
pub const API_KEY: &str = "cbkey_emulator_test_Zq83Kd02";

pub struct Env {
    pub emu: Emulator,
    pub api: Api,
}

pub async fn start() -> Env {
    start_with(EmulatorConfig {
        api_key: API_KEY.to_owned(),
        provision_delay: Duration::from_millis(30),
        ..EmulatorConfig::default()
    })
    .await
}

pub async fn start_with(config: EmulatorConfig) -> Env {
    let emu = Emulator::start(config).await.expect("emulator starts");
    let api = Api::new(emu.base_url(), emu.api_key());
    Env { emu, api }
}

/// One answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        &self.json
    }

    /// The error message of an error answer.
    pub fn message(&self) -> &str {
        self.json["message"].as_str().unwrap_or("")
    }
}

/// A request being built.
pub struct Call<'a> {
    api: &'a Api,
    method: Method,
    path: String,
    body: Option<Vec<u8>>,
    headers: Vec<(String, String)>,
    auth: Option<String>,
    validate: bool,
}

impl Call<'_> {
    pub fn json(mut self, body: &Value) -> Self {
        self.body = Some(serde_json::to_vec(body).unwrap());
        self
    }

    pub fn raw(mut self, body: &str) -> Self {
        self.body = Some(body.as_bytes().to_vec());
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn idempotency_key(self, key: &str) -> Self {
        self.header("Idempotency-Key", key)
    }

    /// No Authorization header.
    pub fn anonymous(mut self) -> Self {
        self.auth = None;
        self
    }

    pub fn key(mut self, key: &str) -> Self {
        self.auth = Some(key.to_owned());
        self
    }

    /// Skips the OpenAPI check (an injected HTML page, a non-UUID request id).
    pub fn unchecked(mut self) -> Self {
        self.validate = false;
        self
    }

    pub async fn try_send(self) -> reqwest::Result<Answer> {
        let url = format!("{}{}", self.api.base, self.path);
        let mut req = self.api.client.request(self.method.clone(), url);
        if let Some(key) = &self.auth {
            req = req.bearer_auth(key);
        }
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        if let Some(body) = self.body {
            req = req.header("content-type", "application/json").body(body);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let path = self.path.split('?').next().unwrap_or("").to_owned();
        let request_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{} {path} → {status}: no X-Request-Id", self.method));
        if status >= 400 && json.is_object() {
            assert_eq!(
                json["request_id"].as_str(),
                Some(request_id),
                "the error body's request_id is the X-Request-Id header"
            );
        }
        assert!(!text.contains(API_KEY), "an answer contains the API key");
        if self.validate
            && !path.starts_with("/__emulator")
            && let Err(e) = SPEC.check(self.method.as_str(), &path, status, &headers, &bytes)
        {
            panic!("OpenAPI: {e}");
        }
        Ok(Answer {
            status,
            headers,
            text,
            json,
        })
    }

    pub async fn send(self) -> Answer {
        let what = format!("{} {}", self.method, self.path);
        self.try_send()
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"))
    }
}

/// A client for one emulator.
#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub key: String,
}

impl Api {
    pub fn new(base: &str, key: &str) -> Api {
        Api {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            base: base.to_owned(),
            key: key.to_owned(),
        }
    }

    pub fn call(&self, method: Method, path: &str) -> Call<'_> {
        Call {
            api: self,
            method,
            path: path.to_owned(),
            body: None,
            headers: Vec::new(),
            auth: Some(self.key.clone()),
            validate: true,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path).send().await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path).send().await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.call(Method::POST, path).json(body).send().await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Answer {
        self.call(Method::PATCH, path).json(body).send().await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Answer {
        self.call(Method::PUT, path).json(body).send().await
    }

    /// Polls `GET /clusters/{id}` until `state` (or panics after a few seconds).
    pub async fn wait_for_state(&self, cluster_id: &str, state: &str) -> Value {
        for _ in 0..200 {
            let cluster = self.get(&format!("/clusters/{cluster_id}")).await;
            let cluster = cluster.expect(200).clone();
            if cluster["state"] == state {
                return cluster;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("cluster {cluster_id} never became {state}");
    }

    /// Polls `GET /clusters/{id}/upgrade` until no operation is ongoing.
    pub async fn wait_for_operations(&self, cluster_id: &str) {
        for _ in 0..200 {
            let upgrade = self.get(&format!("/clusters/{cluster_id}/upgrade")).await;
            if upgrade.expect(200)["operations"]
                .as_array()
                .is_some_and(Vec::is_empty)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("cluster {cluster_id} kept its operations");
    }

    /// Makes new provisioning and operations take a minute, so tests can look at them midway.
    pub async fn slow_down(&self) {
        self.post(
            "/__emulator/settings",
            &serde_json::json!({"provision_delay_ms": 60_000}),
        )
        .await
        .expect(200);
    }

    /// Finishes what is pending for a cluster now (after [`Api::slow_down`]).
    pub async fn finish_pending(&self, cluster_id: &str) {
        self.post(
            "/__emulator/settings",
            &serde_json::json!({"provision_delay_ms": 0}),
        )
        .await
        .expect(200);
        let admin = format!("/__emulator/clusters/{cluster_id}/state");
        self.post(&admin, &serde_json::json!({"hold": true}))
            .await
            .expect(200);
        self.post(&admin, &serde_json::json!({"hold": false}))
            .await
            .expect(200);
    }

    /// Creates a cluster and returns its body (201 checked).
    pub async fn create_cluster(&self, body: &Value) -> Value {
        self.post("/clusters", body).await.expect(201).clone()
    }
}

/// A create-cluster body on the seed team.
pub fn cluster_body(env: &Env, name: &str) -> Value {
    serde_json::json!({
        "name": name,
        "plan_id": "hobby-2",
        "team_id": env.emu.seed().team_id,
        "provider_id": "aws",
        "region_id": "us-east-1",
    })
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}
