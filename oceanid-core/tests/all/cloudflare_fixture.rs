//! An emulator with the Cloudflare API and a client on it, plus the admin calls the Cloudflare
//! tests use (faults, the tunnel's health, a read-only token, request counters).

use std::time::Duration;

use oceanid_core::cloudflare::{AccountId, ApiToken, Cloudflare};
use oceanid_core::http::RetryPolicy;
use oceanid_emulator::{CloudflareSeed, Emulator, EmulatorConfig};
use serde_json::{Value, json};

pub const TOKEN: &str = "cf_client_test_token_Zq81";

pub struct CloudflareFixture {
    pub emu: Emulator,
    pub seed: CloudflareSeed,
    admin: reqwest::Client,
}

impl CloudflareFixture {
    pub async fn start() -> CloudflareFixture {
        let emu = Emulator::start(EmulatorConfig {
            cloudflare_token: Some(TOKEN.to_owned()),
            ..EmulatorConfig::default()
        })
        .await
        .expect("emulator starts");
        let seed = emu.cloudflare_seed();
        CloudflareFixture {
            emu,
            seed,
            admin: reqwest::Client::new(),
        }
    }

    pub fn api_url(&self) -> String {
        format!("{}/client/v4", self.emu.base_url())
    }

    /// A client with fast retries, so fault tests finish quickly.
    pub fn client(&self) -> Cloudflare {
        self.client_with(|b| b)
    }

    pub fn client_with(
        &self,
        f: impl FnOnce(
            oceanid_core::cloudflare::CloudflareBuilder,
        ) -> oceanid_core::cloudflare::CloudflareBuilder,
    ) -> Cloudflare {
        f(Cloudflare::builder()
            .token(ApiToken::new(TOKEN))
            .account(AccountId::new(self.seed.account_id))
            .base_url(self.api_url())
            .retry(
                RetryPolicy::new()
                    .with_min_delay(Duration::from_millis(5))
                    .with_max_delay(Duration::from_millis(50))
                    .with_max_retry_after(Duration::from_millis(1500)),
            ))
        .build()
        .expect("client builds")
    }

    pub async fn admin(&self, path: &str, body: Value) -> Value {
        let resp = self
            .admin
            .post(format!("{}{path}", self.emu.base_url()))
            .json(&body)
            .send()
            .await
            .expect("admin call");
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.unwrap_or(Value::Null)
    }

    pub async fn fault(&self, body: Value) {
        self.admin("/__emulator/faults", body).await;
    }

    pub async fn clear_faults(&self) {
        let resp = self
            .admin
            .delete(format!("{}/__emulator/faults", self.emu.base_url()))
            .send()
            .await
            .expect("clear faults");
        assert!(resp.status().is_success());
    }

    pub fn account_path(&self, rest: &str) -> String {
        format!("/client/v4/accounts/{}{rest}", self.seed.account_id)
    }

    pub async fn read_only_token(&self, read_only: bool) {
        self.admin(
            "/__emulator/cloudflare/token",
            json!({ "read_only": read_only }),
        )
        .await;
    }

    /// Cloudflare requests the emulator served, by method and in total.
    pub fn requests(&self) -> Value {
        self.emu.state()["cloudflare"]["requests"].clone()
    }
}
