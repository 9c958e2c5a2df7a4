//! Token verification: `GET user/tokens/verify` and `GET accounts/{id}/tokens/verify`. The
//! authentication layer has already refused tokens that are not accepted.

use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::{App, account_store};
use crate::cloudflare::CloudflareSeed;
use crate::cloudflare::envelope::{CfResult, ok};

fn verified() -> Value {
    json!({
        "id": CloudflareSeed::new().token_id,
        "status": "active",
        "not_before": "2024-01-01T00:00:00Z",
        "expires_on": null,
    })
}

pub(super) async fn verify_user() -> CfResult {
    ok(verified())
}

pub(super) async fn verify_account(State(app): App, Path(account_id): Path<String>) -> CfResult {
    drop(account_store(&app, &account_id)?);
    ok(verified())
}
