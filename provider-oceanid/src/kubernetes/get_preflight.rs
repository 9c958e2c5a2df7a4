//! `oceanid:kubernetes:getPreflight`: the pre-deploy Helm ownership preflight as a function.

use async_trait::async_trait;
use oceanid_core::kubernetes::PreflightReport;

use super::gate::{CheckArgs, gate};
use crate::clients::{Clients, within_deadline};
use crate::pulumi::{Context, Function, ResourceError};

/// `oceanid:kubernetes:getPreflight`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GetPreflight;

#[async_trait]
impl Function for GetPreflight {
    type Client = Clients;
    type Args = CheckArgs;
    type Output = PreflightReport;

    const TOKEN: &'static str = "oceanid:kubernetes:getPreflight";
    const DESCRIPTION: &'static str = "The preflight the operators run before `pulumi up`: Helm \
        ownership conflicts (objects `managed-by=Helm` whose release annotations disagree with \
        the Flux HelmRelease that renders them, or name a release with no deployed revision; on \
        Flux 2.6 these are silent ownership moves, not install errors) block; CRD ownership \
        mismatches are informational; crash-looping pods are warnings. `fixPlan` lists exactly \
        what `oceanid preflight --fix --yes` would change; this function changes nothing. Set \
        `failOnError: true` to fail the deployment listing every blocking check.";

    async fn invoke(
        &self,
        cx: &Context<Clients>,
        args: CheckArgs,
    ) -> Result<PreflightReport, ResourceError> {
        let cluster = cx.client()?.kubernetes.handle().await?;
        let report = within_deadline(cx.deadline(), "getPreflight", cluster.preflight()).await?;
        gate(
            &args,
            "the preflight",
            cluster.server(),
            report.ok,
            &report.checks.clone(),
            report,
        )
    }
}
