//! Zones and DNS records. Names are stored fully qualified (`@` and relative names get the zone's
//! name); an identical record is 81058, the same record with other settings 81057, an A/AAAA/TXT
//! next to a CNAME of the same name (or the reverse) 1003, a missing record 81044.

use std::cmp::Ordering;
use std::net::{Ipv4Addr, Ipv6Addr};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::query::ListQuery;
use super::{App, absent_fields, check_length, set_if_some};
use crate::clock::now_rfc3339;
use crate::cloudflare::envelope::{CfError, CfResult, code, ok, ok_page};
use crate::cloudflare::store::{CloudflareStore, DnsRecord, Zone};
use crate::extract::json_body;

/// The record types the emulator keeps.
const TYPES: &[&str] = &["A", "AAAA", "CNAME", "TXT", "MX", "NS"];
/// The longest record comment (as on the free plan).
const MAX_COMMENT: usize = 100;

/// The zone `zone_id`, or 400 with codes 7003 and 7000 as Cloudflare answers an unknown id.
fn zone(store: &CloudflareStore, zone_id: &str) -> Result<Zone, CfError> {
    store
        .zones
        .iter()
        .find(|z| z.id == zone_id)
        .cloned()
        .ok_or_else(|| {
            CfError::bad_request(
                code::NO_ROUTE,
                format!(
                    "Could not route to /zones/{zone_id}, perhaps your object identifier is invalid?"
                ),
            )
            .and(7000, "No route for that URI")
        })
}

fn missing_record(record_id: &str) -> CfError {
    CfError::new(
        StatusCode::NOT_FOUND,
        code::RECORD_MISSING,
        format!("Record does not exist. (record {record_id})"),
    )
}

/// `GET zones`: filter `name`; `page`/`per_page` (default 20, at most 50).
pub(super) async fn list_zones(State(app): App, query: ListQuery) -> CfResult {
    let page = query.page(20, 50)?;
    let store = app.cloudflare.store();
    let zones: Vec<_> = store
        .zones
        .iter()
        .filter(|z| query.text("name").is_none_or(|n| n == z.name))
        .map(|z| z.view(&store.account_id))
        .collect();
    let (zones, info) = page.apply(zones);
    ok_page(zones, info)
}

pub(super) async fn get_zone(State(app): App, Path(zone_id): Path<String>) -> CfResult {
    let store = app.cloudflare.store();
    ok(zone(&store, &zone_id)?.view(&store.account_id))
}

/// `GET zones/{id}/dns_records`: filters `type`, `name` (also `name.exact`, `name.contains`,
/// `name.startswith`, `name.endswith`), `content` (also `content.exact`), `proxied`; `order`
/// (`type`, `name`, `content`, `ttl`, `proxied`) and `direction`; `page`/`per_page` (default
/// 100, at most 5000).
pub(super) async fn list_records(
    State(app): App,
    Path(zone_id): Path<String>,
    query: ListQuery,
) -> CfResult {
    let page = query.page(100, 5000)?;
    let proxied = query.flag("proxied")?;
    let text = |name: &str| query.text(name).map(str::to_ascii_lowercase);
    let order = query.text("order");
    if let Some(order) = order
        && !["type", "name", "content", "ttl", "proxied"].contains(&order)
    {
        return Err(CfError::invalid_query(format!(
            "order must be one of type, name, content, ttl, proxied, not {order:?}"
        )));
    }
    let descending = match query.text("direction") {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(CfError::invalid_query(format!(
                "direction must be asc or desc, not {other:?}"
            )));
        }
    };
    let store = app.cloudflare.store();
    let zone = zone(&store, &zone_id)?;
    let name_exact = text("name.exact").or_else(|| text("name").map(|n| qualify(&n, &zone.name)));
    let content_exact = text("content.exact").or_else(|| text("content"));
    let mut records: Vec<&DnsRecord> = store
        .dns_records
        .iter()
        .filter(|r| r.zone_id == zone.id)
        .filter(|r| text("type").is_none_or(|t| t.eq_ignore_ascii_case(&r.kind)))
        .filter(|r| name_exact.as_ref().is_none_or(|n| *n == r.name))
        .filter(|r| text("name.contains").is_none_or(|n| r.name.contains(&n)))
        .filter(|r| text("name.startswith").is_none_or(|n| r.name.starts_with(&n)))
        .filter(|r| text("name.endswith").is_none_or(|n| r.name.ends_with(&n)))
        .filter(|r| {
            content_exact
                .as_ref()
                .is_none_or(|c| c.eq_ignore_ascii_case(&r.content))
        })
        .filter(|r| proxied.is_none_or(|p| p == r.proxied))
        .collect();
    if let Some(order) = order {
        records.sort_by(|a, b| {
            let ordering = match order {
                "type" => a.kind.cmp(&b.kind),
                "content" => a.content.cmp(&b.content),
                "ttl" => a.ttl.cmp(&b.ttl),
                "proxied" => a.proxied.cmp(&b.proxied),
                _ => a.name.cmp(&b.name),
            };
            if descending {
                ordering.reverse()
            } else {
                ordering.then(Ordering::Equal)
            }
        });
    }
    let (records, info) = page.apply(records);
    ok_page(records, info)
}

pub(super) async fn get_record(
    State(app): App,
    Path((zone_id, record_id)): Path<(String, String)>,
) -> CfResult {
    let store = app.cloudflare.store();
    let zone = zone(&store, &zone_id)?;
    store
        .dns_records
        .iter()
        .find(|r| r.id == record_id && r.zone_id == zone.id)
        .map(ok)
        .unwrap_or_else(|| Err(missing_record(&record_id)))
}

/// The body of `POST`, `PUT` and `PATCH` of a record.
#[derive(Debug, Deserialize)]
struct RecordChange {
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    content: Option<String>,
    ttl: Option<u32>,
    proxied: Option<bool>,
    comment: Option<String>,
    tags: Option<Vec<String>>,
}

/// `name` fully qualified in `zone`, lower case: `@` is the apex, a relative name gets the
/// zone's name appended.
fn qualify(name: &str, zone: &str) -> String {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "@" || name.is_empty() {
        zone.to_owned()
    } else if name == zone || name.ends_with(&format!(".{zone}")) {
        name
    } else {
        format!("{name}.{zone}")
    }
}

fn validation(message: impl Into<String>) -> CfError {
    CfError::bad_request(code::DNS_VALIDATION, "DNS Validation Error")
        .and(code::DNS_VALIDATION, message)
}

/// Checks a whole record as it would be stored.
fn check_record(record: &DnsRecord) -> Result<(), CfError> {
    if !TYPES.contains(&record.kind.as_str()) {
        return Err(validation(format!(
            "type {:?} is not one the emulator keeps ({})",
            record.kind,
            TYPES.join(", ")
        )));
    }
    match record.kind.as_str() {
        "A" if record.content.parse::<Ipv4Addr>().is_err() => {
            return Err(CfError::bad_request(
                code::DNS_CONTENT_INVALID,
                "Content for A record must be a valid IPv4 address.",
            ));
        }
        "AAAA" if record.content.parse::<Ipv6Addr>().is_err() => {
            return Err(CfError::bad_request(
                9006,
                "Content for AAAA record must be a valid IPv6 address.",
            ));
        }
        _ if record.content.is_empty() => {
            return Err(validation("content must not be empty"));
        }
        _ => {}
    }
    if record.ttl != 1 && !(60..=86_400).contains(&record.ttl) {
        return Err(CfError::bad_request(
            9021,
            "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for automatic",
        ));
    }
    if record.proxied && !record.proxiable {
        return Err(CfError::bad_request(
            9004,
            format!("This record type cannot be proxied ({}).", record.kind),
        ));
    }
    if let Some(comment) = &record.comment {
        check_length("comment", comment, MAX_COMMENT)?;
    }
    Ok(())
}

/// 81058 for an identical record, 81057 for the same record with other settings, 1003 for a
/// CNAME next to another record of the same name.
fn check_conflicts(store: &CloudflareStore, record: &DnsRecord) -> Result<(), CfError> {
    for other in store
        .dns_records
        .iter()
        .filter(|o| o.zone_id == record.zone_id && o.id != record.id && o.name == record.name)
    {
        if other.kind == record.kind && other.content.eq_ignore_ascii_case(&record.content) {
            let identical = other.ttl == record.ttl
                && other.proxied == record.proxied
                && other.comment == record.comment;
            return Err(if identical {
                CfError::bad_request(
                    code::IDENTICAL_RECORD,
                    "An identical record already exists.",
                )
            } else {
                CfError::bad_request(code::RECORD_EXISTS, "The record already exists.")
            });
        }
        if (other.kind == "CNAME") != (record.kind == "CNAME") || other.kind == "CNAME" {
            return Err(CfError::bad_request(
                1003,
                format!(
                    "A, AAAA or CNAME record with that host already exists ({} {} {}).",
                    other.kind, other.name, other.id
                ),
            ));
        }
    }
    Ok(())
}

/// Applies `change` to `record` (a new one or a copy of the stored one).
fn apply(change: RecordChange, record: &mut DnsRecord, zone: &Zone) {
    if let Some(kind) = change.kind {
        record.kind = kind.to_ascii_uppercase();
        record.proxiable = matches!(record.kind.as_str(), "A" | "AAAA" | "CNAME");
    }
    if let Some(name) = change.name {
        record.name = qualify(&name, &zone.name);
    }
    set_if_some(&mut record.content, change.content);
    set_if_some(&mut record.ttl, change.ttl);
    set_if_some(&mut record.proxied, change.proxied);
    if let Some(comment) = change.comment {
        record.comment = (!comment.is_empty()).then_some(comment);
    }
    set_if_some(&mut record.tags, change.tags);
    record.modified_on = now_rfc3339();
}

fn blank(zone: &Zone) -> DnsRecord {
    let now = now_rfc3339();
    DnsRecord {
        id: uuid::Uuid::new_v4().simple().to_string(),
        zone_id: zone.id.clone(),
        zone_name: zone.name.clone(),
        name: String::new(),
        kind: String::new(),
        content: String::new(),
        proxied: false,
        proxiable: false,
        ttl: 1,
        comment: None,
        tags: Vec::new(),
        created_on: now.clone(),
        modified_on: now,
    }
}

fn require_whole(change: &RecordChange) -> Result<(), CfError> {
    let missing = absent_fields(&[
        ("type", change.kind.is_none()),
        ("name", change.name.is_none()),
        ("content", change.content.is_none()),
    ]);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(validation(format!("a record needs {}", missing.join(", "))))
    }
}

/// `POST zones/{id}/dns_records`: `type`, `name` and `content` required; `ttl` 1 (automatic) by
/// default.
pub(super) async fn create_record(
    State(app): App,
    Path(zone_id): Path<String>,
    body: Bytes,
) -> CfResult {
    let change: RecordChange = json_body(&body)?;
    require_whole(&change)?;
    let mut store = app.cloudflare.store();
    let zone = zone(&store, &zone_id)?;
    let mut record = blank(&zone);
    apply(change, &mut record, &zone);
    check_record(&record)?;
    check_conflicts(&store, &record)?;
    store.dns_records.push(record.clone());
    ok(record)
}

/// `PATCH` (change the fields given) or `PUT` (replace: `type`, `name`, `content` required).
async fn change_record(
    app: App,
    zone_id: String,
    record_id: String,
    body: Bytes,
    replace: bool,
) -> CfResult {
    let State(app) = app;
    let change: RecordChange = json_body(&body)?;
    if replace {
        require_whole(&change)?;
    }
    let mut store = app.cloudflare.store();
    let zone = zone(&store, &zone_id)?;
    let index = store
        .dns_records
        .iter()
        .position(|r| r.id == record_id && r.zone_id == zone.id)
        .ok_or_else(|| missing_record(&record_id))?;
    let stored = &store.dns_records[index];
    let mut record = if replace {
        DnsRecord {
            id: stored.id.clone(),
            created_on: stored.created_on.clone(),
            ..blank(&zone)
        }
    } else {
        stored.clone()
    };
    apply(change, &mut record, &zone);
    check_record(&record)?;
    check_conflicts(&store, &record)?;
    store.dns_records[index] = record.clone();
    ok(record)
}

pub(super) async fn patch_record(
    app: App,
    Path((zone_id, record_id)): Path<(String, String)>,
    body: Bytes,
) -> CfResult {
    change_record(app, zone_id, record_id, body, false).await
}

pub(super) async fn put_record(
    app: App,
    Path((zone_id, record_id)): Path<(String, String)>,
    body: Bytes,
) -> CfResult {
    change_record(app, zone_id, record_id, body, true).await
}

/// `DELETE zones/{id}/dns_records/{id}`: answers `{"id"}`.
pub(super) async fn delete_record(
    State(app): App,
    Path((zone_id, record_id)): Path<(String, String)>,
) -> CfResult {
    let mut store = app.cloudflare.store();
    let zone = zone(&store, &zone_id)?;
    let before = store.dns_records.len();
    store
        .dns_records
        .retain(|r| !(r.id == record_id && r.zone_id == zone.id));
    if store.dns_records.len() == before {
        return Err(missing_record(&record_id));
    }
    ok(json!({ "id": record_id }))
}

#[cfg(test)]
mod tests {
    use super::qualify;

    #[test]
    fn names() {
        assert_eq!(qualify("@", "z.example"), "z.example");
        assert_eq!(qualify("App", "z.example"), "app.z.example");
        assert_eq!(qualify("app.z.example.", "z.example"), "app.z.example");
        assert_eq!(qualify("z.example", "z.example"), "z.example");
    }
}
