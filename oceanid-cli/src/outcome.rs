//! What a command produced: its output and its exit status.

use serde::Serialize;

/// The exit status contract: 0 ok, 1 blocking/unhealthy/missing, 2 could not check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything checked passed (0).
    Ok,
    /// Something blocks, is unhealthy or missing (1).
    Failed,
    /// The check could not run (2).
    CouldNotCheck,
}

impl Status {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Failed => 1,
            Status::CouldNotCheck => 2,
        }
    }

    /// `Ok` when `ok`, else `Failed`.
    pub fn from_ok(ok: bool) -> Self {
        if ok { Status::Ok } else { Status::Failed }
    }
}

/// What to print and how to exit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The exit status.
    pub status: Status,
}

impl Outcome {
    /// A report: JSON or the rendered table on stdout.
    pub fn report<R: Serialize>(
        json: bool,
        report: &R,
        table: impl FnOnce() -> String,
        status: Status,
    ) -> Self {
        let stdout = if json {
            match serde_json::to_string_pretty(report) {
                Ok(text) => format!("{text}\n"),
                Err(e) => {
                    return Self::could_not_check(
                        json,
                        &format!("cannot encode the report as JSON: {e}"),
                    );
                }
            }
        } else {
            table()
        };
        Self {
            stdout,
            stderr: String::new(),
            status,
        }
    }

    /// The check could not run: the reason on stderr (and as `{"ok":false,"error":…}` on stdout
    /// with `--json`), exit 2.
    pub fn could_not_check(json: bool, reason: &str) -> Self {
        let stdout = if json {
            format!("{}\n", serde_json::json!({ "ok": false, "error": reason }))
        } else {
            String::new()
        };
        Self {
            stdout,
            stderr: format!("oceanid: could not check: {reason}\n"),
            status: Status::CouldNotCheck,
        }
    }
}
