//! SSM Parameter Store: the functions' secrets. bosun creates a secret's
//! SecureString parameter once, with a random value it never prints, logs or
//! records, and never overwrites it: rotating a secret is `aws ssm
//! put-parameter --overwrite`, which bosun leaves alone.

use aws_sdk_ssm::types::{ParameterStringFilter, ParameterType, Tag};
use aws_sdk_ssm::Client;

use super::AwsError;

/// Bytes of randomness in a generated secret (hex-encoded: 96 characters).
pub const SECRET_BYTES: usize = 48;

/// The type of parameter `name` (`SecureString`, `String`, …), or None when
/// it does not exist. Read with DescribeParameters (the parameter's
/// metadata), never GetParameter: whoever may GetParameter a SecureString
/// under the default `aws/ssm` key may also decrypt it, so the plan role,
/// which runs a pull request's code, is never given it.
pub async fn parameter_type(client: &Client, name: &str) -> Result<Option<String>, AwsError> {
    let filter = ParameterStringFilter::builder()
        .key("Name")
        .option("Equals")
        .values(name)
        .build()
        .map_err(|e| AwsError::build("ssm:DescribeParameters", name, e))?;
    let out = client
        .describe_parameters()
        .parameter_filters(filter)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("ssm:DescribeParameters", name, e))?;
    Ok(out
        .parameters()
        .iter()
        .find(|p| p.name() == Some(name))
        .map(|p| p.r#type().map(|t| t.as_str().to_string()).unwrap_or_default()))
}

/// A random secret from the operating system's CSPRNG, hex-encoded.
fn random_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates SecureString parameter `name` with a random value, tagged with
/// the stack. An existing parameter is kept as it is (a retried step, or a
/// value someone set on purpose).
pub async fn create_secret(client: &Client, name: &str, stack: &str, function: &str) -> Result<(), AwsError> {
    let tag = Tag::builder()
        .key(crate::model::names::STACK_TAG)
        .value(stack)
        .build()
        .map_err(|e| AwsError::build("ssm:PutParameter", name, e))?;
    let r = client
        .put_parameter()
        .name(name)
        .value(random_secret())
        .r#type(ParameterType::SecureString)
        .description(format!(
            "bosun: secret of function {function} (generated; rotate with put-parameter --overwrite)"
        ))
        .overwrite(false)
        .tags(tag)
        .send()
        .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_parameter_already_exists()) => Ok(()),
        Err(e) => Err(AwsError::from_sdk("ssm:PutParameter", name, e)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_are_random_hex() {
        let (a, b) = (super::random_secret(), super::random_secret());
        assert_eq!(a.len(), super::SECRET_BYTES * 2);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
