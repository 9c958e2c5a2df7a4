//! The `Idempotency-Key` of `POST /clusters`, derived from the URN and the request body so
//! that a create run again gets the cluster it made (see the module docs of `cluster`).

use uuid::Uuid;

use oceanid_core::crunchybridge::{CreateCluster, IdempotencyKey};

/// How many replayed answers naming deleted clusters a create follows before giving up.
pub(super) const MAX_STALE_REPLAYS: usize = 4;

/// The namespace of the create idempotency keys (a fixed UUID of this provider's own).
const CREATE_KEY_NAMESPACE: Uuid = Uuid::from_u128(0x8f0c_46b2_3c7d_4e51_9a0e_6f1d_2b3a_c415);

/// The idempotency key of the first `POST /clusters` for a resource: a UUIDv5 of the URN and
/// the request body, the same on every retry of the same create (see the module docs).
pub fn create_key(urn: &str, request: &CreateCluster) -> IdempotencyKey {
    let body = serde_json::to_string(request).unwrap_or_default();
    let name = format!("{urn}\n{body}");
    IdempotencyKey::from(Uuid::new_v5(&CREATE_KEY_NAMESPACE, name.as_bytes()))
}

/// The key to ask again with after `previous` replayed an answer naming the cluster `stale`,
/// which no longer exists.
pub fn next_create_key(previous: &IdempotencyKey, stale: &str) -> IdempotencyKey {
    let name = format!("{previous}\nafter {stale}");
    IdempotencyKey::from(Uuid::new_v5(&CREATE_KEY_NAMESPACE, name.as_bytes()))
}
