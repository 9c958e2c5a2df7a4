//! Pods whose containers crash-loop: waiting in `CrashLoopBackOff`, or restarted
//! [`RESTART_THRESHOLD`] times or more after terminating with an error.

use k8s_openapi::api::core::v1::Pod;
use serde::{Deserialize, Serialize};

/// Restarts from which a container that last terminated with an error counts as crash-looping
/// even when it is running at the moment.
pub const RESTART_THRESHOLD: i32 = 5;
/// How many characters of the last termination message a report keeps (its tail).
pub const MESSAGE_TAIL_CHARS: usize = 200;

/// One crash-looping container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CrashLoop {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod.
    pub pod: String,
    /// The node it is scheduled on, when scheduled.
    pub node: Option<String>,
    /// The container (init containers included).
    pub container: String,
    /// Its restart count.
    pub restarts: i32,
    /// `CrashLoopBackOff` while waiting, else the current state (`running`, …).
    pub state: String,
    /// The last termination's reason (`Error`, `OOMKilled`, …).
    pub last_reason: Option<String>,
    /// The last termination's exit code.
    pub last_exit_code: Option<i32>,
    /// The end of the last termination's message (its last 200 characters at most).
    pub last_message: Option<String>,
}

/// Every crash-looping container of `pods`, by namespace, pod and container.
pub fn crash_loops(pods: &[Pod]) -> Vec<CrashLoop> {
    let mut out = Vec::new();
    for pod in pods {
        let Some(status) = &pod.status else { continue };
        let statuses = status
            .init_container_statuses
            .iter()
            .flatten()
            .chain(status.container_statuses.iter().flatten());
        for cs in statuses {
            let waiting = cs.state.as_ref().and_then(|s| s.waiting.as_ref());
            let in_backoff = waiting.and_then(|w| w.reason.as_deref()) == Some("CrashLoopBackOff");
            let last = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref());
            let failed_before = last.is_some_and(|t| t.exit_code != 0);
            if !(in_backoff || (cs.restart_count >= RESTART_THRESHOLD && failed_before)) {
                continue;
            }
            let state = if in_backoff {
                "CrashLoopBackOff".to_owned()
            } else if let Some(w) = waiting {
                w.reason.clone().unwrap_or_else(|| "waiting".to_owned())
            } else if cs.state.as_ref().is_some_and(|s| s.running.is_some()) {
                "running".to_owned()
            } else {
                "terminated".to_owned()
            };
            out.push(CrashLoop {
                namespace: pod.metadata.namespace.clone().unwrap_or_default(),
                pod: pod.metadata.name.clone().unwrap_or_default(),
                node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
                container: cs.name.clone(),
                restarts: cs.restart_count,
                state,
                last_reason: last.and_then(|t| t.reason.clone()),
                last_exit_code: last.map(|t| t.exit_code),
                last_message: last.and_then(|t| t.message.as_deref()).map(tail),
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.namespace, &a.pod, &a.container).cmp(&(&b.namespace, &b.pod, &b.container))
    });
    out
}

fn tail(message: &str) -> String {
    let trimmed = message.trim();
    let count = trimmed.chars().count();
    if count <= MESSAGE_TAIL_CHARS {
        trimmed.to_owned()
    } else {
        let kept: String = trimmed.chars().skip(count - MESSAGE_TAIL_CHARS).collect();
        format!("…{kept}")
    }
}

impl CrashLoop {
    /// One line: `apps/labelfish-7c9 container api on srv712695: 12 restarts, last Error (exit 1): …`.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{}/{} container {} on {}: {} restarts, {}",
            self.namespace,
            self.pod,
            self.container,
            self.node.as_deref().unwrap_or("(unscheduled)"),
            self.restarts,
            self.state
        );
        if let Some(reason) = &self.last_reason {
            line.push_str(&format!(", last {reason}"));
        }
        if let Some(code) = self.last_exit_code {
            line.push_str(&format!(" (exit {code})"));
        }
        if let Some(message) = &self.last_message {
            line.push_str(&format!(": {message}"));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(restarts: i32, state: serde_json::Value, last_exit: Option<i32>, message: &str) -> Pod {
        let last = last_exit.map(|code| serde_json::json!({ "terminated": { "exitCode": code, "reason": "Error", "message": message } }));
        serde_json::from_value(serde_json::json!({
            "metadata": { "name": "api-1", "namespace": "apps" },
            "spec": { "nodeName": "srv712695", "containers": [ { "name": "api" } ] },
            "status": { "containerStatuses": [ {
                "name": "api", "image": "x", "imageID": "", "ready": false, "restartCount": restarts,
                "state": state, "lastState": last.unwrap_or_else(|| serde_json::json!({}))
            } ] }
        }))
        .expect("pod")
    }

    #[test]
    fn backoff_or_repeated_failed_restarts_count_and_a_clean_restart_does_not() {
        let running = serde_json::json!({ "running": {} });
        let backoff = serde_json::json!({ "waiting": { "reason": "CrashLoopBackOff" } });
        assert_eq!(crash_loops(&[pod(1, backoff, Some(1), "boom")]).len(), 1);
        let flapping = crash_loops(&[pod(RESTART_THRESHOLD, running.clone(), Some(2), "boom")]);
        assert_eq!(flapping.len(), 1);
        assert_eq!(flapping[0].state, "running");
        assert!(
            crash_loops(&[pod(RESTART_THRESHOLD - 1, running.clone(), Some(2), "boom")]).is_empty()
        );
        assert!(
            crash_loops(&[pod(50, running, Some(0), "done")]).is_empty(),
            "exit 0 is not a crash"
        );
    }

    #[test]
    fn the_message_keeps_its_tail() {
        let long = format!("{}the real cause", "x".repeat(500));
        let found = crash_loops(&[pod(
            3,
            serde_json::json!({ "waiting": { "reason": "CrashLoopBackOff" } }),
            Some(1),
            &long,
        )]);
        let message = found[0].last_message.as_deref().expect("message");
        assert!(
            message.ends_with("the real cause")
                && message.chars().count() == MESSAGE_TAIL_CHARS + 1,
            "{message}"
        );
        assert!(found[0].summary().starts_with("apps/api-1 container api on srv712695: 3 restarts, CrashLoopBackOff, last Error (exit 1): …"));
    }
}
