//! Locking the emulator's shared data without giving up after a panic elsewhere.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, carrying on after a panic elsewhere (the data is still consistent enough for a
/// test double, and the server must keep answering).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
