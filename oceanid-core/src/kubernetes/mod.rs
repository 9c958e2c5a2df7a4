//! The Kubernetes side (cargo feature `kubernetes`, on kube-rs): nodes and the egress address
//! Crunchy Bridge sees from each, crash-looping pods, Flux health, and the Helm ownership
//! preflight with its fix plan.
//!
//! A [`Kubernetes`] handle is built from a kubeconfig ([`KubeconfigSource`]: a path, content, or
//! `KUBECONFIG` → `~/.kube/config` → in-cluster) and an optional context. Every operation reads
//! with one `list` call per kind, paged with `limit`/`continue` ([`PAGE_SIZE`]), never a GET per
//! object, and returns a typed report (serde, camelCase) holding named [`Check`]s with `ok` and
//! `detail`, so a Pulumi function can return it as is.
//!
//! Every response body is capped at [`MAX_RESPONSE_BYTES`]: a tower layer wraps kube-rs's stack
//! and limits each body with `http_body_util::Limited`, so a wrong server URL or a proxy page
//! fails with [`Error::ResponseTooLarge`] instead of filling memory. Errors name the server and,
//! for 401/403, the verb and resource RBAC must allow; an unreachable server names the likely
//! cause (VPN/WARP not connected, wrong kubeconfig or context).
//!
//! This crate enables no `k8s-openapi` version feature: the final binary picks one (oceanid's
//! binaries and tests use `v1_33`).
//!
//! ```no_run
//! # async fn example() -> Result<(), oceanid_core::kubernetes::Error> {
//! use oceanid_core::kubernetes::{KubeconfigSource, Kubernetes};
//!
//! let cluster = Kubernetes::connect(&KubeconfigSource::Path("/etc/rancher/k3s/k3s.yaml".into()), Some("default")).await?;
//! for node in cluster.nodes().await?.nodes {
//!     match &node.egress_address {
//!         Some(addr) => println!("{}: allow {addr}/32 ({})", node.name, node.egress_detail),
//!         None => println!("{}: {}", node.name, node.egress_detail),
//!     }
//! }
//! let flux = cluster.flux_health().await?;
//! let preflight = cluster.preflight().await?;
//! println!("flux healthy: {}, safe to deploy: {}", flux.ok, preflight.ok);
//! # Ok(())
//! # }
//! ```

mod api_call;
mod cluster;
mod config;
mod crash_loops;
mod error;
mod flux_health;
mod flux_objects;
mod helm_storage;
mod nodes;
mod paging;
mod preflight;
mod routability;

pub use self::cluster::{FixOutcome, Kubernetes, SCANNED_KINDS};
pub use self::config::{KubeconfigSource, MAX_RESPONSE_BYTES};
pub use self::crash_loops::{CrashLoop, MESSAGE_TAIL_CHARS, RESTART_THRESHOLD, crash_loops};
pub use self::error::{Error, MAX_ERROR_DETAIL_CHARS};
pub use self::flux_health::{
    ControllerStatus, FLUX_CONTROLLERS, FLUX_PART_OF_SELECTOR, FluxHealthReport, FluxObjectStatus,
    FluxObjects, flux_health_report,
};
pub use self::flux_objects::{
    Artifact, FluxCondition, FluxKind, FluxObject, FluxSpec, FluxStatus, ReleaseSnapshot, SourceRef,
};
pub use self::helm_storage::{
    MAX_RELEASE_JSON_BYTES, RELEASE_SECRET_LABELS, RELEASE_SECRET_TYPE, StoredRelease,
    decode_release_secret,
};
pub use self::nodes::{
    EGRESS_ANNOTATION, EgressSource, K3S_EXTERNAL_IP, K3S_INTERNAL_IP, NodeReport, NodesReport,
    nodes_report,
};
pub use self::paging::PAGE_SIZE;
pub use self::preflight::{
    FLUX_HELM_NAME_LABEL, FLUX_HELM_NAMESPACE_LABEL, Finding, FindingCategory, FixAction, FixKind,
    MANAGED_BY_HELM_SELECTOR, MANAGED_BY_LABEL, ManagedObject, ObjectRef, PreflightInput,
    PreflightReport, RELEASE_NAME_ANNOTATION, RELEASE_NAMESPACE_ANNOTATION, Severity,
    preflight_report,
};
pub use self::routability::{NOT_GLOBAL, is_globally_routable, non_global_reason};
use crate::report;
pub use crate::report::{Check, failed};
