//! The split-tunnel writer: one serialised, group-committed writer per list (account,
//! policy|default, mode) inside the process.
//!
//! Cloudflare has no per-entry endpoint and no ETag: `PUT …/include` replaces the whole list.
//! Operations on one list (ensure an entry, update its description, remove it) submitted
//! concurrently queue up while a commit runs, and the next commit takes them all in one cycle:
//!
//! 1. read the profile and confirm it is in the list's mode (else refuse: the entry would be
//!    inert, and switching modes resets the lists);
//! 2. read the list;
//! 3. change only the keys of the batch, keep every other entry byte-identical and in order;
//! 4. `PUT` it (sent once);
//! 5. read it back and verify it is exactly what was written.
//!
//! A 429, 5xx, timeout, dropped connection or a foreign change seen in the read-back starts the
//! cycle again from step 1: a stale body is never replayed. Protected CIDRs are refused before
//! any write, and a cycle that would change a protected or foreign entry is never sent.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

use super::client::Cloudflare;
use super::client_error::ClientError;
use super::ids::{AccountId, PolicyId};
use super::split_tunnel::{Mode, SplitTunnelEntry};
use super::split_tunnel_key::{DeclaredEntry, EntryKey, InvalidEntry, ProtectedCidrs};

/// How many read-merge-write cycles one commit tries before it gives up.
pub const MAX_CYCLES: u32 = 12;

/// How long a commit waits for more operations to join it, by default.
pub const DEFAULT_GATHER_WINDOW: Duration = Duration::from_millis(3);

/// One split-tunnel list: an account's profile (default or custom) and mode.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListId {
    /// The account.
    pub account: AccountId,
    /// The custom profile, or `None` for the default profile.
    pub policy: Option<PolicyId>,
    /// Which list.
    pub mode: Mode,
}

impl ListId {
    /// The id of one entry of this list: `<accountId>/<policyId|default>/<mode>/<address|host>`
    /// (also its `pulumi import` id).
    #[must_use]
    pub fn entry_id(&self, key: &EntryKey) -> String {
        format!("{self}/{key}")
    }
}

impl fmt::Display for ListId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let policy = self.policy.as_ref().map_or("default", PolicyId::as_str);
        write!(f, "{}/{policy}/{}", self.account, self.mode)
    }
}

/// What an ensure does when the list already has an entry with its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Refuse: the entry is not ours (a create).
    Refuse,
    /// Take it over, setting our description (a create with `adoptExisting`).
    Adopt,
    /// It is ours (an update); if it is gone, add it back.
    Own,
}

/// Why a write failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The declared entry is invalid or overlaps a protected network; nothing was written.
    #[error(transparent)]
    Invalid(#[from] InvalidEntry),
    /// The profile is not in the list's mode.
    #[error(
        "the device profile {list_profile} is in {actual} mode, not {wanted}: an {wanted} entry \
         would be inert, and switching a profile's mode resets its split-tunnel lists to \
         Cloudflare's defaults, so oceanid does not write it; declare the entry with mode \
         `{actual}`, or switch the profile's mode deliberately in Cloudflare's dashboard first"
    )]
    ModeMismatch {
        /// `<account>/<policy|default>`.
        list_profile: String,
        /// The list's mode.
        wanted: Mode,
        /// The profile's mode (`unknown` when it shows neither list).
        actual: String,
    },
    /// The entry exists and is not ours.
    #[error(
        "the split-tunnel list {list} already has an entry for {key} that this stack does not \
         manage; import it with `pulumi import oceanid:cloudflare:SplitTunnelEntry <name> {id}`, \
         or set `adoptExisting: true` to take it over"
    )]
    ExistsNotOurs {
        /// The list.
        list: String,
        /// The entry's key.
        key: String,
        /// The entry's id (and import id).
        id: String,
    },
    /// Cloudflare refused the call, or it failed and retrying did not help.
    #[error("{0}")]
    Client(Arc<ClientError>),
    /// The list kept changing (or the API kept failing) through every cycle.
    #[error(
        "the split-tunnel list {list} could not be written in {cycles} read-merge-write cycles: \
         {last}; nothing stale was replayed; try again later"
    )]
    GaveUp {
        /// The list.
        list: String,
        /// The cycles tried.
        cycles: u32,
        /// Why the last cycle restarted.
        last: String,
    },
}

/// What a write did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteOutcome {
    /// The entry as stored (after an ensure), or `None` (after a remove).
    pub entry: Option<SplitTunnelEntry>,
    /// How many operations the commit that served this one carried.
    pub batch_size: usize,
    /// How many read-merge-write cycles that commit ran.
    pub cycles: u32,
}

/// Counters of one writer since it was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WriterStats {
    /// Operations submitted.
    pub operations: u64,
    /// Commits (batches).
    pub commits: u64,
    /// Read-merge-write cycles.
    pub cycles: u64,
    /// List PUTs sent.
    pub puts: u64,
    /// Cycles restarted after a retryable failure or a foreign change.
    pub restarts: u64,
    /// Read-backs that differed from what was written (another writer between PUT and read).
    pub foreign_changes_seen: u64,
}

#[derive(Default)]
struct Counters {
    operations: AtomicU64,
    commits: AtomicU64,
    cycles: AtomicU64,
    puts: AtomicU64,
    restarts: AtomicU64,
    foreign_changes_seen: AtomicU64,
}

#[derive(Clone, Debug)]
enum Change {
    Ensure(DeclaredEntry, Existing),
    Remove(EntryKey),
}

impl Change {
    fn key(&self) -> &EntryKey {
        match self {
            Change::Ensure(entry, _) => &entry.key,
            Change::Remove(key) => key,
        }
    }
}

struct Pending {
    change: Change,
    /// Set once a PUT carrying this change was sent: a later cycle may find it already applied.
    maybe_written: bool,
    reply: oneshot::Sender<Result<WriteOutcome, WriteError>>,
}

#[derive(Default)]
struct ListQueue {
    pending: Mutex<Vec<Pending>>,
    commit: tokio::sync::Mutex<()>,
}

/// The group-committing split-tunnel writer. Share one per process (it is cheap to clone).
#[derive(Clone)]
pub struct SplitTunnelWriter {
    inner: Arc<WriterInner>,
}

struct WriterInner {
    client: Cloudflare,
    protected: ProtectedCidrs,
    gather: Duration,
    lists: Mutex<HashMap<ListId, Arc<ListQueue>>>,
    counters: Counters,
}

impl fmt::Debug for SplitTunnelWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SplitTunnelWriter")
            .field("client", &self.inner.client)
            .field("protected", &self.inner.protected)
            .finish_non_exhaustive()
    }
}

/// Why a cycle did not finish.
enum CycleError {
    /// Start again from the read (after the wait, if Cloudflare asked for one).
    Restart(String, Option<Duration>),
    /// Every operation of the batch fails with this.
    Fatal(WriteError),
}

fn from_client(error: ClientError) -> CycleError {
    if error.is_retryable() {
        let wait = error.retry_after();
        CycleError::Restart(error.to_string(), wait)
    } else {
        CycleError::Fatal(WriteError::Client(Arc::new(error)))
    }
}

impl SplitTunnelWriter {
    /// A writer using `client` (its account is the default; each [`ListId`] names its own), that
    /// refuses anything overlapping `protected`.
    #[must_use]
    pub fn new(client: Cloudflare, protected: ProtectedCidrs) -> SplitTunnelWriter {
        SplitTunnelWriter {
            inner: Arc::new(WriterInner {
                client,
                protected,
                gather: DEFAULT_GATHER_WINDOW,
                lists: Mutex::new(HashMap::new()),
                counters: Counters::default(),
            }),
        }
    }

    /// How long a commit waits for more operations to join before it reads (default 3 ms).
    #[must_use]
    pub fn with_gather_window(self, gather: Duration) -> SplitTunnelWriter {
        let inner = Arc::try_unwrap(self.inner).unwrap_or_else(|shared| WriterInner {
            client: shared.client.clone(),
            protected: shared.protected.clone(),
            gather,
            lists: Mutex::new(HashMap::new()),
            counters: Counters::default(),
        });
        SplitTunnelWriter {
            inner: Arc::new(WriterInner { gather, ..inner }),
        }
    }

    /// The client the writer uses.
    #[must_use]
    pub fn client(&self) -> &Cloudflare {
        &self.inner.client
    }

    /// The protected networks.
    #[must_use]
    pub fn protected(&self) -> &ProtectedCidrs {
        &self.inner.protected
    }

    /// The counters since the writer was made.
    #[must_use]
    pub fn stats(&self) -> WriterStats {
        let c = &self.inner.counters;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        WriterStats {
            operations: load(&c.operations),
            commits: load(&c.commits),
            cycles: load(&c.cycles),
            puts: load(&c.puts),
            restarts: load(&c.restarts),
            foreign_changes_seen: load(&c.foreign_changes_seen),
        }
    }

    /// Make sure `entry` is in `list` with its description.
    ///
    /// # Errors
    /// [`WriteError`]: a protected overlap (before any write), the profile in the other mode,
    /// an existing entry not ours (with `Existing::Refuse`), Cloudflare's refusal, or a list
    /// that kept changing.
    pub async fn ensure(
        &self,
        list: &ListId,
        entry: DeclaredEntry,
        existing: Existing,
    ) -> Result<WriteOutcome, WriteError> {
        self.submit(list, Change::Ensure(entry, existing)).await
    }

    /// Remove the entry with `key` from `list` (nothing to do when it is not there).
    ///
    /// # Errors
    /// As [`ensure`](Self::ensure).
    pub async fn remove(&self, list: &ListId, key: EntryKey) -> Result<WriteOutcome, WriteError> {
        self.submit(list, Change::Remove(key)).await
    }

    /// The entry with `key` in `list`, if it is there (a plain read, not queued).
    ///
    /// # Errors
    /// Cloudflare's error.
    pub async fn find(
        &self,
        list: &ListId,
        key: &EntryKey,
    ) -> Result<Option<SplitTunnelEntry>, ClientError> {
        let client = self.inner.client.for_account(list.account.clone());
        let entries = client.split_tunnel(list.policy.as_ref(), list.mode).await?;
        Ok(entries
            .into_iter()
            .find(|e| EntryKey::of(e).as_ref() == Some(key)))
    }

    fn queue(&self, list: &ListId) -> Arc<ListQueue> {
        let mut lists = self
            .inner
            .lists
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(lists.entry(list.clone()).or_default())
    }

    async fn submit(&self, list: &ListId, change: Change) -> Result<WriteOutcome, WriteError> {
        if let EntryKey::Address(net) = change.key()
            && let Some(p) = self.inner.protected.overlapping(net)
        {
            return Err(WriteError::Invalid(InvalidEntry::protected(net, p)));
        }
        self.inner
            .counters
            .operations
            .fetch_add(1, Ordering::Relaxed);
        let queue = self.queue(list);
        let (reply, answer) = oneshot::channel();
        queue
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Pending {
                change,
                maybe_written: false,
                reply,
            });
        {
            let _turn = queue.commit.lock().await;
            if !self.inner.gather.is_zero() {
                tokio::time::sleep(self.inner.gather).await;
            }
            let batch =
                std::mem::take(&mut *queue.pending.lock().unwrap_or_else(PoisonError::into_inner));
            if !batch.is_empty() {
                self.commit(list, batch).await;
            }
        }
        answer.await.unwrap_or_else(|_| {
            Err(WriteError::GaveUp {
                list: list.to_string(),
                cycles: 0,
                last: "the commit carrying this operation was cancelled".into(),
            })
        })
    }

    async fn commit(&self, list: &ListId, mut batch: Vec<Pending>) {
        let counters = &self.inner.counters;
        counters.commits.fetch_add(1, Ordering::Relaxed);
        let client = self.inner.client.for_account(list.account.clone());
        let mut cycles = 0;
        let mut last = String::new();
        let result = loop {
            if cycles == MAX_CYCLES {
                break Err(WriteError::GaveUp {
                    list: list.to_string(),
                    cycles,
                    last,
                });
            }
            cycles += 1;
            counters.cycles.fetch_add(1, Ordering::Relaxed);
            match self.cycle(&client, list, &mut batch).await {
                Ok(stored) => break Ok(stored),
                Err(CycleError::Fatal(e)) => break Err(e),
                Err(CycleError::Restart(reason, wait)) => {
                    counters.restarts.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(%list, cycles, reason, "split-tunnel cycle restarts from the read");
                    last = reason;
                    tokio::time::sleep(wait.unwrap_or_else(|| backoff(cycles))).await;
                }
            }
        };
        let batch_size = batch.len();
        for (i, pending) in batch.into_iter().enumerate() {
            let outcome = match &result {
                Err(e) => Err(e.clone()),
                Ok(done) => match done.refused.get(&i) {
                    Some(e) => Err(e.clone()),
                    None => Ok(WriteOutcome {
                        entry: match &pending.change {
                            Change::Ensure(entry, _) => done
                                .stored
                                .iter()
                                .find(|s| EntryKey::of(s).as_ref() == Some(&entry.key))
                                .cloned(),
                            Change::Remove(_) => None,
                        },
                        batch_size,
                        cycles,
                    }),
                },
            };
            // The submitter may have gone (its caller cancelled); nothing to tell it then.
            let _ = pending.reply.send(outcome);
        }
    }

    /// One read-merge-write-verify cycle; on success, each operation's own result and the
    /// list as stored.
    async fn cycle(
        &self,
        client: &Cloudflare,
        list: &ListId,
        batch: &mut [Pending],
    ) -> Result<CycleResult, CycleError> {
        let profile = client
            .profile(list.policy.as_ref())
            .await
            .map_err(from_client)?;
        if profile.mode() != Some(list.mode) {
            let policy = list.policy.as_ref().map_or("default", PolicyId::as_str);
            return Err(CycleError::Fatal(WriteError::ModeMismatch {
                list_profile: format!("{}/{policy}", list.account),
                wanted: list.mode,
                actual: profile
                    .mode()
                    .map_or_else(|| "unknown".to_owned(), |m| m.to_string()),
            }));
        }
        let current = client
            .split_tunnel(list.policy.as_ref(), list.mode)
            .await
            .map_err(from_client)?;
        let (next, refused) = merge(list, &current, batch);
        if next == current {
            return Ok(CycleResult {
                stored: current,
                refused,
            });
        }
        self.guard(list, &current, &next, batch)?;
        for (i, pending) in batch.iter_mut().enumerate() {
            if !refused.contains_key(&i) {
                pending.maybe_written = true;
            }
        }
        self.inner.counters.puts.fetch_add(1, Ordering::Relaxed);
        client
            .put_split_tunnel(list.policy.as_ref(), list.mode, &next)
            .await
            .map_err(from_client)?;
        let read_back = client
            .split_tunnel(list.policy.as_ref(), list.mode)
            .await
            .map_err(from_client)?;
        if read_back != next {
            self.inner
                .counters
                .foreign_changes_seen
                .fetch_add(1, Ordering::Relaxed);
            return Err(CycleError::Restart(
                "the list read back differs from the list written (another writer changed it)"
                    .into(),
                None,
            ));
        }
        Ok(CycleResult {
            stored: read_back,
            refused,
        })
    }

    /// Refuse a list that would change anything but the batch's keys: every other entry must be
    /// byte-identical and in the same order, protected entries above all.
    fn guard(
        &self,
        list: &ListId,
        current: &[SplitTunnelEntry],
        next: &[SplitTunnelEntry],
        batch: &[Pending],
    ) -> Result<(), CycleError> {
        let ours = |e: &&SplitTunnelEntry| {
            EntryKey::of(e).is_some_and(|k| batch.iter().any(|p| p.change.key() == &k))
                && !self.inner.protected.protects(e)
        };
        let others = |list: &[SplitTunnelEntry]| -> Vec<SplitTunnelEntry> {
            list.iter().filter(|e| !ours(e)).cloned().collect()
        };
        if others(current) == others(next) {
            Ok(())
        } else {
            Err(CycleError::Fatal(WriteError::GaveUp {
                list: list.to_string(),
                cycles: 0,
                last: "refused to write a list that changes an entry oceanid does not own".into(),
            }))
        }
    }
}

/// A finished cycle: the list as stored, and the operations refused (by index).
struct CycleResult {
    stored: Vec<SplitTunnelEntry>,
    refused: HashMap<usize, WriteError>,
}

/// The list with the batch applied, in submission order; operations refused, by index.
fn merge(
    list: &ListId,
    current: &[SplitTunnelEntry],
    batch: &[Pending],
) -> (Vec<SplitTunnelEntry>, HashMap<usize, WriteError>) {
    let mut next = current.to_vec();
    let mut refused = HashMap::new();
    for (i, pending) in batch.iter().enumerate() {
        let position = |next: &[SplitTunnelEntry], key: &EntryKey| {
            next.iter()
                .position(|e| EntryKey::of(e).as_ref() == Some(key))
        };
        match &pending.change {
            Change::Ensure(entry, existing) => match position(&next, &entry.key) {
                Some(at) => {
                    let was_there = position(current, &entry.key).is_some();
                    let ours = *existing != Existing::Refuse || pending.maybe_written || !was_there;
                    if ours {
                        next[at].description = Some(entry.description.clone());
                    } else {
                        refused.insert(
                            i,
                            WriteError::ExistsNotOurs {
                                list: list.to_string(),
                                key: entry.key.to_string(),
                                id: list.entry_id(&entry.key),
                            },
                        );
                    }
                }
                None => next.push(SplitTunnelEntry {
                    target: entry.key.target(),
                    description: Some(entry.description.clone()),
                    other: serde_json::Map::new(),
                }),
            },
            Change::Remove(key) => {
                if let Some(at) = position(&next, key) {
                    next.remove(at);
                }
            }
        }
    }
    (next, refused)
}

/// The wait before cycle `cycles + 1` when Cloudflare did not say: 50 ms doubling, at most 2 s.
fn backoff(cycles: u32) -> Duration {
    Duration::from_millis(50u64.saturating_mul(1 << cycles.min(6))).min(Duration::from_secs(2))
}
