//! A local stand-in for the Crunchy Bridge API, with an optional throwaway PostgreSQL.
//!
//! The emulator serves the Bridge routes that oceanid's client uses, with the status codes, bodies
//! and errors of the OpenAPI description kept beside this crate
//! (`openapi/crunchybridge-openapi.yaml`): bearer authentication, `X-Request-Id` on every answer,
//! cursor pagination, `Idempotency-Key` replay, 404 for objects never known and 410 for deleting
//! objects already deleted, and the firewall's no-overlap rule. Tests start it in process; people
//! without a Bridge account run the `oceanid-emulator` binary.
//!
//! ```
//! use oceanid_emulator::{Emulator, EmulatorConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::start(EmulatorConfig::default()).await?;
//! let cluster = reqwest::Client::new()
//!     .get(format!("{}/clusters/{}", emulator.base_url(), emulator.seed().cluster_id))
//!     .bearer_auth(emulator.api_key())
//!     .send()
//!     .await?
//!     .json::<serde_json::Value>()
//!     .await?;
//! assert_eq!(cluster["state"], "ready");
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # The seed
//! Every emulator starts with the same objects (and returns to them on `POST /__emulator/reset`);
//! their ids are constants, listed by [`Seed`]: an account, its personal team and a team it
//! administers, a network in `aws`/`us-east-1` with the allow-all firewall rules `0.0.0.0/0` and
//! `::/0`, and one ready `hobby-2` cluster on PostgreSQL 17 with the built-in roles `postgres` and
//! `application`. Their passwords are random for each start and each reset. Objects created
//! later get random ids (`^[a-z2-7]{25}[aeimquy4]$`, as on Bridge).
//!
//! # Behaviour worth knowing
//! - Every answer carries `X-Request-Id`: the client's, when it sent a printable one, or a new
//!   UUID; error bodies repeat it in `request_id`.
//! - Reading, changing or acting on a deleted object answers 404, as for an object never known;
//!   `DELETE` of a deleted cluster, firewall rule or account role (or of a role of a deleted
//!   cluster) answers 410.
//! - `DELETE /clusters/{id}` of a cluster with `is_protected: true` answers 400 and says how to
//!   unprotect it. The built-in roles `postgres` and `application` cannot be deleted (400).
//! - Firewall rules may not overlap another rule of the same kind (ingress/egress) and address
//!   family: while `0.0.0.0/0` exists no other IPv4 ingress rule can be added (400, naming the
//!   allow-all rule). A rule must be a network in CIDR notation with no host bits set (400
//!   otherwise); answers use the canonical form.
//! - `POST`/`PATCH` with `Idempotency-Key`: the same method, path (with query) and body within one
//!   hour replays the stored answer with `Idempotency-Replay: true`; the same key with another
//!   request, or while the first is still running, answers 409. 429, 500 and 503 are not stored.
//! - Lists take `limit` (1-200, default 100), `cursor`, `order` (`asc`/`desc`) and
//!   `order_field`, and answer `has_more`/`next_cursor`. Firewall-rule and role lists are paged the
//!   same way: their schemas allow the two extra fields.
//! - Clusters are created `creating` and become `ready` after the provisioning delay
//!   ([`EmulatorConfig::provision_delay`], `--provision-delay-ms`). Upgrades
//!   (`POST /clusters/{id}/upgrade`) and HA changes show as ongoing operations for the same delay,
//!   then apply.
//! - Not served: the deprecated `/clusters/{id}/firewall` aliases and the Bridge routes oceanid
//!   does not use (backups, replicas, loggers, ...); they answer 404.
//!
//! # Clusters that never become ready, or fail
//! - A cluster whose name contains `never-ready` stays `creating` until told otherwise.
//! - A cluster whose name contains `creation-failed` becomes `creation_failed` after the delay.
//! - `POST /__emulator/clusters/{id}/state` with `{"state": "creation_failed"}` (any Bridge
//!   cluster state) sets the state now and cancels the pending provisioning;
//!   `{"hold": true}` freezes the cluster's pending provisioning and operations,
//!   `{"hold": false}` lets them finish after a fresh delay.
//!
//! # Admin routes (no authentication)
//! - `GET /__emulator/state`: every object as JSON, passwords included ([`Emulator::state`]).
//! - `POST /__emulator/reset`: back to the seed (new seed passwords; faults and idempotency keys
//!   cleared). With `--postgres auto` it also drops the databases and roles created since the
//!   server started; with `--postgres URL` it only resets the emulator's own roles.
//! - `POST /__emulator/faults` with `{"method": "POST", "path": "/networks/*/firewall-rules",
//!   "status": 429, "retry_after": 1, "rate": 0.5, "count": 10}`: answer matching requests with
//!   that status (an Error body, `Retry-After` on 429) without applying them. Instead of (or
//!   with) `status`, `"latency_ms": 20` delays the request; `"drop_after_commit": true` applies
//!   the request and then closes the connection without answering. `"body"` (with an optional
//!   `"content_type"`, default `text/html`) replaces the Error body, e.g. an HTML 502 page.
//!   `method`, `path` (`*` matches one segment), `rate` (0 to 1, default 1) and `count` (default
//!   unlimited) are optional. Answers 201 with the fault and its `id`. Injected statuses answer
//!   before authentication and idempotency (nothing is applied or stored); latency is spent while
//!   the request holds its `Idempotency-Key`, like a slow server.
//!   `GET /__emulator/faults` lists them, `DELETE /__emulator/faults` clears them all,
//!   `DELETE /__emulator/faults/{id}` removes one.
//! - `POST /__emulator/clusters/{id}/state`: see above.
//! - `POST /__emulator/settings` with `{"provision_delay_ms": N}` changes the delay.
//!
//! # Kubernetes
//! The same port serves a Kubernetes API server (module `kubernetes`): `/version`, discovery
//! (`/api`, `/apis`, each group-version's resources) and, for Nodes, Pods, Namespaces, Secrets
//! (`v1`), Deployments (`apps/v1`), CustomResourceDefinitions (`apiextensions.k8s.io/v1`),
//! GitRepository (`source.toolkit.fluxcd.io/v1`), Kustomization
//! (`kustomize.toolkit.fluxcd.io/v1`) and HelmRelease (`helm.toolkit.fluxcd.io/v2`): get, list
//! (label selectors `=`, `==`, `!=`, `in`, `notin`, `key`, `!key`; field selectors on
//! `metadata.name`, `metadata.namespace` and per kind e.g. `spec.nodeName`, `status.phase`,
//! `type`; `limit`/`continue`), create, replace (`PUT`, optimistic on `resourceVersion`),
//! merge `PATCH` and delete, with the API server's `Status` bodies. Watches are not served (405).
//! `/openapi/v3` lists each group-version with only its object paths (no schemas), so kubectl
//! 1.32's `create`/`apply` leave field validation to the server; `/openapi/v2` is not served.
//! - Tokens: [`EmulatorConfig::kubernetes_token`] (`--kubernetes-token`, default
//!   [`DEFAULT_KUBERNETES_TOKEN`]) is the admin; [`VIEWER_TOKEN`] has Kubernetes' `view` role
//!   (get/list, no Secrets: 403); anything else is 401. `/version` needs none.
//! - TLS: a connection that starts with a TLS handshake is served over TLS (a certificate for
//!   `127.0.0.1` from a throwaway CA, [`Emulator::tls_ca_pem`]); kubectl sends a kubeconfig's
//!   token only to an `https` server. [`Emulator::kubeconfig`] (`--kubeconfig-out PATH`) is a
//!   kubeconfig for [`Emulator::https_url`] trusting that CA, context [`KUBECONFIG_CONTEXT`].
//!   Clients that send tokens over plain HTTP (kube-rs does) can use the base URL as well.
//! - The seed: nodes `srv712429` (tethys, control-plane, ExternalIP 157.173.210.123),
//!   `srv712695` (styx, 191.101.1.3) and `calypso` (GPU, 192.168.2.40 only); Flux 2.6.4 with its
//!   6 controllers, 13 CRDs and the `flux-system` GitRepository and Kustomization, all healthy;
//!   HelmReleases `cert-manager`, `ingress-nginx` (2 revisions) and `nvidia-device-plugin` with
//!   their `helm.sh/release.v1` Secrets and Helm-annotated Deployments; `labelfish` pods in
//!   `apps`. [`EmulatorConfig::kubernetes_extra_pods`] and
//!   [`EmulatorConfig::kubernetes_extra_helmreleases`] add `load-NNNN` pods and `bench-NN`
//!   releases to `apps` for benchmarks.
//! - Admin: `POST /__emulator/kubernetes/objects` stores an object exactly as given (status
//!   included; 201 created, 200 replaced); `DELETE` it with `apiVersion`, `kind`, `namespace`
//!   and `name` as a JSON body or query. Reset, state and faults cover the Kubernetes routes.
//! # Cloudflare (`<base>/client/v4`)
//! The Cloudflare routes oceanid uses, seeded as the operators' account ([`CloudflareSeed`]),
//! in Cloudflare's envelope `{success, errors: [{code, message}], messages, result,
//! result_info?}` with a `cf-ray` header on every answer.
//! - Authentication: `Authorization: Bearer <token>`, the token of
//!   [`EmulatorConfig::cloudflare_token`] (`--cloudflare-token`), else any non-empty one.
//!   Without a token 401, code 10000; another token 403, code 9109 (401, code 1000 on
//!   `tokens/verify`); another account 403, code 9109.
//! - Routes: `user/tokens/verify`, `accounts/{a}/tokens/verify`; `accounts/{a}/devices/policy`
//!   (GET, PATCH; POST creates a custom profile), `devices/policies`, `devices/policy/{id}` (GET,
//!   PATCH, DELETE), `devices/policy[/{id}]/include|exclude` (GET, PUT); `teamnet/routes` (GET
//!   with filters and `page`/`per_page`, POST), `teamnet/routes/{id}` (GET, PATCH, DELETE),
//!   `teamnet/routes/ip/{ip}`, `teamnet/virtual_networks`; `cfd_tunnel`, `cfd_tunnel/{id}`,
//!   `cfd_tunnel/{id}/connections`; `zones`, `zones/{z}`, `zones/{z}/dns_records` (GET, POST),
//!   `zones/{z}/dns_records/{id}` (GET, PATCH, PUT, DELETE).
//! - Split tunnels behave as on Cloudflare: a profile has one mode and shows only that list; a
//!   PUT replaces the whole list (no ETag: the last writer wins); a PUT to the list of the other
//!   mode succeeds and is stored but inert; a profile PATCH with `include` or `exclude` switches
//!   to that mode, with both it is refused. Entries need exactly one of `address` (CIDR or IP)
//!   and `host`, and a description of at most 100 characters (400, code 9207, naming the entry).
//! - Deleted tunnel routes stay listed with `is_deleted=true` (or without the filter). DNS
//!   answers 81058 for an identical record, 81057 for the same record with other settings, 1003
//!   for a CNAME beside another record of that name, 81044 for a missing record, 9005 for an A
//!   record that is not an IPv4 address.
//! - Admin: `POST /__emulator/cloudflare/tunnels/{id}` with `{"status": "down",
//!   "connections": 0}` changes a tunnel's health; `POST /__emulator/cloudflare/token` with
//!   `{"read_only": true}` makes every write answer 403, code 10000, as a token without the
//!   write permission does. Reset undoes both. `GET /__emulator/state` counts the Cloudflare
//!   requests since start or reset under `cloudflare.requests` (`total`, `by_method`).
//! - Faults cover these routes (paths such as `/client/v4/accounts/*/devices/policy/include`);
//!   an injected 429 answers code 971 with `Retry-After`, an injected 5xx code 10001, a `body`
//!   is sent as given (an HTML edge page, say).
//!
//! # PostgreSQL
//! - [`PostgresMode::None`]: no server; hosts and role URIs are shaped like Bridge's
//!   (`p.<cluster id>.db.postgresbridge.com:5432`) and lead nowhere.
//! - [`PostgresMode::Auto`]: a throwaway server ([`postgres::EphemeralPostgres`]). Every
//!   cluster's `host` is `127.0.0.1` (the Cluster schema has no port field: the port is in the
//!   role URIs), role URIs are `postgres://<role>:<password>@127.0.0.1:<port>/postgres?sslmode=require`,
//!   and the roles are real login roles with the passwords the API returns (`postgres` is a
//!   superuser). `GET /teams/{id}.pem` returns the server's CA certificate.
//! - [`PostgresMode::Url`]: the same, on an existing server reached through a superuser URL.
//!   `GET /teams/{id}.pem` returns [`EmulatorConfig::postgres_ca_pem`] (`--postgres-ca PATH`,
//!   the CA that signed that server's certificate), or else a placeholder that no server
//!   chains to, so clients that verify the server (the provider's Database resources) refuse it.
//!
//! With a server, all clusters share it, so a role name has one password across clusters:
//! rotating `application` on one cluster rotates it on all of them. Role flavors are recorded but
//! do not change privileges. The emulator also keeps a hidden superuser,
//! `oceanid_emulator_admin`, on a throwaway server for its own maintenance.
#![forbid(unsafe_code)]

mod auth;
mod backend;
mod catalog;
mod clock;
mod cloudflare;
mod eid;
mod emulator;
mod error;
mod extract;
mod faults;
mod idempotency;
mod kubernetes;
mod lock;
mod objects;
mod pagination;
pub mod postgres;
mod request_id;
mod routes;
mod seed;
mod server;
mod sql_text;
mod state;
mod tls;

pub use cloudflare::CloudflareSeed;
pub use eid::is_eid;
pub use emulator::{
    DEFAULT_API_KEY, DEFAULT_PROVISION_DELAY, Emulator, EmulatorConfig, EmulatorError, PostgresMode,
};
pub use kubernetes::{DEFAULT_KUBERNETES_TOKEN, KUBECONFIG_CONTEXT, VIEWER_TOKEN};
pub use seed::Seed;
