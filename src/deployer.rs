//! The least-privilege IAM policy a CI deployer needs for one stack
//! (`bosun policy`). Pure: the stack and where ARNs live come in, a policy
//! document goes out.
//!
//! Every action here is one bosun calls (or one an SDK waiter calls, or one
//! IAM requires alongside another, e.g. tagging on create). Resources are
//! the stack's own ARNs where their names are known before deploy; where
//! AWS has no resource-level permission for an action (STS
//! GetCallerIdentity, CloudFront and EventBridge listings, SES account
//! reads), the statement says `*` and why.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::model::names::STACK_TAG;
use crate::model::{Desired, DistributionSpec, SesSpec, UrlAuth};
use crate::policy::ArnScope;

/// One statement: a Sid, actions, resources, optional condition.
fn statement(sid: &str, actions: &[&str], resources: Vec<String>) -> Value {
    json!({
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": resources,
    })
}

/// `arn:…:s3:::bucket` and its objects under `prefix`.
fn bucket_arns(scope: &ArnScope<'_>, bucket: &str, prefix: &str) -> (String, String) {
    (
        format!("arn:{}:s3:::{bucket}", scope.partition),
        format!("arn:{}:s3:::{bucket}/{prefix}*", scope.partition),
    )
}

const ROLE_ACTIONS: &[&str] = &["iam:GetRole", "iam:GetRolePolicy", "iam:TagRole"];

/// Role writes, allowed only with the stack's permissions boundary on the
/// role (`iam:PermissionsBoundary`): a deployer can never make a role that
/// may do more than the boundary, nor take the boundary off (no
/// DeleteRolePermissionsBoundary), nor change who may assume a role (no
/// UpdateAssumeRolePolicy: trust drift is reported for a person to fix).
const BOUNDED_ROLE_ACTIONS: &[&str] = &["iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"];

const TABLE_ACTIONS: &[&str] = &[
    "dynamodb:DescribeTable",
    "dynamodb:DescribeTimeToLive",
    "dynamodb:CreateTable",
    "dynamodb:TagResource",
    "dynamodb:UpdateTable",
    "dynamodb:UpdateTimeToLive",
];

const FUNCTION_ACTIONS: &[&str] = &[
    "lambda:GetFunction",
    "lambda:GetFunctionConfiguration",
    "lambda:ListVersionsByFunction",
    "lambda:GetAlias",
    "lambda:GetFunctionUrlConfig",
    "lambda:GetPolicy",
    "lambda:CreateFunction",
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
    "lambda:PublishVersion",
    "lambda:DeleteFunction",
    "lambda:CreateAlias",
    "lambda:UpdateAlias",
    "lambda:DeleteFunctionUrlConfig",
    "lambda:RemovePermission",
    "lambda:PutFunctionConcurrency",
    "lambda:DeleteFunctionConcurrency",
];

/// Bucket-level actions (HeadBucket and ListObjectsV2 are s3:ListBucket,
/// ListObjectVersions is s3:ListBucketVersions).
const BUCKET_ACTIONS: &[&str] = &[
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:CreateBucket",
    "s3:GetBucketVersioning",
    "s3:PutBucketVersioning",
    "s3:PutBucketPublicAccessBlock",
];

/// Object-level actions (HeadObject is s3:GetObject; CopyObject of a
/// recorded version needs s3:GetObjectVersion and s3:PutObject;
/// DeleteObjects is s3:DeleteObject per key).
const OBJECT_ACTIONS: &[&str] = &["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject"];

const DISTRIBUTION_READS: &[&str] = &[
    "cloudfront:GetDistribution",
    "cloudfront:GetDistributionConfig",
    "cloudfront:GetInvalidation",
    "cloudfront:ListInvalidations",
    "cloudfront:ListTagsForResource",
];

const DISTRIBUTION_WRITES: &[&str] = &["cloudfront:UpdateDistribution", "cloudfront:CreateInvalidation"];

const RULE_ACTIONS: &[&str] = &[
    "events:ListTagsForResource",
    "events:ListTargetsByRule",
    "events:PutRule",
    "events:TagResource",
    "events:RemoveTargets",
    "events:DeleteRule",
];

/// Whether an IAM action only reads: its name starts with Get, List,
/// Describe or Head (`s3:GetObject`, `lambda:ListVersionsByFunction`).
/// Except s3:GetObjectVersion, which only a rollback's copy needs: a plan
/// reads no object's old versions (the data files' among them).
pub fn is_read_action(action: &str) -> bool {
    let verb = action.split_once(':').map_or(action, |(_, v)| v);
    action != "s3:GetObjectVersion" && ["Get", "List", "Describe", "Head"].iter().any(|p| verb.starts_with(p))
}

/// The read half of a policy: each statement keeps only its read actions
/// (and its resources and conditions); statements left empty are dropped.
pub fn read_only(policy: &Value) -> Value {
    let mut out = policy.clone();
    if let Some(statements) = out["Statement"].as_array_mut() {
        statements.retain_mut(|s| {
            let Some(actions) = s["Action"].as_array_mut() else {
                return false;
            };
            actions.retain(|a| a.as_str().is_some_and(is_read_action));
            !actions.is_empty()
        });
    }
    out
}

/// The policy document for `desired`. `scope.account` may be `*` when the
/// account is not known (the ARNs then match the names in any account).
pub fn deployer_policy(desired: &Desired, scope: &ArnScope<'_>) -> Value {
    let mut statements = vec![json!({
        "Sid": "WhoAmI",
        "Effect": "Allow",
        "Action": ["sts:GetCallerIdentity"],
        // GetCallerIdentity has no resource and needs no permission in
        // practice; listed so the policy is the whole truth.
        "Resource": "*"
    })];

    if desired.functions.iter().any(|f| f.reserved_concurrency.is_some()) {
        statements.push(json!({
            "Sid": "AccountConcurrency",
            "Effect": "Allow",
            "Action": ["lambda:GetAccountSettings"],
            // The account's unreserved concurrency, read before reserving
            // more; GetAccountSettings has no resource to scope to.
            "Resource": "*"
        }));
    }

    let roles: Vec<String> = desired.functions.iter().map(|f| scope.role(f.role_name())).collect();
    if !roles.is_empty() {
        statements.push(statement("ExecutionRoles", ROLE_ACTIONS, roles.clone()));
        let boundary = scope.boundary(&desired.stack.name);
        let mut bounded = statement("ExecutionRoleWrites", BOUNDED_ROLE_ACTIONS, roles.clone());
        // ArnLike: the ARN holds `*` for the account when none is given.
        bounded["Condition"] = json!({"ArnLike": {"iam:PermissionsBoundary": boundary}});
        statements.push(bounded);
        // The boundary is only read: an administrator creates it (`bosun
        // policy --boundary`); a deployer that could create it could write
        // it with any document before the first deploy.
        statements.push(statement(
            "PermissionsBoundary",
            &["iam:GetPolicy", "iam:GetPolicyVersion"],
            vec![boundary],
        ));
        let mut pass = statement("PassExecutionRolesToLambda", &["iam:PassRole"], roles);
        pass["Condition"] = json!({"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}});
        statements.push(pass);
    }

    let tables: Vec<String> = desired.tables.iter().map(|t| scope.table(&t.name)).collect();
    if !tables.is_empty() {
        statements.push(statement("Tables", TABLE_ACTIONS, tables));
    }

    // A function's ARN and its qualified ones: versions and the alias
    // (`name:live`, `name:7`).
    let arns = |f: &crate::model::FunctionSpec| {
        let arn = scope.function(&f.name);
        [arn.clone(), format!("{arn}:*")]
    };
    if !desired.functions.is_empty() {
        let functions: Vec<String> = desired.functions.iter().flat_map(arns).collect();
        statements.push(statement("Functions", FUNCTION_ACTIONS, functions));
        // Resource-policy grants only to the principals this stack grants
        // (the reference's lambda:Principal), each only on the functions
        // that grant it: a deployer cannot open another function to the
        // world, to rules or to distributions.
        let public = |f: &&crate::model::FunctionSpec| f.url.as_ref().is_some_and(|u| u.auth == UrlAuth::None);
        let behind_cloudfront = |f: &&crate::model::FunctionSpec| {
            desired
                .frontends
                .iter()
                .any(|s| s.api.as_ref().is_some_and(|a| a.function == f.key))
        };
        let scheduled = |f: &&crate::model::FunctionSpec| desired.schedules.iter().any(|s| s.function == f.key);
        let grants: [(&str, &str, Vec<String>); 3] = [
            (
                "FunctionGrantsPublic",
                "*",
                desired.functions.iter().filter(public).flat_map(arns).collect(),
            ),
            (
                "FunctionGrantsCloudFront",
                "cloudfront.amazonaws.com",
                desired
                    .functions
                    .iter()
                    .filter(behind_cloudfront)
                    .flat_map(arns)
                    .collect(),
            ),
            (
                "FunctionGrantsEvents",
                "events.amazonaws.com",
                desired.functions.iter().filter(scheduled).flat_map(arns).collect(),
            ),
        ];
        for (sid, principal, resources) in grants {
            if !resources.is_empty() {
                let mut grant = statement(sid, &["lambda:AddPermission"], resources);
                grant["Condition"] = json!({"StringEquals": {"lambda:Principal": principal}});
                statements.push(grant);
            }
        }
        // Function URLs only with the auth type each function's URL has.
        for (sid, auth) in [
            ("FunctionUrlsIam", UrlAuth::AwsIam),
            ("FunctionUrlsPublic", UrlAuth::None),
        ] {
            let resources: Vec<String> = desired
                .functions
                .iter()
                .filter(|f| f.url.as_ref().is_some_and(|u| u.auth == auth))
                .flat_map(arns)
                .collect();
            if !resources.is_empty() {
                let mut urls = statement(
                    sid,
                    &["lambda:CreateFunctionUrlConfig", "lambda:UpdateFunctionUrlConfig"],
                    resources,
                );
                urls["Condition"] = json!({"StringEquals": {"lambda:FunctionUrlAuthType": auth.as_str()}});
                statements.push(urls);
            }
        }
    }

    // The state bucket: releases, the lock, data files.
    let state_bucket = desired.stack.state_bucket(scope.account);
    let (bucket, _) = bucket_arns(scope, &state_bucket, "");
    let object = |key: &str| format!("{bucket}/{key}");
    statements.push(statement("StateBucket", BUCKET_ACTIONS, vec![bucket.clone()]));
    // Reads of the release records and the lock only: the functions' data
    // files are compared by the ETag the bucket's listing gives, and the
    // archived reports are never read, so neither role may read either.
    statements.push(statement(
        "StateRecords",
        &["s3:GetObject"],
        vec![object("releases/*"), object(crate::state::LOCK_KEY)],
    ));
    statements.push(statement(
        "StateWrites",
        &["s3:PutObject", "s3:DeleteObject"],
        vec![object("releases/*"), object(crate::state::LOCK_KEY), object("data/*")],
    ));

    if !desired.frontends.is_empty() {
        statements.extend(frontend_statements(desired, scope));
    }

    // Always: a deploy of the whole stack lists the stack's rules to find
    // schedules removed from the stack file (and removes them).
    statements.push(json!({
        "Sid": "ListRules",
        "Effect": "Allow",
        "Action": ["events:ListRules"],
        // ListRules is not resource-scoped (EventBridge's actions table).
        "Resource": "*"
    }));
    let rules = format!(
        "arn:{}:events:{}:{}:rule/{}-*",
        scope.partition, scope.region, scope.account, desired.stack.name
    );
    statements.push(statement("Schedules", RULE_ACTIONS, vec![rules.clone()]));
    // Targets only the stack's functions (events:TargetArn, every target
    // of the request): a deployer cannot point a rule elsewhere.
    if !desired.functions.is_empty() {
        let targets: Vec<String> = desired.functions.iter().flat_map(arns).collect();
        let mut put = statement("ScheduleTargets", &["events:PutTargets"], vec![rules]);
        put["Condition"] = json!({"ForAllValues:ArnLike": {"events:TargetArn": targets}});
        statements.push(put);
    }

    if let Some(ses) = &desired.ses {
        statements.extend(ses_statements(ses, scope));
    }

    statements.extend(secrets_statements(desired, scope));
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The stack's secret parameters: created once, their type read (never the value).
fn secrets_statements(desired: &Desired, scope: &ArnScope<'_>) -> Vec<Value> {
    let parameters: Vec<String> = desired
        .functions
        .iter()
        .flat_map(|f| {
            f.secrets
                .iter()
                .map(|n| scope.parameter(&f.secret_parameter(&desired.stack.name, n)))
        })
        .collect();
    if parameters.is_empty() {
        return Vec::new();
    }
    vec![
        // Whether a parameter exists, and its type, come from its metadata:
        // DescribeParameters lists no resource types (the Service
        // Authorization Reference), so it is allowed on "*" only. Never
        // GetParameter: with the default aws/ssm key, whoever may get a
        // SecureString may decrypt it.
        json!({
            "Sid": "FindSecrets",
            "Effect": "Allow",
            "Action": ["ssm:DescribeParameters"],
            "Resource": "*"
        }),
        // PutParameter with tags needs AddTagsToResource; never over an
        // existing value (ssm:Overwrite): bosun creates a secret once.
        {
            let mut put = statement("Secrets", &["ssm:PutParameter", "ssm:AddTagsToResource"], parameters);
            put["Condition"] = json!({"StringEqualsIfExists": {"ssm:Overwrite": "false"}});
            put
        },
    ]
}

/// The frontends' buckets and objects, and CloudFront.
fn frontend_statements(desired: &Desired, scope: &ArnScope<'_>) -> Vec<Value> {
    let mut statements = Vec::new();
    let buckets: BTreeSet<String> = desired
        .frontends
        .iter()
        .map(|f| bucket_arns(scope, &f.bucket, "").0)
        .collect();
    let mut actions = BUCKET_ACTIONS.to_vec();
    actions.extend(["s3:GetBucketPolicy", "s3:PutBucketPolicy"]);
    statements.push(statement("FrontendBuckets", &actions, buckets.into_iter().collect()));
    let objects: BTreeSet<String> = desired
        .frontends
        .iter()
        .map(|f| bucket_arns(scope, &f.bucket, &f.prefix).1)
        .collect();
    statements.push(statement(
        "FrontendObjects",
        OBJECT_ACTIONS,
        objects.into_iter().collect(),
    ));
    statements.extend(cloudfront_statements(desired, scope));
    statements
}

/// verify-ses: the account-level reads, the identities (recipients' too,
/// for the sandbox rules), the configuration set and bosun's event
/// destination in it (SES authorizes those on the set's ARN).
fn ses_statements(ses: &SesSpec, scope: &ArnScope<'_>) -> Vec<Value> {
    let mut statements = vec![json!({
        "Sid": "MailAccount",
        "Effect": "Allow",
        "Action": ["ses:GetAccount", "ses:ListSuppressedDestinations", "ses:ListConfigurationSets"],
        // Account-level reads: SES has no resource for them.
        "Resource": "*"
    })];
    let mut identities: BTreeSet<String> = ses.identities.iter().map(|i| scope.ses_identity(i)).collect();
    // verify-ses reads recipients' identities (sandbox rules).
    for d in ses.destinations() {
        identities.insert(scope.ses_identity(&d));
        if let Some((_, domain)) = d.rsplit_once('@') {
            identities.insert(scope.ses_identity(domain));
        }
    }
    let mut resources: Vec<String> = identities.into_iter().collect();
    if let Some(set) = &ses.configuration_set {
        resources.push(format!(
            "arn:{}:ses:{}:{}:configuration-set/{set}",
            scope.partition, scope.region, scope.account
        ));
    }
    statements.push(statement(
        "MailIdentities",
        &[
            "ses:GetEmailIdentity",
            "ses:CreateEmailIdentity",
            "ses:PutEmailIdentityMailFromAttributes",
            "ses:CreateConfigurationSet",
            "ses:GetConfigurationSetEventDestinations",
            "ses:CreateConfigurationSetEventDestination",
            "ses:UpdateConfigurationSetEventDestination",
            // verify-ses --send-test, to SES's mailbox simulator.
            "ses:SendEmail",
        ],
        resources,
    ));
    statements
}

fn cloudfront_statements(desired: &Desired, scope: &ArnScope<'_>) -> Vec<Value> {
    let mut out = Vec::new();
    let managed = desired.frontends.iter().any(|f| f.is_managed());
    let fixed: Vec<String> = desired
        .frontends
        .iter()
        .filter_map(|f| match &f.distribution {
            DistributionSpec::Id(id) => Some(scope.distribution(id)),
            _ => None,
        })
        .collect();
    if managed {
        out.push(json!({
            "Sid": "FindManagedDistributions",
            "Effect": "Allow",
            "Action": ["cloudfront:ListDistributions", "cloudfront:ListOriginAccessControls"],
            // Listings are not resource-scoped; bosun finds its distributions by comment.
            "Resource": "*"
        }));
        // CloudFront's create actions list no resource types in the Service
        // Authorization Reference: IAM allows them only on "*" (granted on
        // an ARN they are refused). A statement of their own, so nothing
        // that can be scoped rides along on the wildcard. (Origin access
        // controls and headers policies take no tags; functions take tags
        // no IAM condition reads.)
        let mut create = vec![
            "cloudfront:CreateOriginAccessControl",
            "cloudfront:CreateResponseHeadersPolicy",
            "cloudfront:CreateFunction",
        ];
        if desired
            .frontends
            .iter()
            .any(|f| f.api.as_ref().is_some_and(|a| a.headers.is_some()))
        {
            create.push("cloudfront:CreateOriginRequestPolicy");
        }
        out.push(json!({
            "Sid": "CreateFrontendResources",
            "Effect": "Allow",
            "Action": create,
            "Resource": "*"
        }));
        // A managed distribution's id is not known before it exists, so the
        // stack's are the ones tagged bosun:stack = STACK: created only with
        // that tag and no other. CreateDistributionWithTags needs
        // CreateDistribution and TagResource, both authorized on "*" (the
        // distribution does not exist yet; CloudFront developer guide,
        // "API permissions reference").
        let stack = desired.stack.name.as_str();
        let tag = format!("aws:RequestTag/{STACK_TAG}");
        out.push(json!({
            "Sid": "CreateTaggedDistributions",
            "Effect": "Allow",
            "Action": ["cloudfront:CreateDistribution", "cloudfront:TagResource"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {&tag: stack},
                "ForAllValues:StringEquals": {"aws:TagKeys": [STACK_TAG]}
            }
        }));
        let distributions = format!("arn:{}:cloudfront::{}:distribution/*", scope.partition, scope.account);
        // Never an existing distribution's tags: tagging one would make it
        // the stack's (then changeable). A distribution made before bosun
        // tagged its own is tagged once by an administrator.
        out.push(json!({
            "Sid": "NoTaggingExistingDistributions",
            "Effect": "Deny",
            "Action": ["cloudfront:TagResource", "cloudfront:UntagResource"],
            "Resource": [distributions.clone()]
        }));
        // ... read wherever they are (a plan reads a distribution before
        // it knows the tag), and changed only when tagged for the stack.
        out.push(statement(
            "ReadDistributions",
            DISTRIBUTION_READS,
            vec![distributions.clone()],
        ));
        let mut writes = statement("ManagedDistributions", DISTRIBUTION_WRITES, vec![distributions]);
        writes["Condition"] = json!({"StringEquals": {format!("aws:ResourceTag/{STACK_TAG}"): stack}});
        out.push(writes);
        out.push(json!({
            "Sid": "FindHeadersPolicy",
            "Effect": "Allow",
            "Action": ["cloudfront:ListResponseHeadersPolicies"],
            // Not resource-scoped; bosun finds its policy by name.
            "Resource": "*"
        }));
        out.push(statement(
            "HeadersPolicy",
            &[
                "cloudfront:GetResponseHeadersPolicy",
                "cloudfront:UpdateResponseHeadersPolicy",
            ],
            vec![format!(
                "arn:{}:cloudfront::{}:response-headers-policy/*",
                scope.partition, scope.account
            )],
        ));
        if desired
            .frontends
            .iter()
            .any(|f| f.api.as_ref().is_some_and(|a| a.headers.is_some()))
        {
            out.push(json!({
                "Sid": "FindRequestPolicies",
                "Effect": "Allow",
                "Action": ["cloudfront:ListOriginRequestPolicies"],
                // Not resource-scoped; bosun finds its policies by name.
                "Resource": "*"
            }));
            out.push(statement(
                "RequestPolicies",
                &[
                    "cloudfront:GetOriginRequestPolicy",
                    "cloudfront:UpdateOriginRequestPolicy",
                ],
                vec![format!(
                    "arn:{}:cloudfront::{}:origin-request-policy/*",
                    scope.partition, scope.account
                )],
            ));
        }
        // Custom domains' certificates are read (issued? covering the
        // name?) before CloudFront is asked to serve with them.
        let certificates: BTreeSet<String> = desired
            .frontends
            .iter()
            .filter_map(|f| f.domain.as_ref())
            .map(|d| d.certificate.clone())
            .collect();
        if !certificates.is_empty() {
            out.push(statement(
                "Certificates",
                &["acm:DescribeCertificate"],
                certificates.into_iter().collect(),
            ));
        }
        out.push(statement(
            "IndexFunction",
            &[
                "cloudfront:DescribeFunction",
                "cloudfront:GetFunction",
                "cloudfront:UpdateFunction",
                "cloudfront:PublishFunction",
            ],
            vec![scope.cloudfront_function(&desired.stack.index_function())],
        ));
    }
    if !fixed.is_empty() {
        // Distributions named by id (not tagged by bosun) in the stack file: their ARNs.
        let actions: Vec<&str> = DISTRIBUTION_READS
            .iter()
            .filter(|a| **a != "cloudfront:ListTagsForResource")
            .chain(DISTRIBUTION_WRITES)
            .copied()
            .collect();
        out.push(statement("Distributions", &actions, fixed));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_keeps_the_reads_of_each_statement_and_drops_the_rest() {
        let policy = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"], "Resource": ["x"]},
            {"Sid": "B", "Effect": "Allow", "Action": ["iam:PassRole"], "Resource": ["r"], "Condition": {}},
            {"Sid": "C", "Effect": "Allow", "Action": ["lambda:GetFunction", "cloudfront:DescribeFunction"], "Resource": "*"},
        ]});
        let ro = read_only(&policy);
        let kept: Vec<(&str, Vec<&str>)> = ro["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let actions = s["Action"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect();
                (s["Sid"].as_str().unwrap(), actions)
            })
            .collect();
        assert_eq!(
            kept,
            [
                ("A", vec!["s3:GetObject", "s3:ListBucket"]),
                ("C", vec!["lambda:GetFunction", "cloudfront:DescribeFunction"]),
            ]
        );
        assert!(is_read_action("sts:GetCallerIdentity"));
        assert!(is_read_action("s3:HeadObject"));
        assert!(!is_read_action("lambda:UpdateFunctionCode"));
    }
    use std::path::Path;

    /// The deployer policy of the demo stack in account 123456789012.
    fn demo_policy() -> Value {
        let scope = ArnScope {
            partition: "aws",
            region: "us-west-2",
            account: "123456789012",
        };
        deployer_policy(&demo(), &scope)
    }

    fn demo() -> Desired {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/queenofsandiego.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        crate::stack::parse(&path, &text).unwrap()
    }

    /// Grants on functions only to the principals the stack grants, URLs only
    /// with its auth types, rule targets only its functions.
    #[test]
    fn grants_urls_and_targets_are_held_to_what_the_stack_does() {
        let p = demo_policy();
        let by_sid = |sid: &str| {
            p["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["Sid"] == sid)
                .cloned()
                .unwrap_or_else(|| panic!("no {sid}"))
        };
        let holding = |action: &str| -> Vec<String> {
            p["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["Action"].as_array().unwrap().iter().any(|a| a == action))
                .map(|s| s["Sid"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            holding("lambda:AddPermission"),
            ["FunctionGrantsCloudFront", "FunctionGrantsEvents"],
            "the demo has no public URL: no grant to \"*\""
        );
        let fn_arn = |f: &str| format!("arn:aws:lambda:us-west-2:123456789012:function:queenofsandiego-{f}");
        let crew = json!([fn_arn("shipcaptaincrew"), format!("{}:*", fn_arn("shipcaptaincrew"))]);
        let reports = json!([fn_arn("exec-reports"), format!("{}:*", fn_arn("exec-reports"))]);
        let cloudfront = by_sid("FunctionGrantsCloudFront");
        assert_eq!(cloudfront["Resource"], crew, "only the API's function");
        assert_eq!(
            cloudfront["Condition"],
            json!({"StringEquals": {"lambda:Principal": "cloudfront.amazonaws.com"}})
        );
        assert_eq!(
            by_sid("FunctionGrantsEvents")["Resource"],
            reports,
            "only scheduled functions"
        );
        assert_eq!(holding("lambda:CreateFunctionUrlConfig"), ["FunctionUrlsIam"]);
        assert_eq!(by_sid("FunctionUrlsIam")["Resource"], crew);
        assert_eq!(
            by_sid("FunctionUrlsIam")["Condition"],
            json!({"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}})
        );
        assert_eq!(holding("events:PutTargets"), ["ScheduleTargets"]);
        let targets = by_sid("ScheduleTargets")["Condition"]["ForAllValues:ArnLike"]["events:TargetArn"].clone();
        for t in targets.as_array().unwrap() {
            assert!(
                t.as_str()
                    .unwrap()
                    .starts_with("arn:aws:lambda:us-west-2:123456789012:function:queenofsandiego-"),
                "{t}"
            );
        }
    }

    #[test]
    fn every_resource_is_the_stacks_own_or_a_documented_wildcard() {
        let p = demo_policy();
        // Actions that AWS does not scope to a resource.
        let unscoped: BTreeSet<&str> = [
            "sts:GetCallerIdentity",
            "events:ListRules",
            "ses:GetAccount",
            "ses:ListSuppressedDestinations",
            "ses:ListConfigurationSets",
            "cloudfront:ListDistributions",
            "cloudfront:ListOriginAccessControls",
            "cloudfront:ListResponseHeadersPolicies",
            "cloudfront:ListOriginRequestPolicies",
            "lambda:GetAccountSettings",
            "ssm:DescribeParameters",
            "cloudfront:CreateDistribution",
            "cloudfront:CreateOriginAccessControl",
            "cloudfront:CreateResponseHeadersPolicy",
            "cloudfront:CreateOriginRequestPolicy",
            "cloudfront:CreateFunction",
        ]
        .into();
        for st in p["Statement"].as_array().unwrap() {
            let actions: Vec<&str> = st["Action"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            for a in &actions {
                assert!(!a.contains('*'), "no wildcard action: {a}");
            }
            if st["Resource"] == "*" {
                // Or a creation's tagging, only with the request's tags.
                let tags_on_create = |a: &&str| {
                    *a == "cloudfront:TagResource"
                        && st["Condition"]["StringEquals"]["aws:RequestTag/bosun:stack"].is_string()
                };
                assert!(
                    actions.iter().all(|a| unscoped.contains(a) || tags_on_create(a)),
                    "{st}"
                );
            } else {
                for r in st["Resource"].as_array().unwrap() {
                    let r = r.as_str().unwrap();
                    assert!(r.contains("123456789012") || r.starts_with("arn:aws:s3:::"), "{r}");
                }
            }
        }
        // PassRole only on the stack's roles, only to Lambda.
        let pass = p["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Action"] == json!(["iam:PassRole"]))
            .unwrap();
        assert_eq!(
            pass["Resource"],
            json!([
                "arn:aws:iam::123456789012:role/queenofsandiego-exec-reports",
                "arn:aws:iam::123456789012:role/queenofsandiego-shipcaptaincrew"
            ])
        );
        assert_eq!(
            pass["Condition"]["StringEquals"]["iam:PassedToService"],
            "lambda.amazonaws.com"
        );
    }

    #[test]
    fn verify_ses_may_write_the_event_destination_only_on_the_stacks_configuration_set() {
        let text = "[stack]\nname = \"s\"\n[ses]\nsender = \"reports@example.com\"\nconfiguration_set = \"reports\"\n";
        let d = crate::stack::parse(Path::new("/tmp/s.toml"), text).unwrap();
        let scope = ArnScope {
            partition: "aws",
            region: "us-west-2",
            account: "123456789012",
        };
        let mail = |p: &Value| {
            p["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["Sid"] == "MailIdentities")
                .cloned()
                .unwrap_or_else(|| panic!("no MailIdentities statement: {p:#}"))
        };
        let p = deployer_policy(&d, &scope);
        let st = mail(&p);
        for a in [
            "ses:GetConfigurationSetEventDestinations",
            "ses:CreateConfigurationSetEventDestination",
            "ses:UpdateConfigurationSetEventDestination",
        ] {
            assert!(st["Action"].as_array().unwrap().iter().any(|x| x == a), "{a}: {st}");
        }
        assert!(
            st["Resource"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == "arn:aws:ses:us-west-2:123456789012:configuration-set/reports"),
            "{st}"
        );
        // --read-only (the deploy gate's needs) keeps the read, not the writes.
        let ro: Vec<String> = mail(&read_only(&p))["Action"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .filter(|a| a.contains("EventDestination"))
            .collect();
        assert_eq!(ro, ["ses:GetConfigurationSetEventDestinations"]);
    }

    /// A managed distribution is changed only while tagged for the stack,
    /// created only with that tag (and no other), and no existing
    /// distribution's tags may be changed; reads need no tag (a plan reads first).
    #[test]
    fn managed_distributions_are_the_ones_tagged_for_the_stack() {
        let p = demo_policy();
        let statements = p["Statement"].as_array().unwrap();
        let with = |action: &str| -> Vec<&Value> {
            statements
                .iter()
                .filter(|s| s["Action"].as_array().unwrap().iter().any(|a| a == action))
                .collect()
        };
        let stack = "queenofsandiego";
        for action in ["cloudfront:UpdateDistribution", "cloudfront:CreateInvalidation"] {
            let holders = with(action);
            assert_eq!(holders.len(), 1, "{action}");
            assert_eq!(
                holders[0]["Condition"],
                json!({"StringEquals": {"aws:ResourceTag/bosun:stack": stack}}),
                "{action}"
            );
        }
        let create = with("cloudfront:CreateDistribution");
        assert_eq!(create.len(), 1);
        assert_eq!(
            create[0]["Condition"],
            json!({
                "StringEquals": {"aws:RequestTag/bosun:stack": stack},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["bosun:stack"]}
            })
        );
        // Tagging rides only on the creation ("*", its conditions), and is
        // denied on every existing distribution.
        let tag = with("cloudfront:TagResource");
        assert_eq!(tag.len(), 2);
        assert_eq!(tag[0]["Sid"], "CreateTaggedDistributions");
        assert_eq!(tag[1]["Effect"], "Deny");
        assert_eq!(
            tag[1]["Resource"],
            json!(["arn:aws:cloudfront::123456789012:distribution/*"])
        );
        assert!(tag[1].get("Condition").is_none());
        assert_eq!(with("cloudfront:UntagResource")[0]["Effect"], "Deny");
        assert!(with("cloudfront:GetDistributionConfig")[0].get("Condition").is_none());
    }

    /// The demo deployer policy is too big for one managed policy; split,
    /// every part fits IAM's 6,144 characters and together they grant
    /// exactly what the whole does (same statements, resources and
    /// conditions), even when one statement must be cut by resources.
    #[test]
    fn a_split_policy_fits_managed_policies_and_grants_the_same() {
        use crate::policy::{policy_size, split, MANAGED_POLICY_MAX_CHARS};
        let whole = demo_policy();
        assert!(policy_size(&whole) > MANAGED_POLICY_MAX_CHARS);
        let grants = |policies: &[Value]| -> BTreeSet<String> {
            policies
                .iter()
                .flat_map(|p| p["Statement"].as_array().unwrap().clone())
                .flat_map(|s| {
                    let resources: Vec<Value> = match &s["Resource"] {
                        Value::Array(list) => list.clone(),
                        one => vec![one.clone()],
                    };
                    let actions = s["Action"].as_array().unwrap().clone();
                    let condition = s.get("Condition").cloned().unwrap_or(Value::Null);
                    resources.into_iter().flat_map(move |r| {
                        let condition = condition.clone();
                        actions.clone().into_iter().map(move |a| format!("{a} {r} {condition}"))
                    })
                })
                .collect()
        };
        for max in [MANAGED_POLICY_MAX_CHARS, 700] {
            let parts = split(&whole, max).unwrap();
            assert!(parts.len() > 1);
            for p in &parts {
                assert!(policy_size(p) <= max, "{}", policy_size(p));
            }
            assert_eq!(grants(&parts), grants(std::slice::from_ref(&whole)), "max {max}");
        }
        assert!(split(&whole, 100).is_err(), "a statement that cannot fit is an error");
    }
}
