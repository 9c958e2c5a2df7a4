//! The objects every emulator starts with, under constant ids.

use serde::Serialize;

/// Ids and names of the seeded objects: the same in every emulator, and again after
/// `POST /__emulator/reset`, so examples and documentation can name them.
///
/// ```
/// let seed = oceanid_emulator::Seed::new();
/// assert_eq!(seed.account_role, format!("u_{}", seed.account_id));
/// assert!(oceanid_emulator::is_eid(seed.cluster_id));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Seed {
    /// The account the API key belongs to (`GET /account`).
    pub account_id: &'static str,
    /// The account's email address.
    pub account_email: &'static str,
    /// The account's per-cluster role, `u_<account_id>` (the `user` alias of the role routes).
    pub account_role: &'static str,
    /// The team the account administers and where the seeded objects live; the default team.
    pub team_id: &'static str,
    /// The account's personal team (its id is the account id, as on Bridge).
    pub personal_team_id: &'static str,
    /// The seeded network.
    pub network_id: &'static str,
    /// The seeded network's IPv4 range.
    pub network_cidr4: &'static str,
    /// The network's allow-all firewall rules: `0.0.0.0/0` first, then `::/0`.
    pub allow_all_rule_ids: [&'static str; 2],
    /// The seeded cluster, `ready` from the start.
    pub cluster_id: &'static str,
    /// The seeded cluster's name.
    pub cluster_name: &'static str,
    /// The provider of the seeded network and cluster.
    pub provider_id: &'static str,
    /// The region of the seeded network and cluster.
    pub region_id: &'static str,
    /// The seeded cluster's plan.
    pub plan_id: &'static str,
    /// The seeded cluster's PostgreSQL major version (also the default for new clusters).
    pub major_version: u32,
    /// The id of that PostgreSQL version (`GET /postgres-versions/{id}`).
    pub postgres_version_id: &'static str,
}

impl Seed {
    /// The seed every emulator uses.
    pub const fn new() -> Seed {
        Seed {
            account_id: ACCOUNT_ID,
            account_email: "emulator@oceanid.invalid",
            account_role: ACCOUNT_ROLE,
            team_id: "oceanidemulatorteam222222a",
            personal_team_id: ACCOUNT_ID,
            network_id: "oceanidemulatornetwork222a",
            network_cidr4: "10.0.0.0/20",
            allow_all_rule_ids: ["oceanidemulatorallowallv4a", "oceanidemulatorallowallv6a"],
            cluster_id: "oceanidemulatorcluster222a",
            cluster_name: "emulator-cluster",
            provider_id: "aws",
            region_id: "us-east-1",
            plan_id: "hobby-2",
            major_version: 17,
            postgres_version_id: crate::catalog::PG17_ID,
        }
    }
}

impl Default for Seed {
    fn default() -> Seed {
        Seed::new()
    }
}

const ACCOUNT_ID: &str = "oceanidemulatoraccount222a";
const ACCOUNT_ROLE: &str = "u_oceanidemulatoraccount222a";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eid::is_eid;

    #[test]
    fn seed_ids_are_eids() {
        let seed = Seed::new();
        for id in [
            seed.account_id,
            seed.team_id,
            seed.personal_team_id,
            seed.network_id,
            seed.cluster_id,
            seed.allow_all_rule_ids[0],
            seed.allow_all_rule_ids[1],
            seed.postgres_version_id,
        ] {
            assert!(is_eid(id), "{id}");
        }
        assert_eq!(seed.account_role, format!("u_{}", seed.account_id));
    }
}
