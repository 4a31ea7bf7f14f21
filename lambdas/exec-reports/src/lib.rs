//! The executive-report Lambda's logic, kept apart from the Lambda runtime so it
//! is tested by calling [`handle`] with an event.
//!
//! Today it answers health pings (`{"ping": true}`), which is what bosun's
//! deploy pipeline and the schedules need to prove the function is wired. The
//! report batches (`{"batch": "csuite"}` / `{"batch": "portfolio"}`) are issue 7:
//! until then such an event is rejected with an error saying so, never answered
//! with a fake success.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the function was asked to do, decoded from the invocation payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Request {
    Ping { ping: bool },
    Batch { batch: String },
}

/// The answer to a ping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pong {
    pub ok: bool,
    pub service: &'static str,
    pub version: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("unrecognised event: expected {{\"ping\": true}} or {{\"batch\": \"csuite\"|\"portfolio\"}}, got {0}")]
    BadEvent(String),
    #[error("report batch {0:?} is not implemented yet (exec-reports issue 7); nothing was sent")]
    NotImplemented(String),
}

/// Handles one invocation payload.
pub async fn handle(event: Value) -> Result<Value, HandlerError> {
    let request: Request = serde_json::from_value(event.clone()).map_err(|_| {
        let mut shown = event.to_string();
        shown.truncate(200);
        HandlerError::BadEvent(shown)
    })?;
    match request {
        Request::Ping { ping: true } => Ok(serde_json::to_value(Pong {
            ok: true,
            service: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        })
        .expect("Pong serialises")),
        Request::Ping { ping: false } => Err(HandlerError::BadEvent(event.to_string())),
        Request::Batch { batch } => Err(HandlerError::NotImplemented(batch)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn ping_answers_ok_with_service_name() {
        let out = handle(json!({"ping": true})).await.unwrap();
        assert_eq!(out["ok"], json!(true));
        assert_eq!(out["service"], json!("exec-reports"));
    }

    #[tokio::test]
    async fn report_batch_is_refused_until_implemented() {
        let err = handle(json!({"batch": "csuite"})).await.unwrap_err();
        assert!(matches!(err, HandlerError::NotImplemented(ref b) if b == "csuite"));
        assert!(err.to_string().contains("nothing was sent"));
    }

    #[tokio::test]
    async fn unknown_event_names_what_was_expected() {
        let err = handle(json!({"hello": 1})).await.unwrap_err();
        assert!(err.to_string().contains("expected"), "{err}");
        let err = handle(json!({"ping": false})).await.unwrap_err();
        assert!(matches!(err, HandlerError::BadEvent(_)));
    }
}
