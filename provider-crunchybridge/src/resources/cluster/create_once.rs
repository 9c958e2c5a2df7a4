//! Sending `POST /clusters` so that a resource never makes a second cluster: the rule that
//! decides whether a create may be sent at all, resumes the cluster this resource started, and
//! refuses any other cluster of the same name (the rule and its limits are in the module docs
//! of `cluster`).

use futures::TryStreamExt;

use oceanid_core::crunchybridge::{
    Cluster as ApiCluster, ClusterState as BridgeState, ClustersHandler, CreateCluster,
    Error as BridgeError, IdempotencyKey, KeyUse, ListParams,
};

use crate::clients::Clients;
use crate::pulumi::{Context, ResourceError};
use crate::resources::import_command::import_command;

use super::args::ClusterArgs;
use super::idempotency::{AFTER_PROBE, MAX_KEYS, create_key, next_create_key};
use super::mapping::state_of;

const TOKEN: &str = "crunchybridge:index:Cluster";

/// The cluster this resource made (now, or by an earlier create it resumes).
///
/// # Errors
/// A refusal naming the cluster of the same name and the `pulumi import` command, a refusal
/// when this resource's key carries a create with other inputs, or Bridge's error.
pub(super) async fn create_once(
    cx: &Context<Clients>,
    clusters: &ClustersHandler,
    args: &ClusterArgs,
    request: &CreateCluster,
) -> Result<ApiCluster, ResourceError> {
    let namesakes = namesakes(clusters, request).await?;
    let mut key = create_key(cx.urn());
    for _ in 0..MAX_KEYS {
        // A cluster of this name exists: a create is sent only when the key provably carries
        // an earlier create of this resource, for then Bridge can only replay it or answer 409.
        if !namesakes.is_empty() {
            match probe(clusters, &key, args).await? {
                KeyUse::HoldsOtherRequest => {}
                KeyUse::HoldsProbe => {
                    key = next_create_key(&key, AFTER_PROBE);
                    continue;
                }
                KeyUse::TakenByProbe | KeyUse::Accepted => {
                    return Err(name_taken(cx.urn(), args, &namesakes));
                }
            }
        }
        let answer = match clusters.create_with_key(request, &key).await {
            Ok(answer) => answer,
            Err(e) if e.status() == Some(409) => {
                if namesakes.is_empty()
                    && matches!(
                        probe(clusters, &key, args).await?,
                        KeyUse::HoldsProbe | KeyUse::TakenByProbe
                    )
                {
                    key = next_create_key(&key, AFTER_PROBE);
                    continue;
                }
                return Err(started_with_other_inputs(cx.urn(), args));
            }
            Err(e) => return Err(create_failed(args, &e)),
        };
        match clusters.get_opt(&answer.id).await {
            Ok(Some(live)) if live.state != Some(BridgeState::Destroying) => return Ok(live),
            Ok(_) => {
                cx.info(&format!(
                    "Bridge replayed an earlier answer naming cluster {}, which has since been \
                     deleted; asking again",
                    answer.id
                ));
                key = next_create_key(&key, answer.id.as_str());
            }
            Err(e) => {
                return Err(ResourceError::init_failed(
                    answer.id.to_string(),
                    &state_of(&answer, Some(args)),
                    vec![format!(
                        "cluster {} was created, but reading it back failed: {e}. It stays in \
                         the stack, and the next `pulumi up` resumes",
                        answer.id
                    )],
                ));
            }
        }
    }
    Err(ResourceError::msg(format!(
        "creating cluster {:?}: every Idempotency-Key of this resource in the last hour was spent \
         (on deleted clusters or refused creates); nothing was created. Wait an hour (keys \
         expire), then run `pulumi up` again",
        args.name
    )))
}

/// The team's clusters named as the request names its cluster (every page), but those being
/// deleted.
async fn namesakes(
    clusters: &ClustersHandler,
    request: &CreateCluster,
) -> Result<Vec<ApiCluster>, ResourceError> {
    let all: Vec<ApiCluster> = clusters
        .stream_with(ListParams::new().team(&request.team_id))
        .try_collect()
        .await
        .map_err(|e| {
            ResourceError::because(
                format!(
                    "cannot list the clusters of team {} to check that the name {:?} is free \
                     (nothing was created)",
                    request.team_id, request.name
                ),
                &e,
            )
        })?;
    Ok(all
        .into_iter()
        .filter(|c| {
            c.name == request.name
                && c.team_id == request.team_id
                && c.state != Some(BridgeState::Destroying)
        })
        .collect())
}

async fn probe(
    clusters: &ClustersHandler,
    key: &IdempotencyKey,
    args: &ClusterArgs,
) -> Result<KeyUse, ResourceError> {
    clusters.probe_create_key(key).await.map_err(|e| {
        ResourceError::because(
            format!(
                "cannot tell whether this resource already created cluster {:?} (asking Bridge \
                 about its Idempotency-Key failed; nothing was created). Run `pulumi up` again",
                args.name
            ),
            &e,
        )
    })
}

/// The refusal for a name that clusters this resource did not make already carry.
fn name_taken(urn: &str, args: &ClusterArgs, namesakes: &[ApiCluster]) -> ResourceError {
    let found: Vec<String> = namesakes
        .iter()
        .take(3)
        .map(|c| {
            format!(
                "{} (created {})",
                c.id,
                c.created_at.as_deref().unwrap_or("at an unknown time")
            )
        })
        .collect();
    let more = namesakes.len().saturating_sub(found.len());
    ResourceError::msg(format!(
        "team {} already has a cluster named {:?}: {}{}. This resource did not create it within \
         the last hour, so it is not taken over and no second cluster is made; nothing was \
         created. To manage it with Pulumi (also when a `pulumi up` of this stack made it and \
         stopped before recording it more than an hour ago), import it instead of creating \
         it:\n    {}\nOtherwise give this Cluster another `name`",
        args.team_id,
        args.name,
        found.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        },
        import_command(TOKEN, urn, namesakes[0].id.as_str()),
    ))
}

/// The refusal when this resource's key carries a create with other inputs (or one running).
fn started_with_other_inputs(urn: &str, args: &ClusterArgs) -> ResourceError {
    ResourceError::msg(format!(
        "this resource already sent a create within the last hour with other inputs, and Pulumi \
         never learned the cluster it made (the provider was stopped or the answer was lost), \
         or that create is still running; so nothing was created now, to not make a second \
         cluster. Either restore the inputs of that run and run `pulumi up` again (it resumes \
         that cluster), or find the cluster among team {}'s clusters and import it:\n    {}",
        args.team_id,
        import_command(TOKEN, urn, "<clusterId>"),
    ))
}

/// The error for a failed `POST /clusters`.
fn create_failed(args: &ClusterArgs, e: &BridgeError) -> ResourceError {
    if e.is_maybe_sent() || e.is_timeout() {
        ResourceError::msg(format!(
            "creating cluster {:?} may or may not have succeeded: {e}. Run `pulumi up` again \
             within the hour: it sends the same Idempotency-Key, so Bridge answers with the \
             cluster it made (if it made one) instead of making a second",
            args.name
        ))
    } else {
        ResourceError::because(format!("cannot create cluster {:?}", args.name), e)
    }
}
