//! The `Idempotency-Key`s of `POST /clusters`: derived from the URN alone, so that every create
//! a resource ever sends within an hour uses the same key whatever its inputs (see the module
//! docs of `cluster`).

use uuid::Uuid;

use oceanid_core::crunchybridge::IdempotencyKey;

/// How many keys of a resource's chain a create walks (each step past a deleted cluster's
/// replayed answer or a key a probe took) before giving up.
pub(super) const MAX_KEYS: usize = 8;

/// What [`next_create_key`] is given after a probe took the previous key.
pub(super) const AFTER_PROBE: &str = "probe";

/// The namespace of the create idempotency keys (a fixed UUID of this provider's own).
const CREATE_KEY_NAMESPACE: Uuid = Uuid::from_u128(0x8f0c_46b2_3c7d_4e51_9a0e_6f1d_2b3a_c415);

/// The first idempotency key of `POST /clusters` for the resource at `urn`: a UUIDv5 of the
/// URN (`create\n<urn>`), the same on every retry of every create of that resource.
pub fn create_key(urn: &str) -> IdempotencyKey {
    let name = format!("create\n{urn}");
    IdempotencyKey::from(Uuid::new_v5(&CREATE_KEY_NAMESPACE, name.as_bytes()))
}

/// The key after `previous` in a resource's chain, once `previous` is known to be spent:
/// `reason` is the id of the deleted cluster it replayed, or `AFTER_PROBE`.
pub fn next_create_key(previous: &IdempotencyKey, reason: &str) -> IdempotencyKey {
    let name = format!("{previous}\nafter {reason}");
    IdempotencyKey::from(Uuid::new_v5(&CREATE_KEY_NAMESPACE, name.as_bytes()))
}
