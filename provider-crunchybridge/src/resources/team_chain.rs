//! The team's certificate chain (`GET /teams/{id}.pem`): what a cluster's server certificate
//! chains to, and what sessions verify against (`sslmode=verify-full`).

use oceanid_core::crunchybridge::{Bridge, ClusterId, TeamId};

use crate::pulumi::ResourceError;

/// The certificate chain of `team` (`GET /teams/{id}.pem`), which the cluster's server
/// certificate chains to.
pub(crate) async fn team_chain(bridge: &Bridge, team: &TeamId) -> Result<String, ResourceError> {
    bridge.teams().certificate(team).await.map_err(|e| {
        ResourceError::because(
            format!(
                "cannot get the certificate chain of team {team} (GET /teams/{team}.pem), which \
                 the provider verifies the cluster's server certificate against before it logs \
                 in as the superuser"
            ),
            &e,
        )
    })
}

/// The certificate chain of the team that owns `cluster`.
pub(crate) async fn cluster_chain(
    bridge: &Bridge,
    cluster: &ClusterId,
) -> Result<String, ResourceError> {
    let team = bridge
        .clusters()
        .get(cluster)
        .await
        .map_err(|e| {
            ResourceError::because(
                format!("cannot read cluster {cluster} to find its team's certificate chain"),
                &e,
            )
        })?
        .team_id;
    team_chain(bridge, &team).await
}
