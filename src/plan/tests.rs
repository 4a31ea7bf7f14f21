//! The planner's unit tests: desired + observed in, changes out.

use super::roles::check_policy_size;
use super::tables::plan_ttl;
use super::*;
use crate::plan::{FunctionChange, SiteChange, TableChange};
use std::collections::BTreeSet;

use serde_json::Value;

use crate::model::names::PublicStatement;
use crate::model::{LiveFrontend, LiveTtl, StatementState, UrlAuth};
use crate::model::{LiveFunction, LiveRole, LiveTable, LiveUrl, LiveVersion, UrlPermissions};
use crate::policy;
use std::path::Path;

const SHA: &str = "c2hhLW9uZQ==";

fn desired(extra: &str) -> Desired {
    let text = format!(
        "[stack]\nname = \"t\"\n\n[tables.data]\npartition_key = \"pk\"\n\n\
         [functions.api]\nbinary = \"/bin/sh\"\ntables = {{ data = \"read\" }}\n{extra}"
    );
    crate::stack::parse(Path::new("/tmp/t.toml"), &text).expect("valid stack")
}

fn packages(sha: &str) -> Local {
    Local {
        packages: BTreeMap::from([("api".to_string(), sha.to_string())]),
        ..Local::default()
    }
}

/// Plans the whole stack with default options.
fn plan_all(d: &Desired, sha: &str, o: &Observed) -> Plan {
    plan(d, &packages(sha), o, &Selection::All, Options::default()).expect("plan")
}

fn empty() -> Observed {
    Observed {
        account: "123456789012".into(),
        partition: "aws".into(),
        region: "us-west-2".into(),
        ..Observed::default()
    }
}

#[test]
fn a_secret_is_created_once_and_must_be_a_securestring() {
    let d = desired("secrets = [\"jwt\"]\n");
    let p = plan_all(&d, SHA, &empty());
    let created: Vec<&Change> = p
        .changes
        .iter()
        .filter(|c| matches!(c, Change::Function(FunctionChange::CreateSecret { .. })))
        .collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].resource(), "parameter/t/api/jwt");
    let pos = |pred: fn(&Change) -> bool| p.changes.iter().position(pred).unwrap();
    assert!(
        pos(|c| matches!(c, Change::Function(FunctionChange::CreateSecret { .. })))
            < pos(|c| matches!(c, Change::Function(FunctionChange::CreateFunction { .. })))
    );
    let mut o = converged(&d, SHA);
    o.secrets.insert("/t/api/jwt".into(), Some("SecureString".into()));
    assert!(plan_all(&d, SHA, &o).changes.is_empty());
    o.secrets.insert("/t/api/jwt".into(), Some("String".into()));
    let err = plan(&d, &packages(SHA), &o, &Selection::All, Options::default()).unwrap_err();
    assert!(err.to_string().contains("not a SecureString"), "{err}");
}

/// What AWS looks like right after a successful deploy of `d` with code `sha`.
fn converged(d: &Desired, sha: &str) -> Observed {
    let mut o = empty();
    let scope = ArnScope {
        partition: "aws",
        region: "us-west-2",
        account: "123456789012",
    };
    if !d.functions.is_empty() {
        o.boundary = Some(policy::boundary_policy(d, &scope));
    }
    for f in &d.functions {
        o.roles.insert(
            f.role_name().into(),
            Some(LiveRole {
                arn: scope.role(f.role_name()),
                trust: policy::lambda_trust(),
                policy: Some(policy::execution_policy(d, f, &scope)),
                region: Some("us-west-2".into()),
                boundary: Some(scope.boundary(&d.stack.name)),
            }),
        );
        let config = want_config(d, f, sha, &scope);
        o.functions.insert(
            f.name.clone(),
            Some(LiveFunction {
                arn: format!("arn:aws:lambda:us-west-2:123456789012:function:{}", f.name),
                latest: config.clone(),
                versions: vec![LiveVersion {
                    version: "1".into(),
                    config,
                }],
                alias: Some("1".into()),
                url: f.url.as_ref().map(|u| LiveUrl {
                    url: "https://x".into(),
                    auth: u.auth.as_str().into(),
                }),
                public_url: if f.url.as_ref().is_some_and(|u| u.auth == UrlAuth::None) {
                    UrlPermissions::both()
                } else {
                    UrlPermissions::default()
                },
                event_permissions: BTreeMap::new(),
                cloudfront_permissions: BTreeMap::new(),
                reserved_concurrency: None,
            }),
        );
    }
    for t in &d.tables {
        o.tables.insert(
            t.name.clone(),
            Some(LiveTable {
                arn: scope.table(&t.name),
                partition_key: t.partition_key.clone(),
                sort_key: t.sort_key.clone(),
                billing: t.billing,
                ttl: t.ttl_attribute.clone().map(LiveTtl::Enabled).unwrap_or_default(),
            }),
        );
    }
    o
}

fn actions(p: &Plan) -> Vec<String> {
    p.changes.iter().map(Change::action).collect()
}

#[test]
fn empty_account_creates_in_dependency_order() {
    let d = desired("");
    let p = plan_all(&d, SHA, &empty());
    assert_eq!(
        actions(&p),
        [
            "create_boundary",
            "create_role",
            "put_role_policy",
            "create_table",
            "create_function",
            "point_alias"
        ]
    );
    assert!(p.unchanged.is_empty());
}

/// A converged stack with one schedule `tick` on `api`, its rule as `rule` says.
fn with_schedule(input_live: &str, owned: bool) -> (Desired, Observed) {
    let d =
        desired("\n[schedules.tick]\nfunction = \"api\"\nexpression = \"rate(1 hour)\"\ninput = { b = 2, a = 1 }\n");
    let mut o = converged(&d, SHA);
    let rule_arn = "arn:aws:events:us-west-2:123456789012:rule/t-tick".to_string();
    o.functions
        .get_mut("t-api")
        .and_then(Option::as_mut)
        .unwrap()
        .event_permissions
        .insert("bosun-events-t-tick".into(), rule_arn.clone());
    o.rules.insert(
        "t-tick".into(),
        crate::model::LiveRule {
            name: "t-tick".into(),
            arn: rule_arn,
            expression: Some("rate(1 hour)".into()),
            enabled: true,
            description: String::new(),
            owned,
            targets: vec![crate::model::LiveTarget {
                id: "bosun".into(),
                arn: "arn:aws:lambda:us-west-2:123456789012:function:t-api:live".into(),
                input: Some(input_live.into()),
            }],
        },
    );
    (d, o)
}

#[test]
fn schedule_input_is_compared_as_json_not_text() {
    let (d, o) = with_schedule("{ \"a\": 1, \"b\": 2 }", true);
    let p = plan_all(&d, SHA, &o);
    assert!(p.is_empty(), "{p}");
    let (d, o) = with_schedule("{\"a\":1,\"b\":3}", true);
    assert_eq!(actions(&plan_all(&d, SHA, &o)), ["put_target"]);
}

#[test]
fn a_foreign_rule_with_the_schedules_name_is_refused() {
    let (d, o) = with_schedule("{}", false);
    let err = plan(&d, &packages(SHA), &o, &Selection::All, Options::default()).unwrap_err();
    assert!(matches!(err, PlanError::ForeignRule { .. }), "{err}");
}

#[test]
fn a_removed_schedule_deletes_its_rule_then_its_permission() {
    let (_, o) = with_schedule("{}", true);
    let p = plan_all(&desired(""), SHA, &o);
    assert_eq!(actions(&p), ["delete_rule", "remove_schedule_permission"]);
    // Only schedules are planned for `deploy schedules`; functions are not touched.
    let p = plan(
        &desired(""),
        &Local::default(),
        &o,
        &Selection::Schedules,
        Options::default(),
    )
    .unwrap();
    assert_eq!(actions(&p), ["delete_rule", "remove_schedule_permission"]);
}

#[test]
fn converged_state_plans_nothing() {
    let d = desired("url = { auth = \"none\" }\n");
    let p = plan_all(&d, SHA, &converged(&d, SHA));
    assert!(p.is_empty(), "{p}");
    assert_eq!(
        p.unchanged.len(),
        4,
        "the boundary, the role, the table, the function: {p}"
    );
    assert!(p.to_string().contains("no changes"));
}

#[test]
fn new_code_updates_publishes_and_moves_alias() {
    let d = desired("");
    let p = plan_all(&d, "bmV3", &converged(&d, SHA));
    assert_eq!(actions(&p), ["update_code", "publish_version", "point_alias"]);
    assert!(
        matches!(&p.changes[2], Change::Function(FunctionChange::PointAlias { target: AliasTarget::Published, from: Some(v), .. }) if v == "1")
    );
}

#[test]
fn memory_change_updates_configuration_only() {
    let d = desired("memory = 512\n");
    let before = desired("");
    let p = plan_all(&d, SHA, &converged(&before, SHA));
    assert_eq!(actions(&p), ["update_config", "publish_version", "point_alias"]);
    let Change::Function(FunctionChange::UpdateConfig { diff, .. }) = &p.changes[0] else {
        unreachable!()
    };
    assert_eq!(diff, &["memory 128 → 512 MB"]);
}

#[test]
fn environment_diff_names_keys_never_values() {
    let d = desired("environment = { TOKEN_NAME = \"s3cr3t-value\" }\n");
    let p = plan_all(&d, SHA, &converged(&desired(""), SHA));
    let text = p.to_string();
    assert!(text.contains("environment (TOKEN_NAME)"), "{text}");
    assert!(!text.contains("s3cr3t-value"), "{text}");
}

#[test]
fn an_existing_matching_version_is_reused_not_republished() {
    let d = desired("");
    let mut o = converged(&d, SHA);
    let f = o.functions.get_mut("t-api").unwrap().as_mut().unwrap();
    // Version 2 runs other code and the alias points at it; version 1 matches.
    let mut other = f.versions[0].config.clone();
    other.code_sha256 = "b3RoZXI=".into();
    f.versions.push(LiveVersion {
        version: "2".into(),
        config: other.clone(),
    });
    f.latest = other;
    f.alias = Some("2".into());
    let p = plan_all(&d, SHA, &o);
    assert_eq!(actions(&p), ["point_alias"]);
    assert!(
        matches!(&p.changes[0], Change::Function(FunctionChange::PointAlias { target: AliasTarget::Existing(v), .. }) if v == "1")
    );
}

#[test]
fn interrupted_run_after_update_publishes_without_reuploading() {
    // $LATEST already has the new code (the run died before publishing).
    let d = desired("");
    let mut o = converged(&d, SHA);
    let f = o.functions.get_mut("t-api").unwrap().as_mut().unwrap();
    f.latest.code_sha256 = "bmV3".into();
    let p = plan_all(&d, "bmV3", &o);
    assert_eq!(actions(&p), ["publish_version", "point_alias"]);
}

#[test]
fn missing_alias_is_created_on_a_matching_version() {
    let d = desired("");
    let mut o = converged(&d, SHA);
    o.functions.get_mut("t-api").unwrap().as_mut().unwrap().alias = None;
    let p = plan_all(&d, SHA, &o);
    assert_eq!(actions(&p), ["point_alias"]);
    assert!(p.changes[0].describe().starts_with("create alias"));
}

#[test]
fn changed_table_access_rewrites_only_the_policy() {
    let before = desired("");
    let text = "[stack]\nname = \"t\"\n\n[tables.data]\npartition_key = \"pk\"\n\n\
                [functions.api]\nbinary = \"/bin/sh\"\ntables = { data = \"read-write\" }\n";
    let d = crate::stack::parse(Path::new("/tmp/t.toml"), text).unwrap();
    let p = plan_all(&d, SHA, &converged(&before, SHA));
    assert_eq!(actions(&p), ["put_role_policy"]);
}

#[test]
fn policy_comparison_ignores_string_versus_list_and_order() {
    let d = desired("");
    let mut o = converged(&d, SHA);
    let role = o.roles.get_mut("t-api").unwrap().as_mut().unwrap();
    role.trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]
    });
    if let Some(Value::Array(st)) = role.policy.as_mut().and_then(|p| p.get_mut("Statement")) {
        if let Some(Value::Array(actions)) = st[0].get_mut("Action") {
            actions.reverse();
        }
    }
    assert!(plan_all(&d, SHA, &o).is_empty());
}

#[test]
fn key_schema_change_is_an_error_not_a_replace() {
    let d = desired("");
    let mut o = converged(&d, SHA);
    let t = o.tables.get_mut("t-data").unwrap().as_mut().unwrap();
    t.partition_key.name = "id".into();
    let err = plan(&d, &packages(SHA), &o, &Selection::All, Options::default()).unwrap_err();
    assert!(matches!(err, PlanError::KeySchemaChanged { .. }));
    assert!(err.to_string().contains("partition id (S)"), "{err}");
}

#[test]
fn ttl_and_billing_changes_update_the_table() {
    let text = "[stack]\nname = \"t\"\n\n[tables.data]\npartition_key = \"pk\"\nttl_attribute = \"exp\"\n\
                billing = \"provisioned\"\nread_capacity = 2\nwrite_capacity = 1\n\n\
                [functions.api]\nbinary = \"/bin/sh\"\ntables = { data = \"read\" }\n";
    let d = crate::stack::parse(Path::new("/tmp/t.toml"), text).unwrap();
    let before = desired("");
    let p = plan_all(&d, SHA, &converged(&before, SHA));
    // The policy is unchanged (same table ARN); billing and TTL change.
    assert_eq!(actions(&p), ["update_billing", "set_ttl"]);
}

#[test]
fn a_role_serving_another_region_is_refused() {
    let d = desired("");
    let mut o = converged(&d, SHA);
    o.roles.get_mut("t-api").unwrap().as_mut().unwrap().region = Some("eu-west-1".into());
    let err = plan(&d, &packages(SHA), &o, &Selection::All, Options::default()).unwrap_err();
    assert!(matches!(err, PlanError::RoleElsewhere { .. }), "{err}");
    assert!(err.to_string().contains("in eu-west-1"), "{err}");
    // A role from before bosun tagged regions: its policy's log-group ARN
    // says which region it serves.
    o.roles.get_mut("t-api").unwrap().as_mut().unwrap().region = None;
    assert!(plan_all(&d, SHA, &o).is_empty());
    let role = o.roles.get_mut("t-api").unwrap().as_mut().unwrap();
    let moved = role
        .policy
        .as_ref()
        .unwrap()
        .to_string()
        .replace(":logs:us-west-2:", ":logs:eu-west-1:");
    role.policy = Some(serde_json::from_str(&moved).unwrap());
    let err = plan(&d, &packages(SHA), &o, &Selection::All, Options::default()).unwrap_err();
    assert!(err.to_string().contains("in eu-west-1"), "{err}");
}

#[test]
fn a_managed_distribution_serving_another_regions_bucket_is_refused() {
    let d = desired("[frontends.web]\ndir = \"/tmp\"\nbucket = \"b-site\"\ndistribution = \"managed\"\n");
    let mut o = converged(&d, SHA);
    let site = LiveFrontend {
        bucket_region: Some("us-west-2".into()),
        versioning: true,
        distribution: Some("E1".into()),
        setup: crate::model::Setup {
            viewer_request_function: Some("arn:aws:cloudfront::123456789012:function/bosun-t-index".into()),
            origins: vec![crate::model::LiveOrigin {
                domain: "b-site.s3.eu-west-1.amazonaws.com".into(),
                ..Default::default()
            }],
            ..Default::default()
        },
        ..LiveFrontend::default()
    };
    o.frontends.insert("web".into(), site);
    o.index_function = Some(crate::model::edge::INDEX_FUNCTION_CODE.as_bytes().to_vec());
    let err = plan(&d, &packages(SHA), &o, &Selection::All, Options::default()).unwrap_err();
    assert!(matches!(err, PlanError::DistributionElsewhere { .. }), "{err}");
    assert!(err.to_string().contains("b-site.s3.eu-west-1.amazonaws.com"), "{err}");
    // Its own region's origin: fine; China's partition has its own suffix.
    assert_eq!(
        crate::model::names::s3_origin_domain("b", "cn-north-1", "aws-cn"),
        "b.s3.cn-north-1.amazonaws.com.cn"
    );
}

#[test]
fn an_inline_policy_past_iams_limit_is_refused() {
    let d = desired("");
    let scope = ArnScope {
        partition: "aws",
        region: "us-west-2",
        account: "123456789012",
    };
    let real = policy::execution_policy(&d, &d.functions[0], &scope);
    assert!(check_policy_size("t-api", "api", &real).is_ok());
    let resources: Vec<String> = (0..200)
        .map(|i| scope.table(&format!("a-rather-long-table-name-number-{i:03}")))
        .collect();
    let big = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": resources}
    ]});
    let err = check_policy_size("t-api", "api", &big).unwrap_err();
    assert!(matches!(err, PlanError::PolicyTooLarge { .. }), "{err}");
    assert!(err.to_string().contains("IAM allows 10240"), "{err}");
    // Whitespace does not count.
    let padded = serde_json::to_string_pretty(&real).unwrap();
    assert_eq!(
        policy::policy_size(&real),
        padded.chars().filter(|c| !c.is_whitespace()).count()
    );
}

#[test]
fn another_account_is_refused_before_any_change() {
    let d = desired("");
    let mut d2 = d.clone();
    d2.stack.account = Some("210987654321".into());
    let err = plan(&d2, &packages(SHA), &empty(), &Selection::All, Options::default()).unwrap_err();
    assert!(matches!(err, PlanError::WrongAccount { .. }));
    assert!(err.to_string().contains("account 210987654321"), "{err}");
    d2.stack.account = Some("123456789012".into());
    assert!(!plan_all(&d2, SHA, &empty()).changes.is_empty());
}

#[test]
fn ttl_changes_one_step_per_run_and_waits_out_changes_in_progress() {
    let on = |a: &str| LiveTtl::Enabled(a.into());
    // Nothing to do, including a change AWS is still finishing.
    assert_eq!(plan_ttl("t", &on("exp"), Some("exp")), (None, None));
    assert_eq!(
        plan_ttl("t", &LiveTtl::Enabling("exp".into()), Some("exp")),
        (None, None)
    );
    assert_eq!(plan_ttl("t", &LiveTtl::Disabling("exp".into()), None), (None, None));
    // One UpdateTimeToLive per table per run.
    let actions = |p: (Option<Change>, Option<String>)| {
        (
            p.0.map(|c| match c {
                Change::Table(TableChange::SetTtl { attribute, enabled, .. }) => format!("{attribute}:{enabled}"),
                other => other.action(),
            }),
            p.1.is_some(),
        )
    };
    assert_eq!(
        actions(plan_ttl("t", &LiveTtl::Disabled, Some("exp"))),
        (Some("exp:true".into()), false)
    );
    assert_eq!(
        actions(plan_ttl("t", &on("exp"), None)),
        (Some("exp:false".into()), false)
    );
    // Another attribute: disable now, tell the user when to re-run.
    let (change, warning) = plan_ttl("t", &on("old"), Some("new"));
    assert_eq!(actions((change, None)).0.as_deref(), Some("old:false"));
    let warning = warning.expect("a warning");
    assert!(warning.contains("run the deploy again in an hour"), "{warning}");
    // DISABLING is in progress, not "off": no change, a warning.
    let (change, warning) = plan_ttl("t", &LiveTtl::Disabling("old".into()), Some("new"));
    assert!(change.is_none());
    assert!(warning.unwrap().contains("DISABLING"));
    let (change, warning) = plan_ttl("t", &LiveTtl::Enabling("old".into()), Some("new"));
    assert!(change.is_none() && warning.is_some());
}

#[test]
fn url_on_an_existing_function_is_added_with_its_permission_and_removed_with_it() {
    let d = desired("url = { auth = \"none\" }\n");
    let p = plan_all(&d, SHA, &converged(&desired(""), SHA));
    // Both statements Lambda needs for a public URL (since October 2025).
    assert_eq!(actions(&p), ["put_url", "allow_public_url", "allow_public_url"]);
    let statements: Vec<PublicStatement> = p
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Function(FunctionChange::AllowPublicUrl { statement, .. }) => Some(*statement),
            _ => None,
        })
        .collect();
    assert_eq!(
        statements,
        [PublicStatement::InvokeFunctionUrl, PublicStatement::InvokeFunction]
    );
    let p = plan_all(&desired(""), SHA, &converged(&d, SHA));
    assert_eq!(actions(&p), ["remove_public_url", "delete_url"]);
    let iam = desired("url = { auth = \"aws-iam\" }\n");
    let p = plan_all(&iam, SHA, &converged(&d, SHA));
    assert_eq!(actions(&p), ["put_url", "remove_public_url"]);
}

#[test]
fn a_url_with_only_the_old_statement_gets_the_second_one() {
    let d = desired("url = { auth = \"none\" }\n");
    let mut o = converged(&d, SHA);
    let live = o.functions.get_mut("t-api").unwrap().as_mut().unwrap();
    // A URL made before October 2025: only lambda:InvokeFunctionUrl.
    live.public_url.invoke_function = StatementState::Absent;
    let p = plan_all(&d, SHA, &o);
    assert_eq!(actions(&p), ["allow_public_url"]);
    assert!(matches!(
        p.changes[0],
        Change::Function(FunctionChange::AllowPublicUrl {
            statement: PublicStatement::InvokeFunction,
            ..
        })
    ));
    // A statement with bosun's id that says something else is replaced.
    let live = o.functions.get_mut("t-api").unwrap().as_mut().unwrap();
    live.public_url.invoke_function = StatementState::Wrong;
    let p = plan_all(&d, SHA, &o);
    assert_eq!(
        actions(&p),
        ["remove_public_url", "allow_public_url", "allow_public_url"]
    );
}

#[test]
fn selecting_functions_skips_others_and_unused_tables() {
    let text =
        "[stack]\nname = \"t\"\n\n[tables.data]\npartition_key = \"pk\"\n[tables.other]\npartition_key = \"pk\"\n\n\
                [functions.api]\nbinary = \"/bin/sh\"\ntables = { data = \"read\" }\n\
                [functions.worker]\nbinary = \"/bin/sh\"\n";
    let d = crate::stack::parse(Path::new("/tmp/t.toml"), text).unwrap();
    let sel = Selection::Functions(["api".to_string()].into());
    let p = plan(&d, &packages(SHA), &empty(), &sel, Options::default()).unwrap();
    let resources: BTreeSet<String> = p.changes.iter().map(Change::resource).collect();
    assert_eq!(
        resources,
        BTreeSet::from([
            "policy/bosun-t-boundary".into(),
            "role/t-api".into(),
            "table/t-data".into(),
            "function/t-api".into()
        ])
    );
}

#[test]
fn viewer_paths_take_the_origin_path_off_the_key() {
    use super::frontends::viewer_prefix;
    use crate::model::names::serves_bucket;
    use crate::model::LiveOrigin;
    let d = desired("[frontends.web]\ndir = \"/tmp\"\nbucket = \"shared\"\nprefix = \"crew/\"\n");
    let spec = &d.frontends[0];
    let origin = |domain: &str, path: &str| LiveOrigin {
        domain: domain.into(),
        path: path.into(),
        ..Default::default()
    };
    let root = origin("shared.s3.us-west-2.amazonaws.com", "");
    assert_eq!(viewer_prefix(spec, &[root]), Ok("crew/".to_string()));
    let under = origin("shared.s3.amazonaws.com", "/crew");
    assert_eq!(viewer_prefix(spec, &[under]), Ok(String::new()));
    // Another prefix, another bucket, a custom origin: none serves s3://shared/crew/.
    let other = [
        origin("shared.s3.us-west-2.amazonaws.com", "/tools"),
        origin("sharedx.s3.us-west-2.amazonaws.com", ""),
        origin("abc.lambda-url.us-west-2.on.aws", ""),
    ];
    let err = viewer_prefix(spec, &other).unwrap_err();
    assert!(err.contains("shared.s3.us-west-2.amazonaws.com/tools"), "{err}");
    assert_eq!(viewer_prefix(spec, &[]), Err("none".to_string()));
    assert!(serves_bucket("shared.s3-website-us-west-2.amazonaws.com", "shared"));
    assert!(serves_bucket("shared.s3.cn-north-1.amazonaws.com.cn", "shared"));
    assert!(!serves_bucket("shared.example.com", "shared"));
}

#[test]
fn an_existing_distribution_is_invalidated_at_its_viewer_paths() {
    let d =
        desired("[frontends.web]\ndir = \"/tmp\"\nbucket = \"shared\"\nprefix = \"crew/\"\ndistribution = \"E1\"\n");
    let file = crate::frontend::LocalFile {
        dir: std::sync::Arc::new("/tmp".into()),
        own: None,
        key: "crew/index.html".into(),
        rel_at: "crew/".len(),
        size: 1,
        sha256: crate::frontend::Hex([1; 32]),
        md5: crate::frontend::Hex([2; 16]),
        style: std::sync::Arc::new(crate::frontend::Style::new("text/html".into(), "no-cache".into())),
    };
    let mut local = packages(SHA);
    local.frontends.insert("web".into(), vec![file.into()]);
    let mut o = converged(&d, SHA);
    let live = LiveFrontend {
        bucket_region: Some("us-west-2".into()),
        versioning: true,
        distribution: Some("E1".into()),
        setup: crate::model::Setup {
            viewer_request_function: None,
            origins: vec![crate::model::LiveOrigin {
                domain: "shared.s3.us-west-2.amazonaws.com".into(),
                ..Default::default()
            }],
            ..Default::default()
        },
        ..LiveFrontend::default()
    };
    o.frontends.insert("web".into(), live.clone());
    let p = plan(&d, &local, &o, &Selection::Frontends, Options::default()).unwrap();
    let paths: Vec<&Vec<String>> = p
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Site(SiteChange::Invalidate { paths, .. }) => Some(paths),
            _ => None,
        })
        .collect();
    assert_eq!(
        paths,
        [&vec!["/crew".to_string(), "/crew/".into(), "/crew/index.html".into()]]
    );
    // The same distribution with no origin for the bucket is refused.
    let mut elsewhere = live;
    elsewhere.setup.origins[0].domain = "other.s3.us-west-2.amazonaws.com".into();
    o.frontends.insert("web".into(), elsewhere);
    let err = plan(&d, &local, &o, &Selection::Frontends, Options::default()).unwrap_err();
    assert!(matches!(err, PlanError::DistributionMisses { .. }), "{err}");
}

/// The stack's boundary: a role without it gets it (before any policy
/// write, which a deployer may make only on a bounded role); trust drift and
/// a boundary that differs are reported for a person to fix, never
/// rewritten by a deployer.
#[test]
fn roles_get_the_boundary_and_trust_or_boundary_drift_is_only_reported() {
    let d = desired("");
    let mut o = converged(&d, SHA);
    let role = o.roles.get_mut("t-api").and_then(Option::as_mut).unwrap();
    role.boundary = None;
    role.policy = None;
    role.trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": "sts:AssumeRole"}]});
    o.boundary = Some(serde_json::json!({"Version": "2012-10-17", "Statement": []}));
    let p = plan_all(&d, SHA, &o);
    assert_eq!(actions(&p), ["set_role_boundary", "put_role_policy"]);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("aws iam update-assume-role-policy --role-name t-api")),
        "{:?}",
        p.warnings
    );
    assert!(
        p.warnings.iter().any(|w| w.contains("bosun policy --boundary")),
        "{:?}",
        p.warnings
    );
}

/// The plan, not the AWS layer, says which security headers a live policy
/// sets otherwise: read as a browser sees them, compared with bosun's.
#[test]
fn a_headers_policy_is_compared_header_by_header() {
    use super::frontends::headers_differences;
    let wanted: BTreeMap<String, String> = crate::model::edge::security_headers()
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect();
    assert!(headers_differences(&wanted).is_empty());
    let mut live = wanted.clone();
    live.insert("Content-Security-Policy".into(), "default-src *".into());
    live.remove("X-Frame-Options");
    let hsts = live.get_mut("Strict-Transport-Security").unwrap();
    hsts.push_str("; preload");
    assert_eq!(
        headers_differences(&live),
        [
            "Strict-Transport-Security",
            "X-Frame-Options",
            "Content-Security-Policy"
        ]
    );
    assert_eq!(headers_differences(&BTreeMap::new()).len(), 5);
}
