//! Waiting for a cluster to be ready with no operation ongoing: the polling loop, its
//! progress reports, and the error when it stops early.

use std::time::{Duration, Instant};

use oceanid_core::crunchybridge::{
    Bridge, Cluster as ApiCluster, ClusterId, ClusterState as BridgeState, Error as BridgeError,
};

use crate::clients::Clients;
use crate::pulumi::{Context, ResourceError};

use super::args::ClusterArgs;
use super::mapping::{state_name, state_of};

/// The first interval between two status polls; it grows by half each time.
const FIRST_POLL: Duration = Duration::from_millis(250);

/// The longest interval between two status polls.
const MAX_POLL: Duration = Duration::from_secs(10);

pub(super) fn is_settled(c: &ApiCluster) -> bool {
    c.state.as_ref().is_some_and(BridgeState::is_ready)
        && c.ongoing_operations.as_ref().is_none_or(Vec::is_empty)
}

/// Why waiting for a cluster stopped before it was done.
#[derive(Debug)]
pub(super) enum Stopped {
    /// The cluster reached a state it does not leave by itself.
    Terminal(String),
    /// The deadline came first; the last state seen.
    Deadline(String),
    /// The engine cancelled; the last state seen.
    Cancelled(String),
    /// The cluster no longer exists.
    Gone,
    /// Polling failed.
    Api(BridgeError),
}

/// Polls the cluster until it is `ready` with no operation ongoing and `done` holds,
/// reporting progress as `doing`; stops at a terminal state, the deadline or cancellation.
pub(super) async fn wait_until(
    cx: &Context<Clients>,
    bridge: &Bridge,
    id: &ClusterId,
    doing: &str,
    done: impl Fn(&ApiCluster) -> bool,
) -> Result<ApiCluster, Stopped> {
    let clusters = bridge.clusters();
    let started = Instant::now();
    let mut interval = FIRST_POLL;
    let mut last = "unknown".to_owned();
    loop {
        match clusters.status(id).await {
            Ok(status) => {
                let state = status.state.clone();
                last = state_name(state.as_ref());
                if state.as_ref().is_some_and(BridgeState::is_terminal_failure) {
                    return Err(Stopped::Terminal(last));
                }
                let operations: Vec<String> = status
                    .ongoing_upgrade
                    .as_ref()
                    .map(|u| {
                        u.operations
                            .iter()
                            .map(|op| format!("{} {}", op.flavor, op.state))
                            .collect()
                    })
                    .unwrap_or_default();
                if state.as_ref().is_some_and(BridgeState::is_ready) && operations.is_empty() {
                    match clusters.get_opt(id).await {
                        Ok(Some(c)) if is_settled(&c) && done(&c) => return Ok(c),
                        Ok(Some(_)) => {}
                        Ok(None) => return Err(Stopped::Gone),
                        Err(e) if e.is_timeout() => return Err(Stopped::Deadline(last)),
                        Err(e) => return Err(Stopped::Api(e)),
                    }
                }
                let ops = if operations.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", operations.join(", "))
                };
                cx.progress(&format!(
                    "{doing}: state {last}{ops}, {} s elapsed",
                    started.elapsed().as_secs()
                ));
            }
            Err(e) if e.is_not_found() => return Err(Stopped::Gone),
            Err(e) if e.is_timeout() => return Err(Stopped::Deadline(last)),
            Err(e) => return Err(Stopped::Api(e)),
        }
        let remaining = cx.remaining();
        if remaining.is_zero() {
            return Err(Stopped::Deadline(last));
        }
        tokio::select! {
            () = cx.cancellation().cancelled() => return Err(Stopped::Cancelled(last)),
            () = tokio::time::sleep(interval.min(remaining)) => {}
        }
        interval = (interval * 3 / 2).min(MAX_POLL);
    }
}

/// The error for a wait that stopped short. The cluster exists, so everything but its
/// disappearance is an init-failed error: the engine keeps the cluster (with `snapshot`'s
/// state) and the next `pulumi up` resumes, or `pulumi destroy` deletes it.
pub(super) fn stopped_error(
    stopped: Stopped,
    snapshot: &ApiCluster,
    prior: &ClusterArgs,
    doing: &str,
    urn: &str,
) -> ResourceError {
    let id = snapshot.id.to_string();
    let name = &snapshot.name;
    let mut state = state_of(snapshot, Some(prior));
    let reason = match stopped {
        Stopped::Gone => {
            return ResourceError::msg(format!(
                "cluster {id} ({name}) disappeared while {doing}: it was deleted outside \
                 Pulumi. Run `pulumi refresh` to drop it from the stack; the next `pulumi up` \
                 then creates a new one"
            ));
        }
        Stopped::Terminal(s) => {
            state.state = Some(s.clone());
            format!(
                "cluster {id} ({name}) is {s} while {doing}, and Bridge will not finish it. It \
                 stays in the stack so that `pulumi destroy` deletes it; to try again, run \
                 `pulumi up --replace {urn}` (and give Crunchy Bridge support the cluster id \
                 {id} if it keeps failing)"
            )
        }
        Stopped::Deadline(s) => {
            state.state = Some(s.clone());
            format!(
                "cluster {id} ({name}) is still {s}: the timeout passed while {doing}. It stays \
                 in the stack, and the next `pulumi up` resumes waiting instead of creating \
                 another; to wait longer in one run, raise the resource option \
                 `customTimeouts`"
            )
        }
        Stopped::Cancelled(s) => {
            state.state = Some(s.clone());
            format!(
                "cancelled while {doing}; cluster {id} ({name}) exists (state {s}), stays in \
                 the stack, and the next `pulumi up` resumes waiting"
            )
        }
        Stopped::Api(e) => format!(
            "cluster {id} ({name}) exists, but checking on it while {doing} failed: {e}. It \
             stays in the stack, and the next `pulumi up` resumes"
        ),
    };
    ResourceError::init_failed(id, &state, vec![reason])
}
