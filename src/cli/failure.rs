//! How a failure is reported: text on stderr; one JSON `error` event with
//! `--output json`.

use serde_json::json;

use crate::failure::Failure;
use crate::output::{stdout_line, OutputMode};

/// Reports a failure: JSON on stdout in json mode, text on stderr otherwise.
pub fn report_failure(mode: OutputMode, failure: &Failure) {
    if matches!(failure, Failure::Drift | Failure::SesNotReady) {
        // The status result already said what differs; the exit code says the rest.
        return;
    }
    let code = failure.exit_code();
    match mode {
        OutputMode::Json => {
            let mut ev = json!({"event": "error", "exit_code": code, "message": failure.to_string()});
            if let Failure::Stack(e) = failure {
                ev["problems"] = serde_json::to_value(&e.problems).unwrap_or_default();
                ev["file"] = json!(e.file);
            }
            if let Failure::Apply(e) = failure {
                ev["done"] = serde_json::to_value(&e.applied.done).unwrap_or_default();
                ev["failed"] = serde_json::to_value(&e.failed).unwrap_or_default();
            }
            stdout_line(&ev.to_string());
        }
        OutputMode::Text | OutputMode::Markdown => eprintln!("error: {}", failure.to_string().trim_end()),
    }
}
