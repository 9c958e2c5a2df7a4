//! The group-committing split-tunnel writer against the emulator: parallel operations leave
//! exactly the declared entries and every foreign entry byte-identical and in order; a foreign
//! writer between operations keeps every change; under an overlapping foreign writer the damage
//! is counted, detected and repaired; faults restart from the read.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures::future::join_all;
use oceanid_core::cloudflare::{
    AccountId, DeclaredEntry, EntryKey, Existing, ListId, Mode, PolicyId, ProtectedCidrs,
    SplitTunnelEntry, SplitTunnelWriter, WriteError,
};
use serde_json::json;

use crate::cloudflare_fixture::CloudflareFixture;

fn protected() -> ProtectedCidrs {
    ProtectedCidrs::parse(&["172.20.0.0/16", "172.21.0.0/16"]).unwrap()
}

fn default_include(cf: &CloudflareFixture) -> ListId {
    ListId {
        account: AccountId::new(cf.seed.account_id),
        policy: None,
        mode: Mode::Include,
    }
}

fn declared(address: &str, description: &str) -> DeclaredEntry {
    DeclaredEntry::new(Some(address), None, description, &protected()).unwrap()
}

fn test_key(i: usize) -> String {
    format!("10.100.{i}.0/24")
}

/// Entries whose address is not one of the test keys, in order.
fn foreign(entries: &[SplitTunnelEntry]) -> Vec<SplitTunnelEntry> {
    entries
        .iter()
        .filter(|e| !format!("{:?}", e.target).contains("10.100."))
        .cloned()
        .collect()
}

#[tokio::test]
async fn fifty_parallel_operations_fifty_times_leave_exactly_the_declared_entries() {
    let cf = CloudflareFixture::start().await;
    let client = cf.client();
    let writer = SplitTunnelWriter::new(client.clone(), protected());
    let list = default_include(&cf);
    let seeded = client.split_tunnel(None, Mode::Include).await.unwrap();
    let mut declared_now: BTreeMap<String, String> = BTreeMap::new();
    for round in 0..50 {
        let operations = (0..50).map(|i| {
            let writer = writer.clone();
            let list = list.clone();
            let action = (i + round) % 3;
            async move {
                let key = test_key(i);
                if action == 0 {
                    let key = EntryKey::of(&SplitTunnelEntry::address(key.clone(), "")).unwrap();
                    writer.remove(&list, key).await.map(|_| None)
                } else {
                    let description = if action == 1 {
                        format!("round {round}")
                    } else {
                        format!("entry {i}")
                    };
                    writer
                        .ensure(&list, declared(&key, &description), Existing::Own)
                        .await
                        .map(|_| Some(description))
                }
            }
        });
        let results = join_all(operations).await;
        for (i, result) in results.into_iter().enumerate() {
            match result.unwrap_or_else(|e| panic!("round {round}, entry {i}: {e}")) {
                Some(description) => declared_now.insert(test_key(i), description),
                None => declared_now.remove(&test_key(i)),
            };
        }
        let stored = client.split_tunnel(None, Mode::Include).await.unwrap();
        assert_eq!(
            foreign(&stored),
            seeded,
            "round {round}: a foreign entry changed"
        );
        let ours: BTreeMap<String, String> = stored
            .iter()
            .filter(|e| format!("{:?}", e.target).contains("10.100."))
            .map(|e| match &e.target {
                oceanid_core::cloudflare::SplitTunnelTarget::Address(a) => {
                    (a.clone(), e.description.clone().unwrap_or_default())
                }
                oceanid_core::cloudflare::SplitTunnelTarget::Host(h) => (h.clone(), String::new()),
            })
            .collect();
        assert_eq!(ours, declared_now, "round {round}");
    }
    let stats = writer.stats();
    println!(
        "2500 operations: {} commits, {} PUTs, {} cycles",
        stats.commits, stats.puts, stats.cycles
    );
    assert_eq!(stats.operations, 2500);
    assert!(
        stats.puts < 2500 / 4,
        "group commit batched too little: {stats:?}"
    );
}

#[tokio::test]
async fn a_foreign_writer_between_our_operations_keeps_every_change() {
    let cf = CloudflareFixture::start().await;
    let client = cf.client();
    let writer = SplitTunnelWriter::new(client.clone(), protected());
    let list = default_include(&cf);

    writer
        .ensure(&list, declared("10.100.1.0/24", "a"), Existing::Refuse)
        .await
        .unwrap();
    // Another team's tooling edits the list through the API: a new host, a new description.
    let mut theirs = client.split_tunnel(None, Mode::Include).await.unwrap();
    theirs.insert(1, SplitTunnelEntry::host("wiki.manowar.example", "theirs"));
    theirs[3].description = Some("edited elsewhere".into());
    client
        .put_split_tunnel(None, Mode::Include, &theirs)
        .await
        .unwrap();
    writer
        .ensure(&list, declared("10.100.2.0/24", "b"), Existing::Refuse)
        .await
        .unwrap();
    writer
        .ensure(
            &list,
            declared("10.100.1.0/24", "a, renamed"),
            Existing::Own,
        )
        .await
        .unwrap();
    writer
        .remove(&list, declared("10.100.2.0/24", "").key)
        .await
        .unwrap();
    let stored = client.split_tunnel(None, Mode::Include).await.unwrap();
    let mut expected = theirs.clone();
    expected
        .iter_mut()
        .find(|e| format!("{:?}", e.target).contains("10.100.1.0"))
        .unwrap()
        .description = Some("a, renamed".into());
    assert_eq!(stored, expected);
}

#[tokio::test]
async fn an_overlapping_foreign_writer_loses_bounded_counted_and_repairable_changes() {
    let cf = CloudflareFixture::start().await;
    let client = cf.client();
    let writer = SplitTunnelWriter::new(client.clone(), protected());
    let list = default_include(&cf);
    let seeded = client.split_tunnel(None, Mode::Include).await.unwrap();
    let protected_before: Vec<SplitTunnelEntry> = seeded
        .iter()
        .filter(|e| protected().protects(e))
        .cloned()
        .collect();
    assert_eq!(protected_before.len(), 2);

    // The foreign writer: read, add its own host, write back, every 10 ms.
    let stop = Arc::new(AtomicBool::new(false));
    let foreign_writes = Arc::new(AtomicU64::new(0));
    let foreign = {
        let client = client.clone();
        let stop = Arc::clone(&stop);
        let writes = Arc::clone(&foreign_writes);
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                if let Ok(mut entries) = client.split_tunnel(None, Mode::Include).await {
                    entries.push(SplitTunnelEntry::host(
                        format!("f{n}.manowar.example"),
                        "theirs",
                    ));
                    if client
                        .put_split_tunnel(None, Mode::Include, &entries)
                        .await
                        .is_ok()
                    {
                        writes.fetch_add(1, Ordering::SeqCst);
                        n += 1;
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            n
        })
    };
    tokio::time::sleep(Duration::from_millis(30)).await;
    let creates = (0..20).map(|i| {
        let writer = writer.clone();
        let list = list.clone();
        async move {
            writer
                .ensure(&list, declared(&test_key(i), "ours"), Existing::Refuse)
                .await
        }
    });
    for result in join_all(creates).await {
        result.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
    stop.store(true, Ordering::SeqCst);
    let foreign_added = foreign.await.unwrap();

    let stored = client.split_tunnel(None, Mode::Include).await.unwrap();
    let hosts_kept = (0..foreign_added)
        .filter(|n| {
            stored
                .iter()
                .any(|e| format!("{:?}", e.target).contains(&format!("f{n}.manowar")))
        })
        .count();
    let overwritten = foreign_added - hosts_kept;
    let mut missing = Vec::new();
    for i in 0..20 {
        let key = declared(&test_key(i), "").key;
        if writer.find(&list, &key).await.unwrap().is_none() {
            missing.push(i);
        }
    }
    println!(
        "overlap: {foreign_added} foreign updates, {overwritten} overwritten by our writes; \
         {} of our 20 entries removed by its writes; writer {:?}",
        missing.len(),
        writer.stats()
    );
    let protected_after: Vec<SplitTunnelEntry> = stored
        .iter()
        .filter(|e| protected().protects(e))
        .cloned()
        .collect();
    assert_eq!(
        protected_after, protected_before,
        "a protected entry changed"
    );
    assert!(foreign_added > 0, "the foreign writer never wrote");
    // Refresh finds what is gone; the next apply restores it.
    for i in &missing {
        writer
            .ensure(&list, declared(&test_key(*i), "ours"), Existing::Own)
            .await
            .unwrap();
    }
    let repaired = client.split_tunnel(None, Mode::Include).await.unwrap();
    for i in 0..20 {
        assert!(
            repaired
                .iter()
                .any(|e| EntryKey::of(e) == Some(declared(&test_key(i), "").key)),
            "entry {i} not restored"
        );
    }
}

#[tokio::test]
async fn faults_restart_from_the_read_and_never_replay_a_stale_body() {
    let cf = CloudflareFixture::start().await;
    let client = cf.client();
    let writer = SplitTunnelWriter::new(client.clone(), protected());
    let list = default_include(&cf);
    let seeded = client.split_tunnel(None, Mode::Include).await.unwrap();
    let include = cf.account_path("/devices/policy/include");

    // A 429 storm on the PUT, then 5xx on the read, then a PUT committed and the connection
    // dropped: each ensure lands once, the foreign entries intact.
    cf.fault(
        json!({"method": "PUT", "path": include, "status": 429, "retry_after": 0, "count": 4}),
    )
    .await;
    let out = writer
        .ensure(
            &list,
            declared("10.100.1.0/24", "after a 429 storm"),
            Existing::Refuse,
        )
        .await
        .unwrap();
    assert!(out.cycles >= 5, "{out:?}");
    cf.fault(json!({"method": "GET", "path": include, "status": 503, "count": 2}))
        .await;
    writer
        .ensure(
            &list,
            declared("10.100.2.0/24", "after 5xx"),
            Existing::Refuse,
        )
        .await
        .unwrap();
    cf.fault(json!({"method": "PUT", "path": include, "drop_after_commit": true, "count": 1}))
        .await;
    let dropped = writer
        .ensure(
            &list,
            declared("10.100.3.0/24", "after a drop"),
            Existing::Refuse,
        )
        .await
        .unwrap();
    assert!(dropped.cycles >= 2, "{dropped:?}");
    let stored = client.split_tunnel(None, Mode::Include).await.unwrap();
    assert_eq!(foreign(&stored), seeded);
    assert_eq!(stored.len(), seeded.len() + 3);
}

#[tokio::test]
async fn bad_writes_are_refused_with_the_reason_before_any_put() {
    let cf = CloudflareFixture::start().await;
    let client = cf.client();
    let writer = SplitTunnelWriter::new(client.clone(), protected());
    let list = default_include(&cf);
    let puts = || cf.requests()["by_method"]["PUT"].as_u64().unwrap_or(0);
    let before = puts();

    let protected_overlap = writer
        .remove(
            &list,
            EntryKey::of(&SplitTunnelEntry::address("172.20.0.0/16", "")).unwrap(),
        )
        .await
        .unwrap_err();
    assert!(
        protected_overlap.to_string().contains("protected network"),
        "{protected_overlap}"
    );

    let theirs = writer
        .ensure(
            &list,
            declared("10.42.0.0/16", "mine now"),
            Existing::Refuse,
        )
        .await
        .unwrap_err();
    let WriteError::ExistsNotOurs { id, .. } = &theirs else {
        panic!("{theirs}");
    };
    assert_eq!(
        id,
        &format!("{}/default/include/10.42.0.0/16", cf.seed.account_id)
    );
    assert!(theirs.to_string().contains("pulumi import"), "{theirs}");

    let custom = ListId {
        policy: Some(PolicyId::new(cf.seed.custom_policy_id)),
        ..list.clone()
    };
    let inert = writer
        .ensure(&custom, declared("10.100.9.0/24", "x"), Existing::Refuse)
        .await
        .unwrap_err();
    assert!(matches!(inert, WriteError::ModeMismatch { .. }), "{inert}");
    assert!(inert.to_string().contains("resets"), "{inert}");
    let unknown = ListId {
        policy: Some(PolicyId::new("00000000-0000-0000-0000-000000000000")),
        ..list.clone()
    };
    let error = writer
        .ensure(&unknown, declared("10.100.9.0/24", "x"), Existing::Refuse)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("404"), "{error}");
    assert_eq!(puts(), before, "a refused write sent a PUT");

    // Adopting takes the existing entry over, in place.
    let adopted = writer
        .ensure(
            &list,
            declared("10.42.0.0/16", "pods (oceanid)"),
            Existing::Adopt,
        )
        .await
        .unwrap();
    assert_eq!(
        adopted.entry.unwrap().description.as_deref(),
        Some("pods (oceanid)")
    );
}
