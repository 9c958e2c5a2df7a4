//! `oceanid:kubernetes:getFluxHealth`: the post-deploy Flux check as a function.

use async_trait::async_trait;
use oceanid_core::kubernetes::FluxHealthReport;

use super::gate::{CheckArgs, gate};
use crate::clients::{Clients, within_deadline};
use crate::pulumi::{Context, Function, ResourceError};

/// `oceanid:kubernetes:getFluxHealth`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GetFluxHealth;

#[async_trait]
impl Function for GetFluxHealth {
    type Client = Clients;
    type Args = CheckArgs;
    type Output = FluxHealthReport;

    const TOKEN: &'static str = "oceanid:kubernetes:getFluxHealth";
    const DESCRIPTION: &'static str = "Flux health, as the operators check it after a deploy: \
        the 6 controllers of Flux 2.6 (Deployments labelled `app.kubernetes.io/part-of=flux`) \
        exist with their replicas available and pods Running, and every GitRepository, \
        Kustomization and HelmRelease is Ready with its observedGeneration current, not \
        suspended, not Stalled, and each Kustomization applied its source's artifact. One list \
        call per kind. Set `failOnError: true` to fail the deployment listing every failed \
        check, e.g. `getFluxHealthOutput({ failOnError: true }, { dependsOn: [fluxRelease] })`.";

    async fn invoke(
        &self,
        cx: &Context<Clients>,
        args: CheckArgs,
    ) -> Result<FluxHealthReport, ResourceError> {
        let cluster = cx.client()?.kubernetes.handle().await?;
        let report = within_deadline(cx.deadline(), "getFluxHealth", cluster.flux_health()).await?;
        gate(
            &args,
            "Flux health",
            cluster.server(),
            report.ok,
            &report.checks.clone(),
            report,
        )
    }
}
