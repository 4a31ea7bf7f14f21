//! Faults the emulator cannot produce, through `aws-smithy-mocks`: a
//! Lambda update in progress, an invalidation still in progress, an
//! AddPermission conflict, PublishVersion's revision guard, a bad parameter;
//! S3's split version listing (versions and delete markers apart, with
//! one-second dates) and an unversioned state bucket's "null" versions.

use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
use aws_sdk_lambda::operation::update_function_code::{UpdateFunctionCodeError, UpdateFunctionCodeOutput};
use aws_sdk_lambda::types::error::{InvalidParameterValueException, ResourceConflictException};
use aws_sdk_lambda::types::{FunctionConfiguration, LastUpdateStatus, State};
use aws_sdk_lambda::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};

fn settled() -> GetFunctionOutput {
    GetFunctionOutput::builder()
        .configuration(
            FunctionConfiguration::builder()
                .state(State::Active)
                .last_update_status(LastUpdateStatus::Successful)
                .build(),
        )
        .build()
}

#[tokio::test]
async fn an_update_in_progress_is_waited_out_not_fatal() {
    let conflict = mock!(Client::update_function_code).then_error(|| {
        UpdateFunctionCodeError::ResourceConflictException(
            ResourceConflictException::builder()
                .message("The operation cannot be performed at this time. An update is in progress.")
                .build(),
        )
    });
    let wait_then = mock!(Client::get_function).then_output(settled);
    let update = mock!(Client::update_function_code).then_output(|| UpdateFunctionCodeOutput::builder().build());
    let wait_after = mock!(Client::get_function).then_output(settled);
    let client = mock_client!(
        aws_sdk_lambda,
        RuleMode::Sequential,
        &[&conflict, &wait_then, &update, &wait_after]
    );

    bosun::aws::lambda::update_code(&client, "fn", b"zip", "x86_64")
        .await
        .expect("the conflict is waited out");
    assert_eq!(conflict.num_calls(), 1);
    assert_eq!(wait_then.num_calls(), 1);
    assert_eq!(update.num_calls(), 1);
    assert_eq!(wait_after.num_calls(), 1);
}

/// `deploy --wait` polls the invalidation with the SDK waiter. moto reports
/// an invalidation's status as "COMPLETED" where CloudFront says
/// "Completed", so the waiter is exercised here against mocked responses.
#[tokio::test]
async fn waiting_for_an_invalidation_polls_until_completed() {
    use aws_sdk_cloudfront::operation::get_invalidation::GetInvalidationOutput;
    use aws_sdk_cloudfront::types::Invalidation;
    let status = |s: &'static str| {
        move || {
            GetInvalidationOutput::builder()
                .invalidation(
                    Invalidation::builder()
                        .id("I1")
                        .status(s)
                        .create_time(aws_smithy_types::DateTime::from_secs(0))
                        .build()
                        .unwrap(),
                )
                .build()
        }
    };
    let in_progress = mock!(aws_sdk_cloudfront::Client::get_invalidation).then_output(status("InProgress"));
    let completed = mock!(aws_sdk_cloudfront::Client::get_invalidation).then_output(status("Completed"));
    let client = mock_client!(aws_sdk_cloudfront, RuleMode::Sequential, &[&in_progress, &completed]);
    bosun::aws::cloudfront::wait_invalidation(&client, "E1", "I1")
        .await
        .expect("completes");
    assert_eq!(in_progress.num_calls(), 1);
    assert_eq!(completed.num_calls(), 1);
}

/// AddPermission's ResourceConflictException means either "this
/// statement id exists" or "an update is in progress" (AddPermission API
/// reference): the policy is read to tell which.
#[tokio::test]
async fn an_add_permission_conflict_is_told_apart_by_reading_the_policy() {
    use aws_sdk_lambda::operation::add_permission::{AddPermissionError, AddPermissionOutput};
    use aws_sdk_lambda::operation::get_policy::GetPolicyOutput;
    use bosun::model::names::{PublicStatement, PUBLIC_INVOKE_SID};
    let conflict = || {
        mock!(Client::add_permission).then_error(|| {
            AddPermissionError::ResourceConflictException(
                ResourceConflictException::builder()
                    .message("The operation cannot be performed at this time. An update is in progress for resource")
                    .build(),
            )
        })
    };
    let policy = |statements: &'static str| {
        mock!(Client::get_policy).then_output(move || GetPolicyOutput::builder().policy(statements).build())
    };
    // In progress: the statement is not there yet, so wait and add again.
    let (first, empty, waited, added) = (
        conflict(),
        policy(r#"{"Statement":[]}"#),
        mock!(Client::get_function).then_output(settled),
        mock!(Client::add_permission).then_output(|| AddPermissionOutput::builder().build()),
    );
    let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, &[&first, &empty, &waited, &added]);
    bosun::aws::lambda::allow_public_url(&client, "fn", "live", PublicStatement::InvokeFunction)
        .await
        .expect("added after the update settled");
    assert_eq!((first.num_calls(), waited.num_calls(), added.num_calls()), (1, 1, 1));
    // Already there (an interrupted earlier run added it): done, no retry.
    let (again, present) = (
        conflict(),
        policy(r#"{"Statement":[{"Sid":"bosun-public-url-invoke"}]}"#),
    );
    assert!(PUBLIC_INVOKE_SID == "bosun-public-url-invoke");
    let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, &[&again, &present]);
    bosun::aws::lambda::allow_public_url(&client, "fn", "live", PublicStatement::InvokeFunction)
        .await
        .expect("already present is done");
    assert_eq!((again.num_calls(), present.num_calls()), (1, 1));
}

/// PublishVersion carries the RevisionId read after this run's updates.
#[tokio::test]
async fn a_version_is_published_with_the_revision_this_run_read() {
    use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput;
    use aws_sdk_lambda::operation::publish_version::{PublishVersionError, PublishVersionOutput};
    use aws_sdk_lambda::types::error::PreconditionFailedException;
    let read = mock!(Client::get_function_configuration)
        .then_output(|| GetFunctionConfigurationOutput::builder().revision_id("rev-7").build());
    let publish = mock!(Client::publish_version)
        .match_requests(|r| r.revision_id() == Some("rev-7") && r.code_sha256() == Some("sha"))
        .then_output(|| PublishVersionOutput::builder().version("4").build());
    let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, &[&read, &publish]);
    let v = bosun::aws::lambda::publish_version(&client, "fn", "sha").await.unwrap();
    assert_eq!(v, "4");
    // Changed meanwhile: a clear failure, not a publish of someone else's change.
    let read = mock!(Client::get_function_configuration)
        .then_output(|| GetFunctionConfigurationOutput::builder().revision_id("rev-7").build());
    let moved = mock!(Client::publish_version).then_error(|| {
        PublishVersionError::PreconditionFailedException(
            PreconditionFailedException::builder()
                .message("The RevisionId provided does not match the latest RevisionId")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, &[&read, &moved]);
    let err = bosun::aws::lambda::publish_version(&client, "fn", "sha")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("changed while this deploy was publishing"),
        "{err}"
    );
}

#[tokio::test]
async fn a_bad_parameter_fails_fast_naming_operation_and_function() {
    let invalid = mock!(Client::update_function_code).then_error(|| {
        UpdateFunctionCodeError::InvalidParameterValueException(
            InvalidParameterValueException::builder().message("bad zip").build(),
        )
    });
    let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, &[&invalid]);
    let err = bosun::aws::lambda::update_code(&client, "my-fn", b"zip", "x86_64")
        .await
        .unwrap_err();
    assert_eq!(invalid.num_calls(), 1, "not retried");
    let text = err.to_string();
    assert!(text.contains("lambda:UpdateFunctionCode on my-fn failed"), "{text}");
    assert!(text.contains("bad zip"), "{text}");
}

/// `bosun invoke` on Lambda: the emulator cannot run functions, so the
/// Invoke call is checked against mocked answers.
#[tokio::test]
async fn invoke_asks_the_alias_synchronously_and_returns_the_answer_and_log_tail() {
    use aws_sdk_lambda::operation::invoke::InvokeOutput;
    use aws_sdk_lambda::types::{InvocationType, LogType};
    let ok = mock!(Client::invoke)
        .match_requests(|r| {
            r.function_name() == Some("stack-reports")
                && r.qualifier() == Some("live")
                && r.invocation_type() == Some(&InvocationType::RequestResponse)
                && r.log_type() == Some(&LogType::Tail)
                && r.payload().map(|p| p.as_ref()) == Some(br#"{"batch":"csuite"}"#.as_slice())
        })
        .then_output(|| {
            InvokeOutput::builder()
                .status_code(200)
                .executed_version("3")
                .payload(aws_smithy_types::Blob::new(r#"{"sent":2}"#))
                .log_result(aws_smithy_types::base64::encode(
                    "START RequestId: x\nsent 2 reports\nEND RequestId: x\n",
                ))
                .build()
        });
    let client = mock_client!(aws_sdk_lambda, &[&ok]);
    let got = bosun::aws::lambda::invoke(&client, "stack-reports", "live", br#"{"batch":"csuite"}"#)
        .await
        .expect("invoked");
    assert_eq!(ok.num_calls(), 1);
    assert_eq!((got.status, got.version.as_deref()), (200, Some("3")));
    assert_eq!(got.payload, r#"{"sent":2}"#);
    assert!(got.log_tail.as_deref().unwrap().contains("sent 2 reports"), "{got:?}");
    assert_eq!(got.function_error, None);
}

#[tokio::test]
async fn a_function_error_comes_back_as_the_invocations_error() {
    use aws_sdk_lambda::operation::invoke::InvokeOutput;
    let failed = mock!(Client::invoke).then_output(|| {
        InvokeOutput::builder()
            .status_code(200)
            .function_error("Unhandled")
            .payload(aws_smithy_types::Blob::new(
                r#"{"errorType":"Error","errorMessage":"no recipients for batch nosuch"}"#,
            ))
            .build()
    });
    let client = mock_client!(aws_sdk_lambda, &[&failed]);
    let got = bosun::aws::lambda::invoke(&client, "stack-reports", "live", b"{}")
        .await
        .unwrap();
    assert_eq!(got.function_error.as_deref(), Some("Unhandled"));
    assert!(got.payload.contains("no recipients"), "{got:?}");
}

/// ListObjectVersions as S3 answers it: versions and delete markers in two
/// lists, dates to the second. The entry marked latest comes first, then
/// the other; keys that only share the prefix are not the lock's history.
#[tokio::test]
async fn the_lock_history_puts_the_latest_first_whatever_the_lists_and_dates() {
    use aws_sdk_s3::operation::list_object_versions::{ListObjectVersionsError, ListObjectVersionsOutput};
    use aws_sdk_s3::types::{DeleteMarkerEntry, ObjectVersion};
    let same_second = aws_smithy_types::DateTime::from_secs(1_796_000_000);
    let listing = mock!(aws_sdk_s3::Client::list_object_versions).then_output(move || {
        ListObjectVersionsOutput::builder()
            .versions(
                ObjectVersion::builder()
                    .key("lock.json")
                    .version_id("v9")
                    .e_tag("\"e9\"")
                    .is_latest(true)
                    .last_modified(same_second)
                    .build(),
            )
            .versions(
                ObjectVersion::builder()
                    .key("lock.json.bak")
                    .version_id("other")
                    .is_latest(true)
                    .last_modified(same_second)
                    .build(),
            )
            .delete_markers(
                DeleteMarkerEntry::builder()
                    .key("lock.json")
                    .version_id("d8")
                    .is_latest(false)
                    .last_modified(same_second)
                    .build(),
            )
            .build()
    });
    let missing = mock!(aws_sdk_s3::Client::list_object_versions).then_error(|| {
        // S3 models no errors for ListObjectVersions: a missing bucket is a generic NoSuchBucket.
        ListObjectVersionsError::generic(
            aws_smithy_types::error::ErrorMetadata::builder()
                .code("NoSuchBucket")
                .message("The specified bucket does not exist")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_s3, RuleMode::Sequential, &[&listing, &missing]);

    let history = bosun::aws::s3::key_history(&client, "state", "lock.json", 2)
        .await
        .unwrap()
        .expect("the bucket exists");
    let ids: Vec<&str> = history.iter().map(|e| e.version_id.as_str()).collect();
    assert_eq!(ids, ["v9", "d8"]);
    assert_eq!(history[0].etag.as_deref(), Some("e9"));
    assert!(history[0].is_latest);
    assert_eq!(history[1].etag, None, "a delete marker has no ETag");

    let none = bosun::aws::s3::key_history(&client, "state", "lock.json", 2)
        .await
        .unwrap();
    assert!(none.is_none(), "no bucket: no history");
}

/// An S3 error answer with `status` and `code`, as the mocks hand it over.
fn s3_error(status: u16, code: &'static str) -> aws_smithy_runtime_api::http::Response {
    aws_smithy_runtime_api::http::Response::new(
        aws_smithy_runtime_api::http::StatusCode::try_from(status).unwrap(),
        aws_smithy_types::body::SdkBody::from(format!("<Error><Code>{code}</Code><Message>x</Message></Error>")),
    )
}

fn s3_get(bytes: &'static [u8]) -> aws_sdk_s3::operation::get_object::GetObjectOutput {
    aws_sdk_s3::operation::get_object::GetObjectOutput::builder()
        .body(aws_sdk_s3::primitives::ByteStream::from_static(bytes))
        .e_tag("\"current\"")
        .build()
}

/// A conditional write whose answer was lost may have happened: the SDK's
/// retry then fails the condition against bosun's own write. The object is
/// read back, and when it holds exactly what was written the write counts.
#[tokio::test]
async fn a_conditional_write_failed_against_its_own_earlier_attempt_is_recognised() {
    use bosun::aws::s3::{put_json_if, Condition};
    let body: &'static [u8] = br#"{"holder":"ci-job-7","at":1}"#;
    let refused = mock!(aws_sdk_s3::Client::put_object).then_http_response(|| s3_error(412, "PreconditionFailed"));
    let ours = mock!(aws_sdk_s3::Client::get_object).then_output(move || s3_get(body));
    let client = mock_client!(aws_sdk_s3, RuleMode::Sequential, &[&refused, &ours]);
    let written = put_json_if(&client, "state", "lock.json", body.to_vec(), &Condition::Absent)
        .await
        .unwrap();
    assert_eq!(written.as_deref(), Some("current"), "our own write");

    // Someone else's content: the condition failed for real.
    let refused = mock!(aws_sdk_s3::Client::put_object).then_http_response(|| s3_error(412, "PreconditionFailed"));
    let theirs = mock!(aws_sdk_s3::Client::get_object).then_output(|| s3_get(br#"{"holder":"other"}"#));
    let client = mock_client!(aws_sdk_s3, RuleMode::Sequential, &[&refused, &theirs]);
    let written = put_json_if(&client, "state", "lock.json", body.to_vec(), &Condition::Absent)
        .await
        .unwrap();
    assert_eq!(written, None);
}

/// If-Match on a key that is gone is 404 NoSuchKey on S3, not 412: the
/// condition failed (the lock was released or taken over and removed), which
/// the caller must hear as such, not as an error.
#[tokio::test]
async fn if_match_on_a_missing_key_is_a_failed_condition() {
    use bosun::aws::s3::{put_json_if, Condition};
    let gone = mock!(aws_sdk_s3::Client::put_object).then_http_response(|| s3_error(404, "NoSuchKey"));
    let still_gone = mock!(aws_sdk_s3::Client::get_object).then_http_response(|| s3_error(404, "NoSuchKey"));
    let client = mock_client!(aws_sdk_s3, RuleMode::Sequential, &[&gone, &still_gone]);
    let written = put_json_if(
        &client,
        "state",
        "lock.json",
        b"{}".to_vec(),
        &Condition::Unchanged("abc".into()),
    )
    .await
    .unwrap();
    assert_eq!(written, None);
}
