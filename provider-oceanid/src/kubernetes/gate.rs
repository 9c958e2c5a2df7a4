//! `failOnError`: the argument every check function takes, and turning a failed report into a
//! failed invocation that lists every failed check.

use oceanid_core::kubernetes::{Check, failed};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::pulumi::ResourceError;

/// The arguments of a check function.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckArgs {
    /// Whether a failed check fails the invocation (and so the deployment), with every failed
    /// check listed. Defaults to `false`: the report comes back with `ok: false` for the
    /// program to act on.
    #[serde(default)]
    pub fail_on_error: bool,
}

/// The report itself, or (with `failOnError` and a failed check) an error listing every failed
/// check as `name: detail`.
///
/// # Errors
/// When `fail_on_error` is set and `ok` is false.
pub fn gate<R>(
    args: &CheckArgs,
    what: &str,
    server: &str,
    ok: bool,
    checks: &[Check],
    report: R,
) -> Result<R, ResourceError> {
    if !args.fail_on_error || ok {
        return Ok(report);
    }
    let lines: Vec<String> = failed(checks)
        .map(|c| format!("\n  - {}: {}", c.name, c.detail))
        .collect();
    Err(ResourceError::msg(format!(
        "{what} of {server} failed {} check(s) (failOnError is set):{}",
        lines.len(),
        lines.concat()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fails_when_asked_and_lists_every_failed_check() {
        let checks = [
            Check::new("controller helm-controller", false, "0/1 available"),
            Check::new("controller source-controller", true, "1/1 available"),
            Check::new("Kustomization flux-system/apps", false, "Ready=False"),
        ];
        let lenient = CheckArgs::default();
        assert_eq!(
            gate(&lenient, "Flux health", "https://k", false, &checks, 7).unwrap(),
            7
        );
        let strict = CheckArgs {
            fail_on_error: true,
        };
        assert_eq!(
            gate(&strict, "Flux health", "https://k", true, &checks, 7).unwrap(),
            7
        );
        let message = gate(&strict, "Flux health", "https://k", false, &checks, 7)
            .unwrap_err()
            .to_string();
        assert!(message.contains("failed 2 check(s)"), "{message}");
        assert!(
            message.contains("controller helm-controller: 0/1 available"),
            "{message}"
        );
        assert!(
            message.contains("Kustomization flux-system/apps: Ready=False"),
            "{message}"
        );
        assert!(!message.contains("source-controller"), "{message}");
    }
}
