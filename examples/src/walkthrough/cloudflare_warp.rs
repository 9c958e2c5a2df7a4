//! Stage 3 (issue 13): the operators' WARP split-tunnel entries as
//! `oceanid:cloudflare:SplitTunnelEntry` resources next to the two entries another team owns
//! (protected: `172.20.0.0/16`, `172.21.0.0/16`). `verifyPrivateAccess` before and after; the
//! hand-made entries refused, then one imported (Read by id alone, no diff against the
//! declaration) and one adopted; a description updated; an entry overlapping a
//! protected CIDR refused; a foreign read-modify-write writer running during an `up`; destroy.
//! The protected entries are compared byte for byte, and in place, after every write.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{anyhow, bail, ensure};
use futures::future::join_all;
use oceanid_core::cloudflare::{Cloudflare, Mode, SplitTunnelEntry as ApiEntry, SplitTunnelTarget};
use oceanid_emulator::Emulator;
use pulumi_provider::value::{PropertyMap, Value};
use serde_json::json;

use super::driver::{Driver, Tracked};
use super::emulator_admin::EmulatorAdmin;
use super::show::{heading, plain_json, print_checks, props, s, show_map};

const ENTRY: &str = "oceanid:cloudflare:SplitTunnelEntry";
const VERIFY: &str = "oceanid:cloudflare:verifyPrivateAccess";
/// The CIDRs the other team owns: `oceanid:protectedSplitTunnelAddresses`.
pub const PROTECTED: [&str; 2] = ["172.20.0.0/16", "172.21.0.0/16"];
/// The operators' entries (name, address, description) as the emulator seeds them (made by
/// hand through the API).
const OPERATORS: [(&str, &str, &str); 3] = [
    ("pods", "10.42.0.0/16", "K3s pods"),
    ("services", "10.43.0.0/16", "K3s services"),
    ("gpu-node", "192.168.2.0/24", "GPU node calypso"),
];
/// What the operators add later, in one `up`, while the other team's tool writes the list.
const LATER: [(&str, &str, &str); 5] = [
    ("staging-pods", "address", "10.52.0.0/16"),
    ("staging-services", "address", "10.53.0.0/16"),
    ("grafana", "host", "grafana.oceanid-operators.example"),
    ("registry", "host", "registry.oceanid-operators.example"),
    ("flux-webhook", "host", "flux.oceanid-operators.example"),
];
/// How many entries the other team's tool adds while our `up` runs.
const FOREIGN_ADDITIONS: usize = 6;

/// What stage 3 works with.
pub struct WarpSide<'a> {
    /// `pulumi-resource-oceanid`, configured with the emulator's Cloudflare token, account and
    /// the protected CIDRs.
    pub oceanid: &'a Driver,
    /// The Cloudflare API as another team's tooling uses it (same account).
    pub cloudflare: &'a Cloudflare,
    /// Reads the stored list back, byte for byte.
    pub emulator: &'a Emulator,
    /// Adds latency.
    pub admin: &'a EmulatorAdmin,
}

/// The default profile's include list as the emulator stores it, one JSON text per entry.
fn stored_list(emulator: &Emulator) -> Vec<String> {
    emulator.state()["cloudflare"]["default_profile"]["include"]
        .as_array()
        .map(|entries| entries.iter().map(ToString::to_string).collect())
        .unwrap_or_default()
}

fn print_list(list: &[String]) {
    println!(
        "    emulator: the default profile's include list ({} entries):",
        list.len()
    );
    for (i, entry) in list.iter().enumerate() {
        println!("      {i}: {entry}");
    }
}

/// Fails unless the protected entries are still first, in order, with the same bytes.
fn ensure_protected(
    before: &[String],
    emulator: &Emulator,
    step: &str,
) -> anyhow::Result<Vec<String>> {
    let now = stored_list(emulator);
    ensure!(
        now.len() >= before.len() && now[..before.len()] == *before,
        "{step}: the other team's entries changed or moved: were {before:?}, the list is now {now:?}"
    );
    println!(
        "    the other team's {} entries after {step}: byte-identical, still at positions 0-{}",
        before.len(),
        before.len() - 1
    );
    Ok(now)
}

fn has(list: &[String], needle: &str) -> bool {
    list.iter().any(|e| e.contains(&format!("\"{needle}\"")))
}

fn entry_inputs(kind: &str, target: &str, description: &str, adopt: bool) -> PropertyMap {
    let mut inputs = props([(kind, s(target)), ("description", s(description))]);
    if adopt {
        inputs.insert("adoptExisting".into(), Value::Bool(true));
    }
    inputs
}

async fn verify_private_access(oceanid: &Driver) -> anyhow::Result<Vec<String>> {
    let addresses = OPERATORS.iter().map(|(_, a, _)| s(a)).collect();
    let report = oceanid
        .invoke(VERIFY, props([("addresses", Value::Array(addresses))]))
        .await?;
    println!(
        "    {VERIFY}(addresses: the operators' 3) -> ok={}",
        plain_json(&report, "ok")?
    );
    print_checks(&report)
}

/// Creates each `(name, inputs)` in parallel, as the engine runs independent creates; the
/// outcome of each.
async fn create_all(
    oceanid: &Driver,
    planned: &[(String, PropertyMap)],
) -> anyhow::Result<Vec<Result<Tracked, String>>> {
    let mut checked = Vec::new();
    for (name, news) in planned {
        checked.push((
            name.clone(),
            oceanid.check(ENTRY, name, news.clone()).await?,
        ));
    }
    let outcomes = join_all(checked.into_iter().map(|(name, inputs)| async move {
        match oceanid.create(ENTRY, &name, &inputs, false).await {
            Ok((id, state)) => Ok(Tracked {
                ty: ENTRY,
                name,
                id,
                inputs,
                state,
            }),
            Err(status) => Err(format!("{name}: {}", status.message())),
        }
    }))
    .await;
    Ok(outcomes)
}

/// The other team's tooling: read the list, make sure its own entries are there (adding the
/// missing ones at the end), add a new one, write the whole list back; again every few
/// milliseconds, `FOREIGN_ADDITIONS` times, then once more when told to stop (its next
/// scheduled run).
struct ForeignWriter {
    stop: Arc<AtomicBool>,
    restored: Arc<AtomicUsize>,
    puts: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<anyhow::Result<Vec<String>>>,
}

fn foreign_entry(i: usize) -> ApiEntry {
    ApiEntry::address(
        format!("172.22.{i}.0/24"),
        format!("Manowar lab {i} (their tooling)"),
    )
}

/// One read-modify-write of the other team's tool; how many of its entries it found missing.
async fn foreign_round(cloudflare: &Cloudflare, own: &[ApiEntry]) -> anyhow::Result<usize> {
    let mut list = cloudflare.split_tunnel(None, Mode::Include).await?;
    let mut missing = 0;
    for entry in own {
        if !list.iter().any(|e| e.target == entry.target) {
            missing += 1;
            list.push(entry.clone());
        }
    }
    cloudflare
        .put_split_tunnel(None, Mode::Include, &list)
        .await?;
    Ok(missing)
}

impl ForeignWriter {
    fn start(cloudflare: Cloudflare) -> ForeignWriter {
        let stop = Arc::new(AtomicBool::new(false));
        let restored = Arc::new(AtomicUsize::new(0));
        let puts = Arc::new(AtomicUsize::new(0));
        let (stop_seen, restored_by, puts_by) = (stop.clone(), restored.clone(), puts.clone());
        let task = tokio::spawn(async move {
            let mut own: Vec<ApiEntry> = Vec::new();
            for i in 0..FOREIGN_ADDITIONS {
                own.push(foreign_entry(i));
                // The entry just added counts as missing once; anything else missing was lost.
                let missing = foreign_round(&cloudflare, &own).await?;
                restored_by.fetch_add(missing.saturating_sub(1), Ordering::SeqCst);
                puts_by.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            while !stop_seen.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let missing = foreign_round(&cloudflare, &own).await?;
            restored_by.fetch_add(missing, Ordering::SeqCst);
            puts_by.fetch_add(1, Ordering::SeqCst);
            Ok(own
                .iter()
                .map(|e| match &e.target {
                    SplitTunnelTarget::Address(a) | SplitTunnelTarget::Host(a) => a.clone(),
                })
                .collect())
        });
        ForeignWriter {
            stop,
            restored,
            puts,
            task,
        }
    }

    /// Lets it run once more and finish; its entries' addresses.
    async fn finish(self) -> anyhow::Result<(Vec<String>, usize, usize)> {
        self.stop.store(true, Ordering::SeqCst);
        let own = self.task.await??;
        Ok((
            own,
            self.restored.load(Ordering::SeqCst),
            self.puts.load(Ordering::SeqCst),
        ))
    }
}

fn put_count(emulator: &Emulator) -> u64 {
    emulator.state()["cloudflare"]["requests"]["by_method"]["PUT"]
        .as_u64()
        .unwrap_or(0)
}

/// Runs the stage.
///
/// # Errors
/// When a call fails or what is read back is not what the step should have made.
pub async fn run(side: &WarpSide<'_>) -> anyhow::Result<()> {
    let d = side.oceanid;
    heading(
        "the split tunnel as the operators left it (Include mode; the other team's entries first)",
    );
    let seeded = stored_list(side.emulator);
    print_list(&seeded);
    let protected: Vec<String> = seeded[..PROTECTED.len().min(seeded.len())].to_vec();
    ensure!(
        PROTECTED.iter().zip(&protected).all(|(p, e)| e.contains(p)),
        "the seeded list should start with the other team's entries: {seeded:?}"
    );
    println!(
        "    (the GPU node's entry is lost the way terraform-provider-cloudflare #1982's users lost \
         theirs: another tool PUTs the whole list without it; the walkthrough plays that PUT)"
    );
    let list = side.cloudflare.split_tunnel(None, Mode::Include).await?;
    let without: Vec<ApiEntry> = list
        .into_iter()
        .filter(|e| e.target != SplitTunnelTarget::Address("192.168.2.0/24".into()))
        .collect();
    side.cloudflare
        .put_split_tunnel(None, Mode::Include, &without)
        .await?;
    ensure_protected(&protected, side.emulator, "that PUT")?;

    heading("verifyPrivateAccess before: can WARP clients reach the cluster?");
    let failed = verify_private_access(d).await?;
    ensure!(
        failed == ["192.168.2.0/24 in split tunnel"],
        "before, exactly the GPU node's entry should be missing: failed {failed:?}"
    );

    heading("pulumi preview (WARP)");
    let before_preview = stored_list(side.emulator);
    let planned: Vec<(String, PropertyMap)> = OPERATORS
        .iter()
        .map(|(name, address, description)| {
            (
                (*name).to_owned(),
                entry_inputs("address", address, description, false),
            )
        })
        .collect();
    for (name, news) in &planned {
        let inputs = d.check(ENTRY, name, news.clone()).await?;
        let (_, outs) = d.create(ENTRY, name, &inputs, true).await?;
        println!("  + {name:<9} {}", show_map(&outs));
    }
    ensure!(
        stored_list(side.emulator) == before_preview,
        "preview must not write"
    );

    heading("pulumi up (WARP): the three entries, created in parallel");
    let mut tracked: Vec<Tracked> = Vec::new();
    for outcome in create_all(d, &planned).await? {
        match outcome {
            Ok(t) => {
                println!("  + {} id {}", t.name, t.id);
                tracked.push(t);
            }
            Err(refused) => println!("  ! refused: {}", refused.replace('\n', "\n      ")),
        }
    }
    ensure!(
        tracked.len() == 1 && tracked[0].name == "gpu-node",
        "only the missing GPU node entry can be created; the hand-made ones are not ours"
    );
    ensure_protected(&protected, side.emulator, "up")?;
    let (pods, pods_address, pods_description) = OPERATORS[0];
    let pods_id = format!(
        "{}/default/include/{pods_address}",
        side.cloudflare.account()
    );
    println!("    (the operators import pods, the command the refusal printed:)");
    println!("    $ pulumi import {ENTRY} {pods} {pods_id}");
    let (id, state, read_inputs) = d
        .read(
            ENTRY,
            pods,
            &pods_id,
            &PropertyMap::new(),
            &PropertyMap::new(),
        )
        .await?;
    ensure!(
        id == pods_id,
        "import of {pods_id} found nothing (id {id:?})"
    );
    println!("  = {pods} imported: {}", show_map(&state));
    // The declaration `pulumi import` generates: the inputs Read returned, account included.
    let mut generated = entry_inputs("address", pods_address, pods_description, false);
    generated.insert("accountId".into(), s(side.cloudflare.account().as_str()));
    let declared = d.check(ENTRY, pods, generated).await?;
    let drift = d
        .diff(ENTRY, pods, &id, &state, &read_inputs, &declared)
        .await?;
    println!("    the declaration pulumi import generates, against what was imported: {drift}");
    ensure!(
        drift.is_empty(),
        "an import must match the declaration: {drift}"
    );
    tracked.push(Tracked {
        ty: ENTRY,
        name: pods.to_owned(),
        id,
        inputs: declared,
        state,
    });
    println!("    (and set `adoptExisting: true` on services, and run up again)");
    let (name, address, description) = OPERATORS[1];
    let adopt = [(
        name.to_owned(),
        entry_inputs("address", address, description, true),
    )];
    for outcome in create_all(d, &adopt).await? {
        let t = outcome.map_err(|e| anyhow!("adoption refused: {e}"))?;
        println!("  + {} adopted, id {}", t.name, t.id);
        tracked.push(t);
    }
    let list = ensure_protected(&protected, side.emulator, "the import and the adoption")?;
    print_list(&list);
    for (_, address, _) in OPERATORS {
        ensure!(has(&list, address), "{address} is not in the list");
    }

    heading("pulumi up (WARP): a description changes");
    let services = tracked
        .iter_mut()
        .find(|t| t.name == "services")
        .ok_or_else(|| anyhow!("no services entry"))?;
    let mut news = services.inputs.clone();
    news.insert("description".into(), s("K3s services (ClusterIP range)"));
    let news = d.check(ENTRY, &services.name, news).await?;
    let planned_change = d
        .diff(
            ENTRY,
            &services.name,
            &services.id,
            &services.state,
            &services.inputs,
            &news,
        )
        .await?;
    println!("  ~ services: Diff -> {planned_change}");
    ensure!(
        planned_change.replaces.is_empty() && planned_change.diffs == ["description"],
        "a description change is an update in place: {planned_change}"
    );
    services.state = d
        .update(ENTRY, &services.name, &services.id, &services.state, &news)
        .await?;
    services.inputs = news;
    let list = ensure_protected(&protected, side.emulator, "the update")?;
    ensure!(
        list.iter()
            .any(|e| e.contains("K3s services (ClusterIP range)")),
        "the new description is not stored: {list:?}"
    );
    println!(
        "    emulator: {}",
        list.iter()
            .find(|e| e.contains("10.43.0.0/16"))
            .map_or("", String::as_str)
    );

    heading("a declared entry overlapping the other team's 172.20.0.0/16 is refused");
    let lab = entry_inputs("address", "172.20.8.0/24", "operators' lab", false);
    let lab = d.check(ENTRY, "lab", lab).await?;
    let before = stored_list(side.emulator);
    match d.create(ENTRY, "lab", &lab, false).await {
        Ok(_) => bail!("an entry inside a protected CIDR was created"),
        Err(status) => {
            println!("  ! lab: {}", status.message());
            ensure!(
                status.message().contains("172.20.0.0/16"),
                "the refusal should name the protected CIDR: {}",
                status.message()
            );
        }
    }
    ensure!(
        stored_list(side.emulator) == before,
        "the refused entry changed the list"
    );
    println!(
        "    emulator: the list is unchanged ({} entries)",
        before.len()
    );

    heading(
        "pulumi up (WARP) of 5 more entries while the other team's tool read-modify-writes the list",
    );
    println!("    (+20 ms on every split-tunnel call, so that their round trips and ours overlap)");
    side.admin
        .add_fault(
            &json!({"path": "/client/v4/accounts/*/devices/policy/include", "latency_ms": 20}),
        )
        .await?;
    let puts_before = put_count(side.emulator);
    // What their tool read just before our up: kept for the overlap played below.
    let stale = side.cloudflare.split_tunnel(None, Mode::Include).await?;
    let writer = ForeignWriter::start(side.cloudflare.clone());
    let later: Vec<(String, PropertyMap)> = LATER
        .iter()
        .map(|(name, kind, target)| {
            (
                (*name).to_owned(),
                entry_inputs(kind, target, &format!("operators: {name}"), false),
            )
        })
        .collect();
    let mut ours_later = Vec::new();
    for outcome in create_all(d, &later).await? {
        let t = outcome.map_err(|e| anyhow!("create during the foreign writes: {e}"))?;
        println!("  + {} id {}", t.name, t.id);
        ours_later.push(t);
    }
    let (theirs, restored, their_puts) = writer.finish().await?;
    side.admin.clear_faults().await?;
    let our_puts = put_count(side.emulator) - puts_before - their_puts as u64;
    println!(
        "    their tool: {their_puts} PUTs of the whole list, {} entries added; {}",
        theirs.len(),
        if restored == 0 {
            "none of its entries was ever missing from a list it read".to_owned()
        } else {
            format!(
                "{restored} time(s) it found one of its entries missing (a PUT of ours, made from \
                 a read taken before their write, had dropped it: Cloudflare has no \
                 compare-and-swap) and put it back on its next run"
            )
        }
    );
    println!(
        "    our up: 5 creates in {our_puts} PUT(s) (group commit: one PUT, unless a read-back \
         saw a foreign change and the commit started again from a fresh read)"
    );
    let later_keys: Vec<&str> = LATER.iter().map(|(_, _, target)| *target).collect();
    tracked.extend(ours_later);
    let list = ensure_protected(&protected, side.emulator, "the concurrent up")?;
    print_list(&list);
    for address in &theirs {
        ensure!(has(&list, address), "their entry {address} was lost");
    }
    let ours_missing: Vec<&&str> = later_keys.iter().filter(|k| !has(&list, k)).collect();
    println!(
        "    their {} entries: all present; ours: {} of 5 present{}",
        theirs.len(),
        5 - ours_missing.len(),
        if ours_missing.is_empty() {
            String::new()
        } else {
            format!(" ({ours_missing:?} removed by a write of theirs that overlapped ours)")
        }
    );

    heading("the overlap no client can prevent, played deterministically");
    println!(
        "    (Cloudflare has no compare-and-swap: their tool writes back the list it read just \
         before our up, plus its own entries)"
    );
    let mut overwrite = stale.clone();
    for i in 0..FOREIGN_ADDITIONS {
        let entry = foreign_entry(i);
        if !overwrite.iter().any(|e| e.target == entry.target) {
            overwrite.push(entry);
        }
    }
    side.cloudflare
        .put_split_tunnel(None, Mode::Include, &overwrite)
        .await?;
    let list = ensure_protected(&protected, side.emulator, "their stale write")?;
    print_list(&list);
    ensure!(
        later_keys.iter().all(|k| !has(&list, k)),
        "their stale write should have removed our 5 new entries"
    );

    heading("pulumi refresh (WARP): is every entry of ours still there?");
    let mut gone = Vec::new();
    for t in &mut tracked {
        let (id, state, read_inputs) = d.read(ENTRY, &t.name, &t.id, &t.state, &t.inputs).await?;
        if id.is_empty() {
            println!("    {:<16} GONE (refresh drops it from the state)", t.name);
            gone.push(t.name.clone());
        } else {
            let drift = d
                .diff(ENTRY, &t.name, &id, &state, &read_inputs, &t.inputs)
                .await?;
            println!("    {:<16} present, {drift}: {}", t.name, show_map(&state));
            ensure!(
                drift.is_empty(),
                "refresh found drift in {}: {drift}",
                t.name
            );
            t.state = state;
        }
    }
    let lost: Vec<&str> = LATER.iter().map(|(name, _, _)| *name).collect();
    ensure!(
        gone == lost,
        "refresh should find exactly the 5 entries their stale write removed: found {gone:?}"
    );

    heading("pulumi up (WARP): the entries refresh found gone are created again");
    let again: Vec<(String, PropertyMap)> = tracked
        .iter()
        .filter(|t| gone.contains(&t.name))
        .map(|t| (t.name.clone(), t.inputs.clone()))
        .collect();
    tracked.retain(|t| !gone.contains(&t.name));
    for outcome in create_all(d, &again).await? {
        let t = outcome.map_err(|e| anyhow!("restoring: {e}"))?;
        println!("  + {} restored, id {}", t.name, t.id);
        tracked.push(t);
    }
    let list = ensure_protected(&protected, side.emulator, "the restoring up")?;
    for t in &tracked {
        let key = plain_json(&t.inputs, "address").or_else(|_| plain_json(&t.inputs, "host"))?;
        let key = key.as_str().unwrap_or_default();
        ensure!(has(&list, key), "our entry {} ({key}) is missing", t.name);
    }
    for address in &theirs {
        ensure!(has(&list, address), "their entry {address} was lost");
    }
    println!(
        "    ours: {} of {} present; theirs: {} of {} present",
        tracked.len(),
        tracked.len(),
        theirs.len(),
        theirs.len()
    );

    heading("verifyPrivateAccess after");
    let failed = verify_private_access(d).await?;
    ensure!(
        failed.is_empty(),
        "after up every check should pass: failed {failed:?}"
    );

    heading("pulumi destroy (WARP): every entry of ours, in parallel");
    let deletes = join_all(tracked.iter().map(|t| async move {
        d.delete(ENTRY, &t.name, &t.id, &t.state)
            .await
            .map_err(|s| anyhow!("delete {}: {}", t.name, s.message()))
    }))
    .await;
    for (t, outcome) in tracked.iter().zip(deletes) {
        outcome?;
        println!("  - {} deleted", t.name);
    }
    let list = ensure_protected(&protected, side.emulator, "destroy")?;
    print_list(&list);
    ensure!(
        list.len() == protected.len() + theirs.len(),
        "destroy should leave the other team's entries only: {list:?}"
    );
    for address in &theirs {
        ensure!(
            has(&list, address),
            "their entry {address} was lost in destroy"
        );
    }
    Ok(())
}
