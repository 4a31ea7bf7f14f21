//! IAM documents bosun generates for execution roles, from what the stack says
//! a function uses. Pure: account, region and partition come in as arguments.
//!
//! Least privilege: every statement names the ARNs it applies to; no `*`
//! action and no `*` resource where the ARN is known.

use serde_json::{json, Value};

use crate::model::{Desired, FunctionSpec, SesSpec};

/// Where ARNs live: partition, region, account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnScope<'a> {
    pub partition: &'a str,
    pub region: &'a str,
    pub account: &'a str,
}

impl<'a> ArnScope<'a> {
    /// The account and region AWS said the credentials act in.
    pub fn of(observed: &'a crate::model::Observed) -> ArnScope<'a> {
        ArnScope {
            partition: &observed.partition,
            region: &observed.region,
            account: &observed.account,
        }
    }
}

impl ArnScope<'_> {
    pub fn role(&self, name: &str) -> String {
        format!("arn:{}:iam::{}:role/{name}", self.partition, self.account)
    }

    /// The stack's permissions boundary (a managed policy).
    pub fn boundary(&self, stack: &str) -> String {
        format!(
            "arn:{}:iam::{}:policy/{}",
            self.partition,
            self.account,
            boundary_name(stack)
        )
    }

    pub fn table(&self, name: &str) -> String {
        format!(
            "arn:{}:dynamodb:{}:{}:table/{name}",
            self.partition, self.region, self.account
        )
    }

    pub fn log_group(&self, name: &str) -> String {
        format!(
            "arn:{}:logs:{}:{}:log-group:{name}",
            self.partition, self.region, self.account
        )
    }

    /// A function's (unqualified) ARN.
    pub fn function(&self, name: &str) -> String {
        format!(
            "arn:{}:lambda:{}:{}:function:{name}",
            self.partition, self.region, self.account
        )
    }

    /// A function alias's ARN: what a schedule's target invokes.
    pub fn alias(&self, function: &str, alias: &str) -> String {
        format!(
            "arn:{}:lambda:{}:{}:function:{function}:{alias}",
            self.partition, self.region, self.account
        )
    }

    /// An EventBridge rule on the default bus.
    pub fn rule(&self, name: &str) -> String {
        format!(
            "arn:{}:events:{}:{}:rule/{name}",
            self.partition, self.region, self.account
        )
    }

    /// An SSM parameter; `name` starts with '/'.
    pub fn parameter(&self, name: &str) -> String {
        format!(
            "arn:{}:ssm:{}:{}:parameter{name}",
            self.partition, self.region, self.account
        )
    }

    /// A CloudFront function (global: no region).
    pub fn cloudfront_function(&self, name: &str) -> String {
        format!("arn:{}:cloudfront::{}:function/{name}", self.partition, self.account)
    }

    /// A CloudFront distribution (a global resource: no region).
    pub fn distribution(&self, id: &str) -> String {
        format!("arn:{}:cloudfront::{}:distribution/{id}", self.partition, self.account)
    }

    pub fn ses_identity(&self, identity: &str) -> String {
        format!(
            "arn:{}:ses:{}:{}:identity/{identity}",
            self.partition, self.region, self.account
        )
    }
}

/// The trust policy letting Lambda assume a function's role.
pub fn lambda_trust() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    })
}

/// The name of the stack's permissions boundary.
pub fn boundary_name(stack: &str) -> String {
    format!("bosun-{stack}-boundary")
}

/// IAM quota: a managed policy holds at most 6,144 characters, whitespace
/// not counted (IAM and STS quotas).
pub const MANAGED_POLICY_MAX_CHARS: usize = 6_144;

/// The permissions boundary every execution role of the stack carries: the
/// most any of them may ever do, whatever its inline policy says (IAM's
/// effective permissions are the intersection). Written once and never
/// changed by a deployer, so it is drawn by name, not by the stack file's
/// current list: log groups, tables and parameters named for the stack
/// (`{stack}-*`, `/{stack}/*`), the stack's state-bucket prefixes, and
/// sending from the stack's mail identities. A function or table given a
/// name outside the pattern is added by its ARN (and then changes the
/// boundary, which needs an administrator).
pub fn boundary_policy(desired: &Desired, scope: &ArnScope<'_>) -> Value {
    let stack = &desired.stack.name;
    let logs = |name: &str| scope.log_group(&format!("/aws/lambda/{name}"));
    let mut groups = vec![logs(&format!("{stack}-*"))];
    for f in &desired.functions {
        if !f.name.starts_with(&format!("{stack}-")) {
            groups.push(logs(&f.name));
        }
    }
    let mut tables = vec![scope.table(&format!("{stack}-*"))];
    for t in &desired.tables {
        if !t.name.starts_with(&format!("{stack}-")) {
            tables.push(scope.table(&t.name));
        }
    }
    let table_resources: Vec<String> = tables
        .iter()
        .flat_map(|t| [t.clone(), format!("{t}/index/*")])
        .collect();
    let mut table_actions: Vec<&str> = READ_ACTIONS.iter().chain(WRITE_ACTIONS).copied().collect();
    table_actions.sort_unstable();
    table_actions.dedup();
    let bucket = desired.stack.state_bucket(scope.account);
    let object = |path: &str| format!("arn:{}:s3:::{bucket}/{path}", scope.partition);
    let mut statements = vec![
        json!({"Sid": "LogGroups", "Effect": "Allow", "Action": ["logs:CreateLogGroup"], "Resource": groups.clone()}),
        json!({"Sid": "LogStreams", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": groups.iter().map(|g| format!("{g}:log-stream:*")).collect::<Vec<_>>()}),
        json!({"Sid": "Tables", "Effect": "Allow", "Action": table_actions, "Resource": table_resources}),
        json!({"Sid": "StateRead", "Effect": "Allow", "Action": ["s3:GetObject"],
            "Resource": [object("data/*"), object("releases/*")]}),
        json!({"Sid": "StateList", "Effect": "Allow", "Action": ["s3:ListBucket"],
            "Resource": [format!("arn:{}:s3:::{bucket}", scope.partition)]}),
        json!({"Sid": "StateArchive", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [object("archive/*")]}),
        json!({"Sid": "Secrets", "Effect": "Allow", "Action": ["ssm:GetParameter"],
            "Resource": [scope.parameter(&format!("/{stack}/*"))]}),
    ];
    if let Some(ses) = &desired.ses {
        let mut send = send_email_statement(ses, scope);
        send["Sid"] = json!("SendEmail");
        statements.push(send);
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

const READ_ACTIONS: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
];
const WRITE_ACTIONS: &[&str] = &[
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
];

/// bosun's inline policy for one function's role.
pub fn execution_policy(desired: &Desired, f: &FunctionSpec, scope: &ArnScope<'_>) -> Value {
    let log_group = scope.log_group(&f.log_group());
    // Each action on its resource type in the Service Authorization
    // Reference: the group is created on the log-group ARN, streams and
    // events go to its log streams.
    let mut statements = vec![
        json!({
            "Sid": "LogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup"],
            "Resource": [log_group.clone()]
        }),
        json!({
            "Sid": "LogStreams",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [format!("{log_group}:log-stream:*")]
        }),
    ];
    statements.extend(table_statements(desired, f, scope));
    if f.uses_state() {
        statements.extend(state_statements(desired, f, scope));
    }
    if let Some(ses) = desired.ses.as_ref().filter(|_| f.send_email) {
        statements.push(send_email_statement(ses, scope));
    }
    if !f.secrets.is_empty() {
        // Its own secrets' parameters, read-only. SecureStrings under the
        // AWS-managed key aws/ssm decrypt for any principal allowed to read
        // the parameter, so no kms statement is needed.
        let resources: Vec<String> = f
            .secrets
            .iter()
            .map(|n| scope.parameter(&f.secret_parameter(&desired.stack.name, n)))
            .collect();
        statements.push(json!({
            "Sid": "ReadSecrets",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter"],
            "Resource": resources
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// One statement per table the function uses, with the actions its access allows.
fn table_statements(desired: &Desired, f: &FunctionSpec, scope: &ArnScope<'_>) -> Vec<Value> {
    let mut statements = Vec::new();
    for (i, (key, access)) in f.tables.iter().enumerate() {
        let Some(table) = desired.table(key) else {
            continue;
        };
        let mut actions: Vec<&str> = Vec::new();
        if access.reads() {
            actions.extend(READ_ACTIONS);
        }
        if access.writes() {
            actions.extend(WRITE_ACTIONS);
        }
        actions.sort_unstable();
        actions.dedup();
        let arn = scope.table(&table.name);
        statements.push(json!({
            "Sid": format!("Table{i}"),
            "Effect": "Allow",
            "Action": actions,
            "Resource": [arn.clone(), format!("{arn}/index/*")]
        }));
    }
    statements
}

/// Its data files and the release records (what is deployed) in the state
/// bucket, read-only; the archive prefix, write-only.
fn state_statements(desired: &Desired, f: &FunctionSpec, scope: &ArnScope<'_>) -> Vec<Value> {
    let bucket = desired.stack.state_bucket(scope.account);
    let object = |path: &str| format!("arn:{}:s3:::{bucket}/{path}", scope.partition);
    let mut statements = vec![
        json!({
            "Sid": "StateRead",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [object(&format!("data/{}/*", f.key)), object("releases/*")]
        }),
        json!({
            "Sid": "StateList",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [format!("arn:{}:s3:::{bucket}", scope.partition)],
            "Condition": {"StringLike": {"s3:prefix": ["releases/*", format!("data/{}/*", f.key)]}}
        }),
    ];
    if f.archive {
        statements.push(json!({
            "Sid": "StateArchive",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": [object(&format!("{}*", f.archive_prefix()))]
        }));
    }
    statements
}

/// Sending from an address is authorised against the address identity or,
/// when the domain is the verified identity, against the domain. With a
/// configuration set, SES also authorises against the set.
fn send_email_statement(ses: &SesSpec, scope: &ArnScope<'_>) -> Value {
    let mut names = vec![ses.sender.as_str(), ses.sender_domain()];
    names.extend(ses.identities.iter().map(String::as_str));
    names.dedup();
    let mut resources: Vec<String> = Vec::new();
    for n in names {
        let arn = scope.ses_identity(n);
        if !resources.contains(&arn) {
            resources.push(arn);
        }
    }
    if let Some(set) = &ses.configuration_set {
        resources.push(format!(
            "arn:{}:ses:{}:{}:configuration-set/{set}",
            scope.partition, scope.region, scope.account
        ));
    }
    json!({
        "Sid": "SendEmail",
        "Effect": "Allow",
        "Action": ["ses:SendEmail", "ses:SendRawEmail"],
        "Resource": resources
    })
}

/// A policy in a canonical form, so that documents meaning the same compare
/// equal: single strings become one-element lists and lists are sorted.
/// IAM quota: the inline policies of a role together hold at most 10,240
/// characters, whitespace not counted (IAM and STS quotas). bosun writes
/// one inline policy per role.
pub const ROLE_POLICY_MAX_CHARS: usize = 10_240;

/// A policy's size as IAM counts it: its characters outside whitespace.
pub fn policy_size(policy: &Value) -> usize {
    policy.to_string().chars().filter(|c| !c.is_whitespace()).count()
}

/// `policy` as several policies of at most `max` characters each (IAM's
/// count), for attaching as managed policies: statements packed in order,
/// a statement too big alone split by its resources. Err when one
/// statement with one resource is still too big.
pub fn split(policy: &Value, max: usize) -> Result<Vec<Value>, String> {
    let wrap = |statements: Vec<Value>| json!({"Version": "2012-10-17", "Statement": statements});
    let fits = |statements: &[Value]| policy_size(&wrap(statements.to_vec())) <= max;
    let mut pieces = Vec::new();
    for s in policy["Statement"].as_array().cloned().unwrap_or_default() {
        if fits(std::slice::from_ref(&s)) {
            pieces.push(s);
            continue;
        }
        let resources = match &s["Resource"] {
            Value::Array(list) if list.len() > 1 => list.clone(),
            _ => return Err(format!("statement {} alone is over {max} characters", s["Sid"])),
        };
        // Halves until each part fits, each part a statement of its own.
        let mut queue = vec![resources];
        let mut n = 0;
        while let Some(list) = queue.pop() {
            let mut part = s.clone();
            n += 1;
            part["Sid"] = json!(format!("{}{n}", s["Sid"].as_str().unwrap_or("Part")));
            part["Resource"] = json!(list);
            if fits(std::slice::from_ref(&part)) {
                pieces.push(part);
            } else if list.len() > 1 {
                let (a, b) = list.split_at(list.len() / 2);
                queue.push(b.to_vec());
                queue.push(a.to_vec());
                n -= 1;
            } else {
                return Err(format!(
                    "statement {} with one resource is over {max} characters",
                    s["Sid"]
                ));
            }
        }
    }
    let mut out: Vec<Vec<Value>> = Vec::new();
    for piece in pieces {
        match out.last_mut() {
            Some(current) if fits(&[current.as_slice(), std::slice::from_ref(&piece)].concat()) => current.push(piece),
            _ => out.push(vec![piece]),
        }
    }
    Ok(out.into_iter().map(wrap).collect())
}

/// The statement id of the bucket-policy statement letting a frontend's
/// managed distribution read its files.
pub fn distribution_sid(frontend: &str) -> String {
    format!("BosunCloudFront{frontend}")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// The bucket-policy statement that lets the distribution `distribution_arn`
/// (through its origin access control) read the files under `prefix`, and
/// list the bucket: for a missing key S3 answers 404 NoSuchKey only to a
/// caller with s3:ListBucket, 403 AccessDenied to any other (S3 API
/// reference, GetObject, Permissions), so without it a missing page is a
/// 403 with S3's XML. A configured error page would turn every 403 into a
/// 404 instead, a real refusal included, and needs a page in every site.
/// CloudFront never lists: every origin request names a key under the
/// origin path, and the default behaviour forwards no query string.
pub fn distribution_statement(sid: &str, bucket: &str, prefix: &str, distribution_arn: &str, partition: &str) -> Value {
    json!({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [format!("arn:{partition}:s3:::{bucket}/{prefix}*"), format!("arn:{partition}:s3:::{bucket}")],
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}}
    })
}

/// The statement that keeps every distribution from serving bosun's own
/// files under the site's prefix (the sync manifest, `.bosun/`): an explicit
/// Deny wins over the Allow above (IAM, "Policy evaluation logic").
pub fn bosun_files_statement(sid: &str, bucket: &str, prefix: &str, partition: &str) -> Value {
    json!({
        "Sid": sid.replacen("BosunCloudFront", "BosunInternal", 1),
        "Effect": "Deny",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": format!("arn:{partition}:s3:::{bucket}/{prefix}{}*", crate::model::names::BOSUN_DIR),
    })
}

/// Both statements a managed distribution's bucket policy carries for a site.
pub fn distribution_statements(
    frontend: &str,
    bucket: &str,
    prefix: &str,
    distribution_arn: &str,
    partition: &str,
) -> Vec<Value> {
    let sid = distribution_sid(frontend);
    vec![
        distribution_statement(&sid, bucket, prefix, distribution_arn, partition),
        bosun_files_statement(&sid, bucket, prefix, partition),
    ]
}

/// A policy's statements: IAM accepts `Statement` as a list or as one object.
pub fn statements(policy: &Value) -> Vec<Value> {
    match &policy["Statement"] {
        Value::Array(items) => items.clone(),
        Value::Object(_) => vec![policy["Statement"].clone()],
        _ => Vec::new(),
    }
}

/// True when `policy` has `statement` (compared by meaning, not layout).
pub fn has_statement(policy: &Value, statement: &Value) -> bool {
    let want = canonical(statement);
    statements(policy).iter().any(|s| canonical(s) == want)
}

/// `policy` (or a new one) with `statement` in place of any statement with
/// the same Sid; every other statement is kept as it was.
pub fn with_statement(policy: Option<&Value>, statement: Value) -> Value {
    let mut out = policy
        .cloned()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({"Version": "2012-10-17"}));
    let mut list = policy.map(statements).unwrap_or_default();
    list.retain(|s| s["Sid"] != statement["Sid"]);
    list.push(statement);
    out["Statement"] = Value::Array(list);
    out
}

pub fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("Action" | "NotAction" | "Resource" | "NotResource" | "Service" | "AWS", Value::String(_)) => {
                            Value::Array(vec![v.clone()])
                        }
                        _ => v.clone(),
                    };
                    (k.clone(), canonical(&v))
                })
                .collect(),
        ),
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(canonical).collect();
            if items.iter().all(Value::is_string) {
                items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            }
            Value::Array(items)
        }
        other => other.clone(),
    }
}

/// True when two policy documents mean the same.
pub fn same_policy(a: &Value, b: &Value) -> bool {
    canonical(a) == canonical(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every policy bosun generates for the demo stack: no `*` action, and no
    /// `*` resource (every ARN is known).
    #[test]
    fn generated_policies_have_no_wildcard_action_or_resource() {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/queenofsandiego.toml");
        let desired = crate::stack::load(&file).expect("demo stack");
        let scope = ArnScope {
            partition: "aws",
            region: "us-west-2",
            account: "123456789012",
        };
        let mut checked = 0;
        for f in &desired.functions {
            for doc in [execution_policy(&desired, f, &scope), lambda_trust()] {
                for st in doc["Statement"].as_array().unwrap() {
                    for a in st["Action"].as_array().into_iter().flatten() {
                        let a = a.as_str().unwrap();
                        assert!(!a.contains('*'), "{}: action {a}", f.key);
                    }
                    for r in st["Resource"].as_array().into_iter().flatten() {
                        let r = r.as_str().unwrap();
                        assert!(r != "*" && !r.starts_with("arn:aws:*"), "{}: resource {r}", f.key);
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked >= 10, "{checked} statements");
    }
}

#[cfg(test)]
mod bucket_policy_tests {
    use super::*;

    const ARN: &str = "arn:aws:cloudfront::123456789012:distribution/E1";

    #[test]
    fn a_single_statement_object_is_a_policy_too() {
        let stmt = distribution_statement("BosunCloudFrontweb", "b", "site/", ARN, "aws");
        // IAM's grammar allows "Statement": { ... } as well as a list.
        let single = json!({"Version": "2012-10-17", "Statement": {
            "Sid": "Other", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/public/*"
        }});
        assert_eq!(statements(&single).len(), 1);
        assert!(!has_statement(&single, &stmt));
        let merged = with_statement(Some(&single), stmt.clone());
        assert_eq!(statements(&merged).len(), 2, "the other statement is kept");
        assert!(has_statement(&merged, &stmt));
        // Same meaning in another layout (list-valued Action, reordered keys) counts.
        let relaid = json!({"Statement": [{
            "Condition": {"StringEquals": {"AWS:SourceArn": ARN}},
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/site/*"], "Action": ["s3:ListBucket", "s3:GetObject"],
            "Principal": {"Service": "cloudfront.amazonaws.com"}, "Effect": "Allow", "Sid": "BosunCloudFrontweb"
        }]});
        assert!(has_statement(&relaid, &stmt));
        // Another distribution's ARN is not this statement; replacing keeps one per Sid.
        let other = distribution_statement(
            "BosunCloudFrontweb",
            "b",
            "site/",
            "arn:aws:cloudfront::123456789012:distribution/E2",
            "aws",
        );
        let replaced = with_statement(Some(&merged), other.clone());
        assert!(!has_statement(&replaced, &stmt) && has_statement(&replaced, &other));
        assert_eq!(statements(&replaced).len(), 2);
        assert_eq!(with_statement(None, stmt.clone())["Statement"], json!([stmt]));
    }

    #[test]
    fn a_site_lets_its_distribution_read_and_list_but_never_serve_bosuns_files() {
        let [allow, deny] = distribution_statements("web", "b", "site/", ARN, "aws")
            .try_into()
            .unwrap();
        assert_eq!(allow["Action"], json!(["s3:GetObject", "s3:ListBucket"]));
        assert_eq!(allow["Resource"], json!(["arn:aws:s3:::b/site/*", "arn:aws:s3:::b"]));
        assert_eq!(deny["Effect"], "Deny");
        assert_eq!(deny["Resource"], "arn:aws:s3:::b/site/.bosun/*");
        assert_eq!(deny["Principal"], json!({"Service": "cloudfront.amazonaws.com"}));
        assert_eq!(
            (allow["Sid"].as_str(), deny["Sid"].as_str()),
            (Some("BosunCloudFrontweb"), Some("BosunInternalweb"))
        );
        // Another frontend's statements never share a Sid with these.
        let [other, _] = distribution_statements("webInternal", "b", "x/", ARN, "aws")
            .try_into()
            .unwrap();
        assert_ne!(other["Sid"], deny["Sid"]);
        let both = [allow, deny]
            .into_iter()
            .fold(None, |p: Option<Value>, s| Some(with_statement(p.as_ref(), s)))
            .unwrap();
        assert_eq!(statements(&both).len(), 2);
    }
}
