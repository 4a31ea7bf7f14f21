//! Every kind of `Change` once, as `bosun plan --output json` and the
//! journal write it: the JSON is compared byte for byte with
//! `snapshots/changes.json`, so a change to the plan's types cannot change
//! what scripts and older journals read.

use crate::plan::{EdgeChange, FunctionChange, NewDistribution, RoleChange, ScheduleChange, SiteChange, TableChange};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::model::names::PublicStatement;
use crate::model::site::Style;
use crate::model::{Billing, DomainSpec, FrontendManifest, FunctionConfig, Hex};

fn config() -> FunctionConfig {
    FunctionConfig {
        code_sha256: "c2hh".into(),
        memory: 256,
        timeout: 10,
        description: "api".into(),
        environment: BTreeMap::from([("TABLE".to_string(), "t-data".to_string())]),
        runtime: "provided.al2023".into(),
        architecture: "arm64".into(),
        role: "arn:aws:iam::123456789012:role/t-api".into(),
        handler: "bootstrap".into(),
    }
}

fn file() -> SiteFile {
    Arc::new(LocalFile {
        dir: Arc::new(PathBuf::from("/site")),
        own: None,
        key: "app/index.html".into(),
        rel_at: 4,
        size: 12,
        sha256: Hex([7; 32]),
        md5: Hex([9; 16]),
        style: Arc::new(Style::new("text/html".into(), "no-cache".into())),
    })
}

fn api() -> PlannedApi {
    PlannedApi {
        function: "api".into(),
        name: "t-api".into(),
        alias: "live".into(),
        path: "/api/*".into(),
        request_policy: Some("bosun-t-web-api".into()),
    }
}

fn domain() -> Option<DomainSpec> {
    Some(DomainSpec {
        name: "www.example.com".into(),
        certificate: "arn:aws:acm:us-east-1:123456789012:certificate/abc".into(),
    })
}

/// One of each `Change`.
fn every_change() -> Vec<Change> {
    let (site, bucket, dist) = ("web".to_string(), "t-site".to_string(), "E123".to_string());
    let (f, name, alias) = ("api".to_string(), "t-api".to_string(), "live".to_string());
    let arn = "arn:aws:cloudfront::123456789012:distribution/E123".to_string();
    vec![
        Change::Role(RoleChange::CreateBoundary {
            name: "t-boundary".into(),
            policy: json!({"Version": "2012-10-17"}),
        }),
        Change::Role(RoleChange::CreateRole {
            role: "t-api".into(),
            trust: json!({"Statement": []}),
            boundary: "arn:aws:iam::123456789012:policy/t-boundary".into(),
        }),
        Change::Role(RoleChange::SetRoleBoundary {
            role: "t-api".into(),
            boundary: "arn:aws:iam::123456789012:policy/t-boundary".into(),
        }),
        Change::Role(RoleChange::PutRolePolicy {
            role: "t-api".into(),
            policy: json!({"Statement": [{"Effect": "Allow"}]}),
        }),
        Change::Table(TableChange::CreateTable {
            table: "data".into(),
            name: "t-data".into(),
        }),
        Change::Table(TableChange::UpdateBilling {
            name: "t-data".into(),
            from: "PAY_PER_REQUEST".into(),
            to: Billing::Provisioned { read: 5, write: 2 },
        }),
        Change::Table(TableChange::SetTtl {
            name: "t-data".into(),
            attribute: "expires_at".into(),
            enabled: true,
        }),
        Change::Function(FunctionChange::UploadData {
            function: f.clone(),
            bucket: bucket.clone(),
            file: (*file()).clone(),
        }),
        Change::Function(FunctionChange::CreateSecret {
            function: f.clone(),
            parameter: "/t/api/jwt".into(),
        }),
        Change::Function(FunctionChange::CreateFunction {
            function: f.clone(),
            name: name.clone(),
            config: config(),
        }),
        Change::Function(FunctionChange::UpdateCode {
            function: f.clone(),
            name: name.clone(),
            from: "b2xk".into(),
            to: "bmV3".into(),
        }),
        Change::Function(FunctionChange::UpdateConfig {
            function: f.clone(),
            name: name.clone(),
            config: config(),
            diff: vec!["memory".into()],
        }),
        Change::Function(FunctionChange::PublishVersion {
            function: f.clone(),
            name: name.clone(),
            code_sha256: "c2hh".into(),
        }),
        Change::Function(FunctionChange::PointAlias {
            function: f.clone(),
            name: name.clone(),
            alias: alias.clone(),
            target: AliasTarget::Existing("3".into()),
            from: Some("2".into()),
        }),
        Change::Function(FunctionChange::PointAlias {
            function: f.clone(),
            name: name.clone(),
            alias: alias.clone(),
            target: AliasTarget::Published,
            from: None,
        }),
        Change::Function(FunctionChange::PutConcurrency {
            function: f.clone(),
            name: name.clone(),
            from: None,
            to: Some(5),
        }),
        Change::Function(FunctionChange::PutUrl {
            function: f.clone(),
            name: name.clone(),
            alias: alias.clone(),
            auth: "AWS_IAM".into(),
            create: true,
        }),
        Change::Function(FunctionChange::AllowPublicUrl {
            function: f.clone(),
            name: name.clone(),
            alias: alias.clone(),
            statement: PublicStatement::InvokeFunctionUrl,
        }),
        Change::Function(FunctionChange::RemovePublicUrl {
            function: f.clone(),
            name: name.clone(),
            alias: alias.clone(),
        }),
        Change::Function(FunctionChange::DeleteUrl {
            function: f.clone(),
            name: name.clone(),
            alias: alias.clone(),
        }),
        Change::Site(SiteChange::CreateBucket {
            site: site.clone(),
            bucket: bucket.clone(),
            region: "us-west-2".into(),
        }),
        Change::Site(SiteChange::EnableVersioning {
            site: site.clone(),
            bucket: bucket.clone(),
        }),
        Change::Edge(EdgeChange::PutIndexFunction {
            name: "bosun-t-index".into(),
        }),
        Change::Edge(EdgeChange::CreateDistribution(NewDistribution {
            site: site.clone(),
            bucket: bucket.clone(),
            prefix: "app/".into(),
            comment: "bosun t/web".into(),
            index_function: "arn:aws:cloudfront::123456789012:function/bosun-t-index".into(),
            api: Some(api()),
            domain: domain(),
            headers_policy: "bosun-t-headers".into(),
        })),
        Change::Edge(EdgeChange::CreateDistribution(NewDistribution {
            site: site.clone(),
            bucket: bucket.clone(),
            prefix: String::new(),
            comment: "bosun t/web".into(),
            index_function: "arn:aws:cloudfront::123456789012:function/bosun-t-index".into(),
            api: None,
            domain: None,
            headers_policy: "bosun-t-headers".into(),
        })),
        Change::Edge(EdgeChange::PutHeadersPolicy {
            name: "bosun-t-headers".into(),
            differs: vec!["Content-Security-Policy".into()],
        }),
        Change::Edge(EdgeChange::PutHeadersPolicy {
            name: "bosun-t-headers".into(),
            differs: Vec::new(),
        }),
        Change::Edge(EdgeChange::PutRequestPolicy {
            site: site.clone(),
            name: "bosun-t-web-api".into(),
            headers: vec!["content-type".into()],
        }),
        Change::Edge(EdgeChange::AttachHeadersPolicy {
            site: site.clone(),
            distribution: dist.clone(),
            name: "bosun-t-headers".into(),
        }),
        Change::Edge(EdgeChange::SetDomain {
            site: site.clone(),
            distribution: dist.clone(),
            domain: domain(),
        }),
        Change::Edge(EdgeChange::AttachApi {
            site: site.clone(),
            distribution: dist.clone(),
            api: api(),
        }),
        Change::Edge(EdgeChange::DetachApi {
            site: site.clone(),
            distribution: dist.clone(),
            origin: "bosun-api-old".into(),
        }),
        Change::Edge(EdgeChange::AllowCloudFront {
            site: site.clone(),
            function: f.clone(),
            name: name.clone(),
            alias: alias.clone(),
            statement: PublicStatement::InvokeFunction,
            distribution_arn: None,
        }),
        Change::Edge(EdgeChange::RemoveCloudFrontPermission {
            site: site.clone(),
            name: name.clone(),
            alias: alias.clone(),
            sid: "bosun-cloudfront-url".into(),
        }),
        Change::Edge(EdgeChange::TagDistribution {
            site: site.clone(),
            distribution: dist.clone(),
            arn: arn.clone(),
        }),
        Change::Edge(EdgeChange::AttachIndexFunction {
            site: site.clone(),
            distribution: dist.clone(),
            function_arn: "arn:aws:cloudfront::123456789012:function/bosun-t-index".into(),
        }),
        Change::Site(SiteChange::AllowDistribution {
            site: site.clone(),
            bucket: bucket.clone(),
            prefix: "app/".into(),
            distribution_arn: Some(arn.clone()),
        }),
        Change::Site(SiteChange::Upload {
            site: site.clone(),
            bucket: bucket.clone(),
            phase: UploadPhase::Html,
            files: vec![file()],
        }),
        Change::Site(SiteChange::Invalidate {
            site: site.clone(),
            distribution: dist.clone(),
            paths: vec!["/index.html".into()],
            caller_reference: "bosun-t-1".into(),
        }),
        Change::Site(SiteChange::WriteManifest {
            site: site.clone(),
            bucket: bucket.clone(),
            key: "app/.bosun/manifest.json".into(),
            known: Default::default(),
        }),
        Change::Site(SiteChange::DeleteObjects {
            site: site.clone(),
            bucket: bucket.clone(),
            keys: vec!["app/old.js".into()],
        }),
        Change::Site(SiteChange::RestoreObjects {
            site: site.clone(),
            bucket: bucket.clone(),
            objects: vec![("app/index.html".into(), "v1".into())],
        }),
        Change::Site(SiteChange::WriteRecordedManifest {
            site: site.clone(),
            bucket: bucket.clone(),
            key: "app/.bosun/manifest.json".into(),
            manifest: FrontendManifest {
                version: 1,
                files: Default::default(),
            },
        }),
        Change::Schedule(ScheduleChange::AllowSchedule {
            schedule: "daily".into(),
            rule: "t-daily".into(),
            rule_arn: "arn:aws:events:us-west-2:123456789012:rule/t-daily".into(),
            name: name.clone(),
            alias: alias.clone(),
            sid: "bosun-t-daily".into(),
        }),
        Change::Schedule(ScheduleChange::PutRule {
            schedule: "daily".into(),
            rule: "t-daily".into(),
            expression: "cron(0 14 * * ? *)".into(),
            enabled: true,
            description: "daily report".into(),
            diff: Vec::new(),
        }),
        Change::Schedule(ScheduleChange::PutTarget {
            schedule: "daily".into(),
            rule: "t-daily".into(),
            target_arn: "arn:aws:lambda:us-west-2:123456789012:function:t-api:live".into(),
            input: "{}".into(),
        }),
        Change::Schedule(ScheduleChange::RemoveTargets {
            rule: "t-daily".into(),
            ids: vec!["stray".into()],
        }),
        Change::Schedule(ScheduleChange::DeleteRule {
            rule: "t-old".into(),
            target_ids: vec!["bosun".into()],
        }),
        Change::Schedule(ScheduleChange::RemoveSchedulePermission {
            rule: "t-old".into(),
            name,
            alias,
            sid: "bosun-t-old".into(),
        }),
    ]
}

fn snapshot() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/plan/snapshots/changes.json")
}

/// The plan's JSON is the snapshot's, byte for byte. `BOSUN_BLESS=1`
/// writes the snapshot (only when the JSON is meant to change).
#[test]
fn every_change_serializes_as_the_snapshot_says() {
    let changes = every_change();
    let text = serde_json::to_string_pretty(&changes).unwrap() + "\n";
    if std::env::var_os("BOSUN_BLESS").is_some() {
        std::fs::write(snapshot(), &text).unwrap();
    }
    let want = std::fs::read_to_string(snapshot()).expect("src/plan/snapshots/changes.json");
    assert!(text == want, "plan JSON differs from the snapshot:\n{text}");
    // Each action once at least: the snapshot covers every kind of change.
    let actions: std::collections::BTreeSet<String> = serde_json::from_str::<Vec<serde_json::Value>>(&text)
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(actions.len(), 46, "every variant of Change is in the snapshot");
}
