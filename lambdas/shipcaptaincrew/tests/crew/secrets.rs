//! The signing secret: rotation reaching running containers, and an
//! unreadable previous secret asked for once per retry window (mocked).

use super::*;

async fn me_status(router: &axum::Router, token: &str) -> StatusCode {
    let req = Request::get("/api/me")
        .header("x-session-token", token)
        .body(Body::empty())
        .unwrap();
    router.clone().oneshot(req).await.unwrap().status()
}

#[tokio::test]
async fn a_rotated_signing_secret_reaches_running_containers_with_a_bounded_overlap() {
    use shipcaptaincrew::keyring::{OVERLAP_SECS, REFRESH_SECS};
    let c = Crew::new().await;
    let before = c.member("rotate@example.com", "crew").await;
    let first = c.app.keys.current_version();
    let header = jsonwebtoken::decode_header(&before).unwrap();
    assert_eq!(
        header.kid,
        Some(first.to_string()),
        "tokens name the version that signed them"
    );

    // Rotate: a new version of the parameter, as an operator would write it.
    ssm()
        .await
        .put_parameter()
        .name(&c.env["BOSUN_SECRET_JWT"])
        .value("3b7e1f9a2c5d8e0b4a6f1c3e5d7b9a2f4e6c8b0d1a3f5e7c9b2d4f6a8c0e1b3d5f7a9c")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();

    // The running container re-reads on its schedule: the old session
    // still works (the overlap), new sessions are signed with the new version.
    c.app.clock.advance(REFRESH_SECS + 1);
    assert_eq!(me_status(&c.router, &before).await, StatusCode::OK);
    assert_eq!(c.app.keys.current_version(), first + 1);
    let after = c.token("rotate@example.com", shipcaptaincrew::auth::Role::Crew);
    assert_eq!(me_status(&c.router, &after).await, StatusCode::OK);

    // A container started after the rotation knows only the new version,
    // and still accepts the previous one's sessions within the overlap.
    let cold = App::start(&sdk_config().await, Config::from_map(&c.env).unwrap(), None)
        .await
        .unwrap();
    let cold_router = shipcaptaincrew::router(cold.clone(), None);
    assert_eq!(me_status(&cold_router, &before).await, StatusCode::OK);
    assert_eq!(me_status(&cold_router, &after).await, StatusCode::OK);

    // After the overlap, the old sessions are refused everywhere.
    c.app.clock.advance(OVERLAP_SECS);
    cold.clock.advance(OVERLAP_SECS + REFRESH_SECS);
    assert_eq!(me_status(&c.router, &before).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&cold_router, &before).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&c.router, &after).await, StatusCode::OK);

    // A token naming a version that does not exist is refused.
    let forged = {
        let keys = shipcaptaincrew::auth::Keys::new(SECRET.as_bytes(), "shipcaptaincrew", "shipcaptaincrew-api")
            .unwrap()
            .with_kid(&(first + 7).to_string());
        keys.issue(
            "rotate@example.com",
            shipcaptaincrew::auth::Role::Admin,
            c.app.clock.now(),
            600,
        )
    };
    assert_eq!(me_status(&c.router, &forged).await, StatusCode::UNAUTHORIZED);
}

/// A token naming the previous signing-secret version, when that version
/// cannot be read (SSM refuses, or it is gone): the read is not made again
/// for every such token, only once the retry window has passed (mocked:
/// the emulator cannot refuse one version of a parameter).
#[tokio::test]
async fn an_unreadable_previous_secret_is_asked_for_once_per_retry_window() {
    use aws_sdk_ssm::operation::get_parameter::{GetParameterError, GetParameterOutput};
    use aws_sdk_ssm::types::Parameter;
    use aws_sdk_ssm::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use shipcaptaincrew::keyring::{KeyRing, Ssm, MISS_RETRY_SECS};
    let now = jiff::Timestamp::now().as_second();
    let current = mock!(Client::get_parameter)
        .match_requests(|r| r.name() == Some("/s/shipcaptaincrew/jwt"))
        .then_output(move || {
            GetParameterOutput::builder()
                .parameter(
                    Parameter::builder()
                        .name("/s/shipcaptaincrew/jwt")
                        .value(SECRET)
                        .version(3)
                        .last_modified_date(aws_sdk_ssm::primitives::DateTime::from_secs(now - 60))
                        .build(),
                )
                .build()
        });
    let previous = mock!(Client::get_parameter)
        .match_requests(|r| r.name() == Some("/s/shipcaptaincrew/jwt:2"))
        .then_error(|| {
            GetParameterError::ParameterVersionNotFound(
                aws_sdk_ssm::types::error::ParameterVersionNotFound::builder()
                    .message("version 2 is gone")
                    .build(),
            )
        });
    let client = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, [&current, &previous]);
    let ssm = Ssm {
        client,
        name: "/s/shipcaptaincrew/jwt".into(),
    };
    let ring = KeyRing::start(ssm, "shipcaptaincrew", "shipcaptaincrew-api", now)
        .await
        .unwrap();
    // A session signed by version 2, within the hour's overlap.
    let old = shipcaptaincrew::auth::Keys::new(
        b"0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b",
        "shipcaptaincrew",
        "shipcaptaincrew-api",
    )
    .unwrap()
    .with_kid("2")
    .issue(ADMIN, shipcaptaincrew::auth::Role::Admin, now, 600);
    for _ in 0..5 {
        assert!(ring.verify(&old, now).await.is_none());
    }
    assert_eq!(previous.num_calls(), 1, "asked once, not once per token");
    assert!(ring.verify(&old, now + MISS_RETRY_SECS).await.is_none());
    assert_eq!(previous.num_calls(), 2, "asked again once the window has passed");
}
