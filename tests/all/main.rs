//! Cross-crate integration tests (one test binary, modules per area).

mod descriptors;
mod sdk_drift;
mod support;
