//! Protocol-layer benchmarks (not timed tests): launch → port line, and Check + Diff of a
//! FirewallRule server side (the service in process: dispatch and the adapter, without the
//! gRPC transport).
//!
//! Run: `cargo bench -p provider-crunchybridge --bench protocol` (release build).
//! Prints medians with the spread; targets from DESIGN.md: ≤ 10 ms and ≤ 50 µs.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use provider_crunchybridge::provider::CrunchyBridge;
use provider_crunchybridge::pulumi::Provider;
use provider_crunchybridge::pulumi::proto::pulumirpc::resource_provider_server::ResourceProvider;
use provider_crunchybridge::pulumi::proto::pulumirpc::{CheckRequest, DiffRequest};
use provider_crunchybridge::pulumi::value::{PropertyMap, Value, to_struct};
use provider_crunchybridge::resources::firewall_rule::FirewallRule;
use tonic::Request;

fn stats(mut xs: Vec<Duration>) -> (Duration, Duration, Duration) {
    xs.sort();
    (xs[0], xs[xs.len() / 2], xs[xs.len() - 1])
}

fn launch_to_port_line(runs: usize) -> Vec<Duration> {
    let bin = env!("CARGO_BIN_EXE_pulumi-resource-crunchybridge");
    let mut out = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let mut child = Command::new(bin)
            .arg("127.0.0.1:1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the provider");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("port line");
        out.push(start.elapsed());
        assert!(line.trim().parse::<u16>().is_ok(), "not a port: {line:?}");
        let _ = child.kill();
        let _ = child.wait();
    }
    out
}

fn props(pairs: &[(&str, &str)]) -> PropertyMap {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
        .collect()
}

fn check_and_diff(iterations: usize, batches: usize) -> Vec<Duration> {
    let service = Provider::new(CrunchyBridge)
        .resource(FirewallRule)
        .service();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let urn = "urn:pulumi:bench::bench::crunchybridge:index:FirewallRule::node-1";
    let news = props(&[
        ("networkId", "abcdefghijklmnopqrstuvwxya"),
        ("rule", "203.0.113.7"),
        ("description", "node-1 egress"),
    ]);
    let mut olds = props(&[
        ("networkId", "abcdefghijklmnopqrstuvwxya"),
        ("rule", "203.0.113.7/32"),
        ("description", "node-1 egress (old)"),
        ("kind", "ingress"),
    ]);
    olds.insert(
        "ruleId".into(),
        Value::String("rrrrrrrrrrrrrrrrrrrrrrrrra".into()),
    );
    let check_req = CheckRequest {
        urn: urn.into(),
        news: Some(to_struct(&news)),
        ..Default::default()
    };
    let check_and_diff_once = async || {
        let checked = service
            .check(Request::new(std::hint::black_box(check_req.clone())))
            .await
            .expect("Check answers")
            .into_inner();
        assert!(checked.failures.is_empty());
        let diff = service
            .diff(Request::new(DiffRequest {
                urn: urn.into(),
                id: "abcdefghijklmnopqrstuvwxya/rrrrrrrrrrrrrrrrrrrrrrrrra".into(),
                olds: Some(to_struct(&olds)),
                old_inputs: Some(to_struct(&olds)),
                news: checked.inputs,
                ..Default::default()
            }))
            .await
            .expect("Diff answers");
        std::hint::black_box(diff);
    };
    runtime.block_on(async {
        check_and_diff_once().await; // shapes are computed once per process, not per call
        let mut per_call = Vec::with_capacity(batches);
        for _ in 0..batches {
            let start = Instant::now();
            for _ in 0..iterations {
                check_and_diff_once().await;
            }
            per_call.push(start.elapsed() / iterations as u32);
        }
        per_call
    })
}

fn main() {
    let launches = launch_to_port_line(20);
    let (min, med, max) = stats(launches);
    println!(
        "launch -> port line (20 runs):        median {:>8.2} ms   min {:.2}  max {:.2}   target <= 10 ms",
        med.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
    let cd = check_and_diff(2_000, 15);
    let (min, med, max) = stats(cd);
    println!(
        "Check + Diff, FirewallRule, server side: median {:>8.2} us   min {:.2}  max {:.2}   target <= 50 us",
        med.as_secs_f64() * 1e6,
        min.as_secs_f64() * 1e6,
        max.as_secs_f64() * 1e6
    );
}
