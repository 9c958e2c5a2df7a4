//! Single-flight reads of a list: many callers that each need "the list as it is now" share
//! one call.
//!
//! A caller asks for a list *begun after it asked*: one that started earlier may have been
//! answered before the caller's own write landed. So for each key there is at most one list in
//! flight, plus one open round collecting callers for the next: a caller joins the open round
//! (or opens it), and when the list in flight ends, the open round's list starts and every
//! caller in it gets its answer, success or error alike. A round runs on its own task, so a
//! caller that gives up (its deadline, a cancel) never strands the others, and a list that
//! panics ends its round with [`RoundError::Abandoned`] instead of leaving callers waiting.
//!
//! A start gate ([`ListRounds::start_when`]) delays each round until the gate opens (for
//! `FirewallRule`: until the provider's requests stop queueing for the API), so that a list
//! is not queued behind the very writes it verifies, and everything that arrived meanwhile joins
//! it.
//!
//! `FirewallRule` uses it to verify its creates: 500 concurrent creates on one network are read
//! back by a few shared lists instead of 500 GETs.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use futures::FutureExt;
use tokio::sync::watch;

/// Why a round gave no list.
#[derive(Debug)]
pub enum RoundError<E> {
    /// The list call failed; every caller of the round gets the same error.
    List(Arc<E>),
    /// The list ended without an answer (it panicked).
    Abandoned,
}

impl<E> Clone for RoundError<E> {
    fn clone(&self) -> Self {
        match self {
            Self::List(e) => Self::List(Arc::clone(e)),
            Self::Abandoned => Self::Abandoned,
        }
    }
}

impl<E: fmt::Display> fmt::Display for RoundError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::List(e) => e.fmt(f),
            Self::Abandoned => f.write_str("the shared list call ended without an answer"),
        }
    }
}

/// What one round answers.
pub type RoundResult<T, E> = Result<Arc<T>, RoundError<E>>;

type ListCall<T, E> =
    Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = Result<T, E>> + Send>> + Send>;

type StartGate = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The round collecting callers for the next list of one key.
struct OpenRound<T, E> {
    answer: watch::Sender<Option<RoundResult<T, E>>>,
    /// The list call of the caller that opened the round (its client, its deadline).
    list: ListCall<T, E>,
}

/// One key's rounds.
struct KeyRounds<T, E> {
    open: Option<OpenRound<T, E>>,
    /// Whether a task is running this key's rounds.
    running: bool,
}

/// Single-flight lists per key (e.g. per network): see the module docs.
pub struct ListRounds<K, T, E> {
    keys: Mutex<HashMap<K, KeyRounds<T, E>>>,
    lists_started: std::sync::atomic::AtomicU64,
    gate: Option<StartGate>,
}

impl<K, T, E> fmt::Debug for ListRounds<K, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListRounds")
            .field(
                "lists_started",
                &self
                    .lists_started
                    .load(std::sync::atomic::Ordering::Relaxed),
            )
            .finish_non_exhaustive()
    }
}

impl<K, T, E> Default for ListRounds<K, T, E> {
    fn default() -> Self {
        Self {
            keys: Mutex::new(HashMap::new()),
            lists_started: std::sync::atomic::AtomicU64::new(0),
            gate: None,
        }
    }
}

impl<K, T, E> ListRounds<K, T, E>
where
    K: Clone + Eq + Hash + Send + 'static,
    T: Send + Sync + 'static,
    E: Send + Sync + 'static,
{
    /// No rounds yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts each round only once `gate` resolves: the round stays open (and keeps collecting
    /// callers) until then.
    #[must_use]
    pub fn start_when<G, Fut>(mut self, gate: G) -> Self
    where
        G: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.gate = Some(Arc::new(move || Box::pin(gate())));
        self
    }

    /// How many list calls have started (for tests and figures).
    #[must_use]
    pub fn lists_started(&self) -> u64 {
        self.lists_started
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The list for `key` from a call that starts after this one was made, shared with every
    /// other caller waiting for the same round. `list` makes the call; it is used only when
    /// this caller opens the round.
    ///
    /// # Errors
    /// The round's list error (shared), or [`RoundError::Abandoned`].
    pub async fn fresh<F, Fut>(self: &Arc<Self>, key: K, list: F) -> RoundResult<T, E>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let mut answer = {
            let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
            let rounds = keys.entry(key.clone()).or_insert_with(|| KeyRounds {
                open: None,
                running: false,
            });
            let answer = match &rounds.open {
                Some(open) => open.answer.subscribe(),
                None => {
                    let (tx, rx) = watch::channel(None);
                    rounds.open = Some(OpenRound {
                        answer: tx,
                        list: Box::new(move || Box::pin(list())),
                    });
                    rx
                }
            };
            if !rounds.running {
                rounds.running = true;
                tokio::spawn(Arc::clone(self).run_rounds(key));
            }
            answer
        };
        match answer.wait_for(Option::is_some).await {
            Ok(value) => value.clone().unwrap_or(Err(RoundError::Abandoned)),
            Err(_) => Err(RoundError::Abandoned),
        }
    }

    /// Runs `key`'s open rounds one after the other until none is open.
    async fn run_rounds(self: Arc<Self>, key: K) {
        loop {
            if let Some(gate) = &self.gate {
                gate().await;
            }
            let round = {
                let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
                let Some(rounds) = keys.get_mut(&key) else {
                    return;
                };
                match rounds.open.take() {
                    Some(round) => round,
                    None => {
                        keys.remove(&key);
                        return;
                    }
                }
            };
            self.lists_started
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let outcome = match AssertUnwindSafe((round.list)()).catch_unwind().await {
                Ok(Ok(list)) => Ok(Arc::new(list)),
                Ok(Err(e)) => Err(RoundError::List(Arc::new(e))),
                Err(_) => Err(RoundError::Abandoned),
            };
            round.answer.send_replace(Some(outcome));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use tokio::sync::Notify;

    use super::*;

    type Rounds = ListRounds<&'static str, Vec<u32>, String>;
    type FakeList = Pin<Box<dyn Future<Output = Result<Vec<u32>, String>> + Send>>;

    /// A fake list: counts its calls, waits until released (when a gate is given), and
    /// answers the items written so far.
    #[derive(Clone, Default)]
    struct FakeApi {
        calls: Arc<AtomicUsize>,
        items: Arc<Mutex<Vec<u32>>>,
        gate: Option<Arc<Notify>>,
        fail: bool,
    }

    impl FakeApi {
        fn write(&self, item: u32) {
            self.items
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(item);
        }

        fn list(&self) -> impl FnOnce() -> FakeList + Send + 'static {
            let api = self.clone();
            move || {
                Box::pin(async move {
                    api.calls.fetch_add(1, Ordering::SeqCst);
                    // What the server holds when the list starts.
                    let snapshot = api
                        .items
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .clone();
                    if let Some(gate) = &api.gate {
                        gate.notified().await;
                    } else {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    if api.fail {
                        Err("list failed: 503 from the API (request id r-1)".to_owned())
                    } else {
                        Ok(snapshot)
                    }
                })
            }
        }
    }

    async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
        match tokio::time::timeout(Duration::from_secs(5), f).await {
            Ok(v) => v,
            Err(_) => panic!("{what} hung"),
        }
    }

    #[tokio::test]
    async fn many_concurrent_waiters_share_one_list() {
        let rounds = Arc::new(Rounds::new());
        let api = FakeApi::default();
        for i in 0..100 {
            api.write(i);
        }
        let waiters = (0..100).map(|_| rounds.fresh("net-a", api.list()));
        let answers = within("100 waiters", futures::future::join_all(waiters)).await;
        assert_eq!(api.calls.load(Ordering::SeqCst), 1);
        assert_eq!(rounds.lists_started(), 1);
        for answer in answers {
            assert_eq!(answer.map(|l| l.len()).ok(), Some(100));
        }
    }

    #[tokio::test]
    async fn a_waiter_arriving_during_a_list_waits_for_the_next_one() {
        let rounds = Arc::new(Rounds::new());
        let gate = Arc::new(Notify::new());
        let api = FakeApi {
            gate: Some(gate.clone()),
            ..FakeApi::default()
        };
        api.write(1);
        let first = tokio::spawn({
            let (rounds, list) = (rounds.clone(), api.list());
            async move { rounds.fresh("net-a", list).await }
        });
        // The first list is in flight (it has taken its snapshot: [1]).
        while api.calls.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        // Item 2 is written after that list began: its writer must not get that list.
        api.write(2);
        let second = tokio::spawn({
            let (rounds, list) = (rounds.clone(), api.list());
            async move { rounds.fresh("net-a", list).await }
        });
        tokio::task::yield_now().await;
        gate.notify_one();
        let first = within("the first waiter", first).await;
        assert_eq!(first.ok().and_then(Result::ok).as_deref(), Some(&vec![1]));
        while api.calls.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        gate.notify_one();
        let second = within("the second waiter", second).await;
        assert_eq!(
            second.ok().and_then(Result::ok).as_deref(),
            Some(&vec![1, 2]),
            "the second waiter got a list begun before its write"
        );
        assert_eq!(api.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_list_error_reaches_every_waiter_of_its_round() {
        let rounds = Arc::new(Rounds::new());
        let api = FakeApi {
            fail: true,
            ..FakeApi::default()
        };
        let waiters = (0..10).map(|_| rounds.fresh("net-a", api.list()));
        let answers = within("failing round", futures::future::join_all(waiters)).await;
        assert_eq!(api.calls.load(Ordering::SeqCst), 1);
        for answer in answers {
            match answer {
                Err(e) => assert!(e.to_string().contains("503"), "{e}"),
                Ok(_) => panic!("a waiter got a list from a failed round"),
            }
        }
        // The next round lists again (errors are not cached).
        let ok = FakeApi::default();
        ok.write(7);
        let next = within("next round", rounds.fresh("net-a", ok.list())).await;
        assert_eq!(next.ok().as_deref(), Some(&vec![7]));
    }

    #[tokio::test]
    async fn a_closed_gate_holds_the_round_open_for_later_waiters() {
        let gate = Arc::new(Notify::new());
        let opened = gate.clone();
        let rounds = Arc::new(Rounds::new().start_when(move || {
            let gate = opened.clone();
            async move { gate.notified().await }
        }));
        let api = FakeApi::default();
        api.write(1);
        let early = tokio::spawn({
            let (rounds, list) = (rounds.clone(), api.list());
            async move { rounds.fresh("net-a", list).await }
        });
        tokio::time::sleep(Duration::from_millis(30)).await;
        // Written after the early waiter joined, before the gate opened.
        api.write(2);
        let late = tokio::spawn({
            let (rounds, list) = (rounds.clone(), api.list());
            async move { rounds.fresh("net-a", list).await }
        });
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(
            api.calls.load(Ordering::SeqCst),
            0,
            "a list started with the gate closed"
        );
        gate.notify_one();
        let early = within("the early waiter", early).await;
        let late = within("the late waiter", late).await;
        assert_eq!(
            early.ok().and_then(Result::ok).as_deref(),
            Some(&vec![1, 2])
        );
        assert_eq!(late.ok().and_then(Result::ok).as_deref(), Some(&vec![1, 2]));
        assert_eq!(api.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn keys_have_their_own_rounds_and_no_waiter_hangs() {
        let rounds = Arc::new(Rounds::new());
        let a = FakeApi::default();
        let b = FakeApi::default();
        a.write(1);
        b.write(2);
        let (ra, rb) = within(
            "two networks",
            futures::future::join(
                rounds.fresh("net-a", a.list()),
                rounds.fresh("net-b", b.list()),
            ),
        )
        .await;
        assert_eq!(ra.ok().as_deref(), Some(&vec![1]));
        assert_eq!(rb.ok().as_deref(), Some(&vec![2]));
        assert_eq!(rounds.lists_started(), 2);
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_strands_no_one() {
        let rounds = Arc::new(Rounds::new());
        let api = FakeApi::default();
        api.write(3);
        // The caller that opens the round gives up after joining; the round still runs for
        // the other caller in it.
        let mut opener = Box::pin(rounds.fresh("net-a", api.list()));
        assert!(futures::poll!(&mut opener).is_pending());
        let mut other = Box::pin(rounds.fresh("net-a", api.list()));
        assert!(futures::poll!(&mut other).is_pending());
        drop(opener);
        let other = within("the remaining waiter", other).await;
        assert_eq!(other.ok().as_deref(), Some(&vec![3]));
        assert_eq!(api.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_list_that_panics_ends_its_round_and_the_next_one_runs() {
        let rounds = Arc::new(Rounds::new());
        let boom = rounds.fresh("net-a", || async {
            if true {
                panic!("list exploded");
            }
            Ok::<Vec<u32>, String>(Vec::new())
        });
        let answer = within("the panicking round", boom).await;
        assert!(matches!(answer, Err(RoundError::Abandoned)));
        let api = FakeApi::default();
        api.write(4);
        let next = within("the round after", rounds.fresh("net-a", api.list())).await;
        assert_eq!(next.ok().as_deref(), Some(&vec![4]));
    }
}
