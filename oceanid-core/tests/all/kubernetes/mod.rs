//! `oceanid_core::kubernetes` against kube-rs's `tower_test` mock (exact request sequences:
//! paths, selectors, paging) with fixtures in `kubectl get -o json` shape, and kubeconfig
//! loading against files and a loopback socket.

mod api_server;
mod errors;
mod fixtures;
mod flux_health;
mod kubeconfig;
mod nodes;
mod preflight;
