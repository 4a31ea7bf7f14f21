//! ACM: the certificate a custom domain names, as CloudFront will find it.

use aws_sdk_acm::Client;

use super::AwsError;
use crate::model::LiveCertificate;

/// The certificate `arn` (an ACM ARN in us-east-1): its status and the
/// names it covers; `LiveCertificate::Missing` when ACM has no such
/// certificate in this account.
pub async fn describe(client: &Client, arn: &str) -> Result<LiveCertificate, AwsError> {
    let op = "acm:DescribeCertificate";
    let out = match client.describe_certificate().certificate_arn(arn).send().await {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(LiveCertificate::Missing)
        }
        Err(e) => return Err(AwsError::from_sdk(op, arn, e)),
    };
    let cert = out
        .certificate()
        .ok_or_else(|| AwsError::missing(op, arn, "Certificate"))?;
    let mut names: Vec<String> = cert.subject_alternative_names().to_vec();
    if let Some(name) = cert.domain_name() {
        if !names.iter().any(|n| n == name) {
            names.insert(0, name.to_string());
        }
    }
    Ok(LiveCertificate::Found {
        status: cert.status().map(|s| s.as_str().to_string()).unwrap_or_default(),
        names,
    })
}
