//! The Cloudflare models and envelope decoder against every answer shape the emulator's
//! Cloudflare API gives: the two halves must agree on the wire format.

use oceanid_core::cloudflare::{
    CloudflareError, DeviceProfile, DnsRecord, DnsRecordChange, ErrorKind, Mode, RouteChange,
    SplitTunnelEntry, SplitTunnelTarget, TokenStatus, TokenVerification, Tunnel, TunnelClient,
    TunnelId, TunnelRoute, VirtualNetwork, Zone, decode, decode_list,
};
use oceanid_emulator::{Emulator, EmulatorConfig};
use reqwest::Method;
use serde::de::DeserializeOwned;

const TOKEN: &str = "cf_core_test_token_P3xq";

struct Cf {
    emu: Emulator,
    client: reqwest::Client,
}

impl Cf {
    async fn start() -> Cf {
        let emu = Emulator::start(EmulatorConfig {
            cloudflare_token: Some(TOKEN.to_owned()),
            ..EmulatorConfig::default()
        })
        .await
        .expect("emulator starts");
        Cf {
            emu,
            client: reqwest::Client::new(),
        }
    }

    fn account(&self, path: &str) -> String {
        format!("/accounts/{}{path}", self.emu.cloudflare_seed().account_id)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let mut req = self
            .client
            .request(method, format!("{}/client/v4{path}", self.emu.base_url()))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("the emulator answers");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.bytes().await.unwrap().to_vec())
    }

    async fn one<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<T, CloudflareError> {
        let (status, headers, bytes) = self.send(method, path, body).await;
        decode::<T>(status, &headers, &bytes).map(|a| {
            assert!(a.cf_ray.is_some());
            a.result
        })
    }

    async fn list<T: DeserializeOwned>(&self, path: &str) -> Vec<T> {
        let (status, headers, bytes) = self.send(Method::GET, path, None).await;
        match decode_list::<T>(status, &headers, &bytes) {
            Ok(answer) => answer.result,
            Err(e) => panic!("GET {path}: {e}"),
        }
    }
}

#[tokio::test]
async fn the_models_decode_every_cloudflare_answer_of_the_emulator() {
    let cf = Cf::start().await;
    let seed = cf.emu.cloudflare_seed();

    let verified: TokenVerification = cf
        .one(Method::GET, &cf.account("/tokens/verify"), None)
        .await
        .unwrap();
    assert_eq!(verified.status, TokenStatus::Active);

    let default: DeviceProfile = cf
        .one(Method::GET, &cf.account("/devices/policy"), None)
        .await
        .unwrap();
    assert_eq!(default.mode(), Some(Mode::Include));
    let include = default.include.clone().unwrap();
    assert_eq!(include.len(), 5);
    assert_eq!(
        include[0],
        SplitTunnelEntry::address(seed.foreign_cidrs[0], seed.foreign_description)
    );
    let profiles: Vec<DeviceProfile> = cf.list(&cf.account("/devices/policies")).await;
    assert_eq!(profiles[1].mode(), Some(Mode::Exclude));

    // A list read, changed by one entry and written back keeps every other entry as it was.
    let listed: Vec<SplitTunnelEntry> = cf.list(&cf.account("/devices/policy/include")).await;
    assert_eq!(listed, include);
    let mut changed = listed.clone();
    changed.push(SplitTunnelEntry::host("intranet.example.com", "wiki"));
    let written: Vec<SplitTunnelEntry> = cf
        .one(
            Method::PUT,
            &cf.account("/devices/policy/include"),
            Some(serde_json::to_value(&changed).unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(written, changed);
    assert_eq!(
        written[5].target,
        SplitTunnelTarget::Host("intranet.example.com".into())
    );

    let routes: Vec<TunnelRoute> = cf
        .list(&cf.account("/teamnet/routes?is_deleted=false"))
        .await;
    assert_eq!(routes.len(), 3);
    assert!(
        routes
            .iter()
            .all(|r| r.is_live() && r.tunnel_id == seed.tunnel_id)
    );
    let created: TunnelRoute = cf
        .one(
            Method::POST,
            &cf.account("/teamnet/routes"),
            Some(
                serde_json::to_value(RouteChange {
                    network: Some("10.44.0.0/16".into()),
                    tunnel_id: Some(TunnelId::new(seed.tunnel_id)),
                    ..RouteChange::default()
                })
                .unwrap(),
            ),
        )
        .await
        .unwrap();
    assert_eq!(created.network, "10.44.0.0/16");
    let by_ip: TunnelRoute = cf
        .one(
            Method::GET,
            &cf.account("/teamnet/routes/ip/10.43.0.1"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(by_ip.id, seed.route_ids[1]);

    let vnets: Vec<VirtualNetwork> = cf.list(&cf.account("/teamnet/virtual_networks")).await;
    assert!(vnets[0].is_default_network);
    let tunnels: Vec<Tunnel> = cf.list(&cf.account("/cfd_tunnel?is_deleted=false")).await;
    assert!(tunnels[0].is_healthy());
    assert_eq!(tunnels[0].connections.len(), 2);
    let clients: Vec<TunnelClient> = cf
        .list(&cf.account(&format!("/cfd_tunnel/{}/connections", seed.tunnel_id)))
        .await;
    assert_eq!(clients[0].conns.len(), 2);

    let zones: Vec<Zone> = cf.list("/zones").await;
    assert_eq!(zones[0].id, seed.zone_id);
    let records_path = format!("/zones/{}/dns_records", seed.zone_id);
    let records: Vec<DnsRecord> = cf.list(&records_path).await;
    assert_eq!(records.len(), 4);
    let change = DnsRecordChange {
        kind: Some("A".into()),
        name: Some("gpu".into()),
        content: Some("192.168.2.10".into()),
        ..DnsRecordChange::default()
    };
    let body = serde_json::to_value(&change).unwrap();
    let record: DnsRecord = cf
        .one(Method::POST, &records_path, Some(body.clone()))
        .await
        .unwrap();
    assert_eq!(record.name, format!("gpu.{}", seed.zone_name));
    let again = cf
        .one::<DnsRecord>(Method::POST, &records_path, Some(body))
        .await
        .unwrap_err();
    assert!(again.is_identical_record(), "{again}");
    let gone = cf
        .one::<DnsRecord>(
            Method::DELETE,
            &format!("{records_path}/00000000000000000000000000000000"),
            None,
        )
        .await
        .unwrap_err();
    assert!(gone.is_record_missing() && gone.is_not_found(), "{gone}");
    assert!(gone.cf_ray().is_some());
}

#[tokio::test]
async fn errors_from_the_emulator_carry_codes_and_the_ray() {
    let cf = Cf::start().await;
    // Another token: 403 with code 9109, never the token in the message.
    let (status, headers, bytes) = {
        let resp = cf
            .client
            .get(format!(
                "{}/client/v4{}",
                cf.emu.base_url(),
                cf.account("/devices/policy")
            ))
            .bearer_auth("wrong-token")
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.bytes().await.unwrap())
    };
    let refused = decode::<DeviceProfile>(status, &headers, &bytes).unwrap_err();
    assert!(refused.is_unauthorized());
    assert!(refused.cf_ray().is_some());
    assert!(!refused.to_string().contains(TOKEN));

    // An injected rate limit and an edge HTML page.
    let faults = format!("{}/__emulator/faults", cf.emu.base_url());
    let path = "/client/v4/accounts/*/devices/policy/include";
    cf.client
        .post(&faults)
        .json(&serde_json::json!({"path": path, "status": 429, "retry_after": 3, "count": 1}))
        .send()
        .await
        .unwrap();
    let limited = cf
        .one::<Vec<SplitTunnelEntry>>(Method::GET, &cf.account("/devices/policy/include"), None)
        .await
        .unwrap_err();
    assert!(limited.is_rate_limited());
    assert_eq!(
        limited.retry_after(),
        Some(std::time::Duration::from_secs(3))
    );
    cf.client
        .post(&faults)
        .json(&serde_json::json!({"path": path, "status": 502, "count": 1,
            "body": "<html><body><h1>502 Bad Gateway</h1>cloudflare</body></html>"}))
        .send()
        .await
        .unwrap();
    let html = cf
        .one::<Vec<SplitTunnelEntry>>(Method::GET, &cf.account("/devices/policy/include"), None)
        .await
        .unwrap_err();
    assert_eq!(html.kind(), ErrorKind::Unreadable);
    assert!(html.is_retryable());
    assert!(html.to_string().contains("502 Bad Gateway"), "{html}");
}
