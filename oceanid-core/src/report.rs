//! The shape every report shares (Kubernetes health, WARP private access): named checks, each
//! `ok` or not with a `detail`.

use serde::{Deserialize, Serialize};

/// One named check of a report, as a Pulumi function returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// What was checked, e.g. `node srv712429 egress` or `controller source-controller`.
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found, and on failure how to fix it.
    pub detail: String,
}

impl Check {
    /// A check with the given outcome.
    #[must_use]
    pub fn new(name: impl Into<String>, ok: bool, detail: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ok,
            detail: detail.into(),
        }
    }
}

/// The failed checks of a list.
pub fn failed(checks: &[Check]) -> impl Iterator<Item = &Check> {
    checks.iter().filter(|c| !c.ok)
}
