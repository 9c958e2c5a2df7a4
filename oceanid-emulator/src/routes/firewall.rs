//! Firewall rules of a network: list, create, get, update (rule and description), delete.
//! Rules of one kind and address family may not overlap: while `0.0.0.0/0` exists, no other IPv4
//! ingress rule can be added.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;
use serde::Deserialize;
use serde_json::{Value, json};

use super::App;
use crate::eid::new_eid;
use crate::error::ApiError;
use crate::extract::{QueryParams, double_option, json_body, json_object};
use crate::objects::{FirewallRule, RuleKind};
use crate::pagination::PageRequest;
use crate::state::Store;

const MAX_DESCRIPTION: usize = 255;

/// A CIDR network with no host bits set.
fn parse_rule(rule: &str) -> Result<IpNet, ApiError> {
    let net: IpNet = rule.trim().parse().map_err(|_| {
        ApiError::bad_request(format!(
            "rule {rule:?} is not a CIDR network such as 203.0.113.7/32 or 2001:db8::/64"
        ))
    })?;
    if net.network() != net.addr() {
        return Err(ApiError::bad_request(format!(
            "rule {rule:?} has host bits set; did you mean {}?",
            net.trunc()
        )));
    }
    Ok(net)
}

fn check_description(description: Option<&str>) -> Result<(), ApiError> {
    match description {
        Some(d) if d.chars().count() > MAX_DESCRIPTION => Err(ApiError::bad_request(format!(
            "description must be at most {MAX_DESCRIPTION} characters"
        ))),
        _ => Ok(()),
    }
}

/// 400 when `net` overlaps another rule of the network with the same kind and family.
fn check_overlap(
    store: &Store,
    network_id: &str,
    net: IpNet,
    kind: RuleKind,
    except: Option<&str>,
) -> Result<(), ApiError> {
    let clash = store.rules.values().find(|r| {
        r.network_id == network_id
            && r.kind == kind
            && Some(r.id.as_str()) != except
            && (r.rule.contains(&net) || net.contains(&r.rule))
    });
    match clash {
        None => Ok(()),
        Some(r) if r.rule == net => Err(ApiError::bad_request(format!(
            "rule {net} already exists on network {network_id} (rule id {})",
            r.id
        ))),
        Some(r) if r.is_allow_all() => Err(ApiError::bad_request(format!(
            "rule {net} overlaps the allow-all rule {} (rule id {}): while it exists no other {} rule can be added; delete it first",
            r.rule,
            r.id,
            if r.rule.addr().is_ipv4() {
                "IPv4"
            } else {
                "IPv6"
            }
        ))),
        Some(r) => Err(ApiError::bad_request(format!(
            "rule {net} overlaps existing rule {} (rule id {}); rules may not overlap",
            r.rule, r.id
        ))),
    }
}

/// The rule `rule_id` of network `network_id`; `deleting` makes a deleted rule 410.
fn find<'a>(
    store: &'a Store,
    network_id: &str,
    rule_id: &str,
    deleting: bool,
) -> Result<&'a FirewallRule, ApiError> {
    store.network(network_id)?;
    match store.rules.get(rule_id) {
        Some(rule) if rule.network_id == network_id => Ok(rule),
        Some(_) => Err(ApiError::not_found(format!(
            "firewall rule {rule_id} not found on network {network_id}"
        ))),
        None if store.deleted_rules.contains(rule_id) => Err(if deleting {
            ApiError::gone(format!("firewall rule {rule_id} was already deleted"))
        } else {
            ApiError::not_found(format!("firewall rule {rule_id} was deleted"))
        }),
        None => Err(ApiError::not_found(format!(
            "firewall rule {rule_id} not found"
        ))),
    }
}

pub(super) async fn list(
    State(app): App,
    Path(network_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = QueryParams::parse(query.as_deref());
    let page = PageRequest::parse(&query, &["id", "rule"])?;
    let store = app.store();
    store.network(&network_id)?;
    let by_rule = page.order_field() == "rule";
    let page = page.page(
        store.rules.values().filter(|r| r.network_id == network_id),
        |r: &&FirewallRule| {
            let key = if by_rule {
                r.rule.to_string()
            } else {
                r.id.clone()
            };
            (key, r.id.clone())
        },
    );
    Ok(Json(json!({
        "firewall_rules": page.items.iter().map(|r| r.view()).collect::<Vec<_>>(),
        "has_more": page.has_more,
        "next_cursor": page.next_cursor,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRule {
    rule: String,
    description: Option<String>,
    kind: Option<RuleKind>,
}

pub(super) async fn create(
    State(app): App,
    Path(network_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: CreateRule = json_body(&body)?;
    let net = parse_rule(&req.rule)?;
    check_description(req.description.as_deref())?;
    let kind = req.kind.unwrap_or(RuleKind::Ingress);
    let mut store = app.store();
    let team_id = store.network(&network_id)?.team_id.clone();
    check_overlap(&store, &network_id, net, kind, None)?;
    let rule = FirewallRule {
        id: new_eid(),
        network_id,
        team_id,
        rule: net,
        description: req.description,
        kind,
    };
    let view = rule.view();
    tracing::info!(rule_id = %rule.id, network_id = %rule.network_id, rule = %rule.rule, "firewall rule created");
    store.rules.insert(rule.id.clone(), rule);
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

pub(super) async fn get(
    State(app): App,
    Path((network_id, rule_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let store = app.store();
    Ok(Json(find(&store, &network_id, &rule_id, false)?.view()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateRule {
    rule: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    description: Option<Option<String>>,
}

pub(super) async fn update(
    State(app): App,
    Path((network_id, rule_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    if json_object(&body).contains_key("kind") {
        return Err(ApiError::bad_request(
            "a rule's kind cannot change; delete the rule and create it again",
        ));
    }
    let req: UpdateRule = json_body(&body)?;
    let net = req.rule.as_deref().map(parse_rule).transpose()?;
    if let Some(Some(d)) = &req.description {
        check_description(Some(d))?;
    }
    let mut store = app.store();
    let kind = find(&store, &network_id, &rule_id, false)?.kind;
    if let Some(net) = net {
        check_overlap(&store, &network_id, net, kind, Some(&rule_id))?;
    }
    let rule = store
        .rules
        .get_mut(&rule_id)
        .ok_or_else(|| ApiError::not_found(format!("firewall rule {rule_id} not found")))?;
    if let Some(net) = net {
        rule.rule = net;
    }
    if let Some(description) = req.description {
        rule.description = description;
    }
    Ok(Json(rule.view()))
}

pub(super) async fn destroy(
    State(app): App,
    Path((network_id, rule_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let mut store = app.store();
    let view = find(&store, &network_id, &rule_id, true)?.view();
    store.rules.remove(&rule_id);
    store.deleted_rules.insert(rule_id.clone());
    tracing::info!(%rule_id, %network_id, "firewall rule deleted");
    Ok(Json(view))
}
