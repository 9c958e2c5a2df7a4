//! Cross-crate integration tests for oceanid live in `tests/all/`; the conformance suite in `tests/conformance/`.
