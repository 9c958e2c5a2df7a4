//! `oceanid:kubernetes:getNodes`: every node with its addresses and the egress address Crunchy
//! Bridge sees from it.

use async_trait::async_trait;
use oceanid_core::kubernetes::NodesReport;

use super::gate::{CheckArgs, gate};
use crate::clients::{Clients, within_deadline};
use crate::pulumi::{Context, Function, ResourceError};

/// `oceanid:kubernetes:getNodes`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GetNodes;

#[async_trait]
impl Function for GetNodes {
    type Client = Clients;
    type Args = CheckArgs;
    type Output = NodesReport;

    const TOKEN: &'static str = "oceanid:kubernetes:getNodes";
    const DESCRIPTION: &'static str = "Every node of the cluster (one list call) with its roles, \
        Ready, internal and external addresses (from `status.addresses` and the K3s \
        annotations), and the egress address Crunchy Bridge sees from it: the \
        `oceanid.io/egress-ip` annotation if set, else an ExternalIP (or `k3s.io/external-ip`), \
        else a globally routable InternalIP; a private or CGNAT address is never guessed to be \
        public. A node with no egress address fails its check, with the `kubectl annotate` \
        command that fixes it. Set `failOnError: true` to fail the deployment instead.";

    async fn invoke(
        &self,
        cx: &Context<Clients>,
        args: CheckArgs,
    ) -> Result<NodesReport, ResourceError> {
        let cluster = cx.client()?.kubernetes.handle().await?;
        let report = within_deadline(cx.deadline(), "getNodes", cluster.nodes()).await?;
        gate(
            &args,
            "getNodes",
            cluster.server(),
            report.ok,
            &report.checks.clone(),
            report,
        )
    }
}
