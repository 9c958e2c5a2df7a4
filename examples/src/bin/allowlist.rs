//! Embedding `oceanid-core`: make a Crunchy Bridge network's firewall allow exactly a set of
//! node addresses, without Pulumi. The rules it adds carry a description with a marker, and
//! only rules with that marker are ever removed: entries other people own are left alone.
//!
//! ```text
//! cargo run -p oceanid-examples --bin allowlist -- NETWORK_ID 203.0.113.10 203.0.113.11
//! ```
//! Uses `CRUNCHYBRIDGE_API_KEY` (and `CRUNCHYBRIDGE_API_URL`, e.g. an `oceanid-emulator`).
//! Without a key it starts an emulator and runs against its seeded network.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::Context as _;
use oceanid_core::crunchybridge::{Bridge, CreateFirewallRule, NetworkId};

/// The description prefix that marks the rules this tool owns.
const MARKER: &str = "allowlist:";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let key = std::env::var("CRUNCHYBRIDGE_API_KEY").ok();
    let (bridge, network, _emulator) = match key {
        Some(key) => {
            let network = args
                .next()
                .context("usage: allowlist NETWORK_ID ADDRESS...")?;
            let url = std::env::var("CRUNCHYBRIDGE_API_URL")
                .unwrap_or_else(|_| oceanid_core::crunchybridge::DEFAULT_BASE_URL.into());
            let bridge = Bridge::builder().api_key(key).base_url(&url).build()?;
            (bridge, NetworkId::new(network), None)
        }
        None => {
            println!("no CRUNCHYBRIDGE_API_KEY: using a local emulator and its seeded network");
            let emulator = oceanid_emulator::Emulator::start(Default::default()).await?;
            let bridge = Bridge::builder()
                .api_key(emulator.api_key())
                .base_url(emulator.base_url())
                .build()?;
            let network = NetworkId::new(emulator.seed().network_id);
            // A fresh network allows everything; an allowlist starts by closing that.
            for rule in bridge.firewall(&network).list().await? {
                if rule.rule.ends_with("/0") {
                    bridge.firewall(&network).delete(&rule.id).await?;
                }
            }
            (bridge, network, Some(emulator))
        }
    };
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    for a in args {
        let addr: std::net::IpAddr = a
            .parse()
            .with_context(|| format!("{a} is not an IP address"))?;
        wanted.insert(ipnet::IpNet::from(addr).to_string());
    }
    if wanted.is_empty() {
        wanted.extend(["203.0.113.10/32".to_owned(), "203.0.113.11/32".to_owned()]);
    }

    // Every call below, retries included, ends within two minutes.
    let firewall = bridge
        .with_timeout(Duration::from_secs(120))
        .firewall(&network);
    let existing = firewall.list().await?;
    let present: BTreeSet<String> = existing.iter().map(|r| r.rule.clone()).collect();
    for cidr in wanted.difference(&present) {
        let rule = firewall
            .create(&CreateFirewallRule::new(cidr.clone()).description(format!("{MARKER} node")))
            .await?;
        println!("added   {cidr} ({})", rule.id);
    }
    for rule in &existing {
        let ours = rule.description().is_some_and(|d| d.starts_with(MARKER));
        if ours && !wanted.contains(&rule.rule) {
            firewall.delete(&rule.id).await?;
            println!("removed {} ({})", rule.rule, rule.id);
        }
    }
    let now: Vec<String> = firewall.list().await?.into_iter().map(|r| r.rule).collect();
    println!("network {network} now allows: {}", now.join(", "));
    Ok(())
}
