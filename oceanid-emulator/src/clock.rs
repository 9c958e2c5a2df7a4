//! Timestamps as the API writes them (RFC 3339, UTC, whole seconds).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The creation time of every seeded object, so the seed is the same in every run.
pub(crate) const SEED_TIME: &str = "2024-01-01T00:00:00Z";

/// The current time in RFC 3339.
pub(crate) fn now_rfc3339() -> String {
    let now = OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&Rfc3339)
        .unwrap_or_else(|_| SEED_TIME.to_owned())
}

/// Whether `s` is an RFC 3339 date-time.
pub(crate) fn is_rfc3339(s: &str) -> bool {
    OffsetDateTime::parse(s, &Rfc3339).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_rfc3339() {
        let now = now_rfc3339();
        assert!(is_rfc3339(&now), "{now}");
        assert!(now.ends_with('Z'), "{now}");
        assert!(is_rfc3339(SEED_TIME));
    }
}
