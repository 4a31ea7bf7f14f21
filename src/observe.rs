//! Observed state: what AWS has now, for the resources a stack declares.
//!
//! Read-only: every call made here is a Get/List/Describe. The per-resource
//! reads run concurrently. The types are plain data the planner compares with
//! the desired state.

use std::collections::BTreeMap;

use futures_util::future::try_join_all;
use serde::Serialize;

use crate::aws::{self, AwsError, Clients};
use crate::model::{Billing, Desired, FunctionConfig, KeyAttr};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveRole {
    pub arn: String,
    pub trust: serde_json::Value,
    /// bosun's inline policy on the role, if present.
    pub policy: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveTable {
    pub arn: String,
    pub partition_key: KeyAttr,
    pub sort_key: Option<KeyAttr>,
    pub billing: Billing,
    /// The attribute TTL is enabled on, if any.
    pub ttl_attribute: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveVersion {
    pub version: String,
    pub config: FunctionConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveUrl {
    pub url: String,
    pub auth: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveFunction {
    pub arn: String,
    /// `$LATEST`.
    pub latest: FunctionConfig,
    /// Published versions, oldest first.
    pub versions: Vec<LiveVersion>,
    /// The stack's alias, and the version it points at.
    pub alias: Option<String>,
    pub url: Option<LiveUrl>,
    /// Whether the alias's resource policy lets anyone call a `NONE`-auth URL.
    pub public_url_permission: bool,
}

impl LiveFunction {
    pub fn version(&self, v: &str) -> Option<&LiveVersion> {
        self.versions.iter().find(|x| x.version == v)
    }
}

/// What AWS has, keyed by AWS name; `None` means "does not exist".
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Observed {
    pub account: String,
    pub partition: String,
    pub region: String,
    pub roles: BTreeMap<String, Option<LiveRole>>,
    pub tables: BTreeMap<String, Option<LiveTable>>,
    pub functions: BTreeMap<String, Option<LiveFunction>>,
}

/// Reads the live state of everything `desired` declares.
pub async fn observe(clients: &Clients, desired: &Desired) -> Result<Observed, AwsError> {
    let (account, partition) = clients.identity().await?;
    let roles = try_join_all(desired.functions.iter().map(|f| async move {
        let live = aws::iam::get_role(&clients.iam, f.role_name()).await?;
        Ok::<_, AwsError>((f.role_name().to_string(), live))
    }));
    let tables = try_join_all(desired.tables.iter().map(|t| async move {
        let live = aws::dynamodb::describe_table(&clients.dynamodb, &t.name).await?;
        Ok::<_, AwsError>((t.name.clone(), live))
    }));
    let functions = try_join_all(desired.functions.iter().map(|f| async move {
        let live = aws::lambda::get_function(&clients.lambda, &f.name, &f.alias).await?;
        Ok::<_, AwsError>((f.name.clone(), live))
    }));
    let (roles, tables, functions) = tokio::try_join!(roles, tables, functions)?;
    Ok(Observed {
        account,
        partition,
        region: clients.region.clone(),
        roles: roles.into_iter().collect(),
        tables: tables.into_iter().collect(),
        functions: functions.into_iter().collect(),
    })
}
