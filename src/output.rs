//! What bosun prints. One `Reporter` decides: a progress display on a
//! terminal, plain lines otherwise, or — with `--output json` — exactly one
//! JSON object per line on stdout and nothing else there.
//!
//! Results are structs that are both `Serialize` (for JSON) and `Display`
//! (for people).

use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputMode {
    /// Human-readable, with progress on a terminal.
    #[default]
    Text,
    /// One JSON object per line on stdout (events and a final result).
    Json,
    /// `bosun plan` only: the plan as Markdown on stdout (e.g. a pull
    /// request's job summary); progress as with text.
    Markdown,
}

/// Writes a line to stdout; a closed pipe (`bosun plan | head`) is not an error.
pub fn stdout_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
}

pub struct Reporter {
    mode: OutputMode,
    bar: Option<ProgressBar>,
    /// `-v`: cargo's own lines are passed through to stderr.
    verbose: u8,
    /// When the last plain-text build progress line was printed.
    last_progress: Option<Instant>,
    /// Where the time went, phase by phase (`-v` reports it with the result).
    phases: Vec<Phase>,
    /// AWS time by operation (`-v`): `(operation, calls, summed time)`.
    aws_busy: Vec<(String, usize, Duration)>,
}

struct Phase {
    name: &'static str,
    took: Duration,
    detail: Option<String>,
}

/// How often a long build prints a progress line where there is no bar
/// (CI logs) or a progress event (`--output json`).
const PROGRESS_EVERY_TEXT: Duration = Duration::from_secs(30);
const PROGRESS_EVERY_JSON: Duration = Duration::from_secs(5);

impl Reporter {
    pub fn new(mode: OutputMode) -> Reporter {
        Reporter {
            mode,
            bar: None,
            verbose: 0,
            last_progress: None,
            phases: Vec::new(),
            aws_busy: Vec::new(),
        }
    }

    pub fn with_verbose(mut self, verbose: u8) -> Reporter {
        self.verbose = verbose;
        self
    }

    pub fn mode(&self) -> OutputMode {
        self.mode
    }

    fn interactive(&self) -> bool {
        self.mode != OutputMode::Json && std::io::stderr().is_terminal()
    }

    /// Starts a phase of `total` steps (a bar on a terminal).
    pub fn begin(&mut self, total: usize, what: &str) {
        self.finish();
        if self.interactive() && total > 0 {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix} [{bar:20}] {pos}/{len} {wide_msg}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.set_prefix(what.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            self.bar = Some(bar);
        }
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// A step is starting: shown as the bar's message on a terminal.
    pub fn started(&self, resource: &str, action: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{resource}: {action}"));
        }
    }

    /// A step finished. `fields` go into the JSON event.
    pub fn done(&self, event: &str, resource: &str, action: &str, elapsed: Duration, fields: Value) {
        match self.mode {
            OutputMode::Json => {
                let mut ev = json!({
                    "event": event,
                    "resource": resource,
                    "action": action,
                    "elapsed_ms": elapsed.as_millis() as u64,
                });
                if let (Value::Object(ev), Value::Object(extra)) = (&mut ev, fields) {
                    ev.extend(extra);
                }
                stdout_line(&ev.to_string());
            }
            OutputMode::Text | OutputMode::Markdown => {
                let line = format!("  ✓ {resource}: {action} ({:.1}s)", elapsed.as_secs_f64());
                match &self.bar {
                    Some(bar) => {
                        bar.println(line);
                        bar.inc(1);
                    }
                    None => eprintln!("{line}"),
                }
            }
        }
    }

    /// Progress inside a step (e.g. one uploaded file): a JSON event, or the
    /// bar's message on a terminal. Plain text output stays one line per step.
    pub fn item(&self, message: &str, event: Value) {
        match self.mode {
            OutputMode::Json => stdout_line(&event.to_string()),
            OutputMode::Text | OutputMode::Markdown => {
                if let Some(bar) = &self.bar {
                    bar.set_message(message.to_string());
                }
            }
        }
    }

    /// A build (one cargo invocation) starts. `fields` go into the
    /// `build_started` event.
    pub fn build_started(&mut self, summary: &str, fields: Value) {
        self.finish();
        self.last_progress = Some(Instant::now());
        match self.mode {
            OutputMode::Json => stdout_line(&event("build_started", fields).to_string()),
            OutputMode::Text | OutputMode::Markdown if self.interactive() => {
                let bar = ProgressBar::new(0);
                bar.set_style(
                    ProgressStyle::with_template("{spinner} building [{bar:20}] {pos}/{len} {wide_msg}")
                        .expect("valid template")
                        .progress_chars("=> "),
                );
                bar.enable_steady_tick(Duration::from_millis(120));
                bar.println(format!("building {summary}"));
                self.bar = Some(bar);
            }
            OutputMode::Text | OutputMode::Markdown => eprintln!("building {summary}"),
        }
    }

    /// Cargo's progress: `done` of `total` units, `current` in flight.
    pub fn build_progress(&mut self, done: u32, total: u32, current: &str) {
        if let Some(bar) = &self.bar {
            bar.set_length(u64::from(total));
            bar.set_position(u64::from(done));
            bar.set_message(current.to_string());
            return;
        }
        let every = match self.mode {
            OutputMode::Json => PROGRESS_EVERY_JSON,
            OutputMode::Text | OutputMode::Markdown => PROGRESS_EVERY_TEXT,
        };
        if self.last_progress.is_some_and(|t| t.elapsed() < every) {
            return;
        }
        self.last_progress = Some(Instant::now());
        match self.mode {
            OutputMode::Json => stdout_line(
                &json!({"event": "build_progress", "done": done, "total": total, "current": current}).to_string(),
            ),
            OutputMode::Text | OutputMode::Markdown => eprintln!("  building: {done}/{total} ({current})"),
        }
    }

    /// One of cargo's own lines: shown on stderr with `-v`.
    pub fn build_line(&self, line: &str) {
        if self.verbose == 0 {
            return;
        }
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    /// The build finished. `fields` go into the `build_finished` event.
    pub fn build_finished(&mut self, summary: &str, elapsed: Duration, fields: Value) {
        self.finish();
        match self.mode {
            OutputMode::Json => {
                let mut fields = fields;
                if let Value::Object(map) = &mut fields {
                    map.insert("elapsed_ms".into(), json!(elapsed.as_millis() as u64));
                }
                stdout_line(&event("build_finished", fields).to_string());
            }
            OutputMode::Text | OutputMode::Markdown => {
                eprintln!("  ✓ built {summary} in {}", human_duration(elapsed))
            }
        }
    }

    /// The account and region a command works on, so a deploy log always
    /// says where it went.
    pub fn target(&self, account: &str, region: &str) {
        match self.mode {
            OutputMode::Json => {
                stdout_line(&json!({"event": "target", "account": account, "region": region}).to_string())
            }
            OutputMode::Text | OutputMode::Markdown => match &self.bar {
                Some(bar) => bar.println(format!("account {account}, region {region}")),
                None => eprintln!("account {account}, region {region}"),
            },
        }
    }

    /// Something a person should know that is not an error.
    pub fn warn(&self, message: &str) {
        match self.mode {
            OutputMode::Json => stdout_line(&json!({"event": "warning", "message": message}).to_string()),
            OutputMode::Text | OutputMode::Markdown => match &self.bar {
                Some(bar) => bar.println(format!("warning: {message}")),
                None => eprintln!("warning: {message}"),
            },
        }
    }

    /// The command's result: a JSON `result` line, or the Display text on stdout.
    /// Notes how long a phase of the command took (`build`, `observe`,
    /// `apply`...); with `-v` the result carries the breakdown.
    pub fn phase(&mut self, name: &'static str, took: Duration) {
        self.phases.push(Phase {
            name,
            took,
            detail: None,
        });
    }

    /// A phase with a note, e.g. work it overlapped with.
    pub fn phase_detail(&mut self, name: &'static str, took: Duration, detail: String) {
        self.phases.push(Phase {
            name,
            took,
            detail: Some(detail),
        });
    }

    /// Where the AWS time went, by operation (from the clients' call log):
    /// `-v` prints the slowest with the result.
    pub fn aws_busy(&mut self, busy: Vec<(String, usize, Duration)>) {
        self.aws_busy = busy;
    }

    /// The phases as one line: `build 0.41s · observe 0.11s · total 0.52s`.
    fn timings_line(&self) -> String {
        let total: Duration = self.phases.iter().map(|p| p.took).sum();
        let mut parts: Vec<String> = self
            .phases
            .iter()
            .map(|p| match &p.detail {
                Some(d) => format!("{} {:.2}s ({d})", p.name, p.took.as_secs_f64()),
                None => format!("{} {:.2}s", p.name, p.took.as_secs_f64()),
            })
            .collect();
        parts.push(format!("total {:.2}s", total.as_secs_f64()));
        parts.join(" · ")
    }

    /// The slowest AWS operations as one line: `S3:ListObjectsV2 ×2 0.23s · …`.
    fn aws_line(&self) -> Option<String> {
        let parts: Vec<String> = self
            .aws_busy
            .iter()
            .take(6)
            .map(|(op, n, d)| format!("{op} ×{n} {:.2}s", d.as_secs_f64()))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" · "))
    }

    pub fn result<T: Serialize + Display>(&mut self, command: &str, result: &T) {
        self.finish();
        let timings = self.verbose > 0 && !self.phases.is_empty();
        match self.mode {
            OutputMode::Json => {
                let mut v = serde_json::to_value(result).unwrap_or(Value::Null);
                if let Value::Object(map) = &mut v {
                    map.insert("event".into(), json!("result"));
                    map.insert("command".into(), json!(command));
                    if timings {
                        let phases: Vec<Value> = self
                            .phases
                            .iter()
                            .map(|p| json!({"phase": p.name, "seconds": p.took.as_secs_f64(), "detail": p.detail}))
                            .collect();
                        map.insert("timings".into(), Value::Array(phases));
                        let aws: Vec<Value> = self
                            .aws_busy
                            .iter()
                            .map(|(op, n, d)| json!({"operation": op, "calls": n, "seconds": d.as_secs_f64()}))
                            .collect();
                        map.insert("aws_time".into(), Value::Array(aws));
                    }
                }
                stdout_line(&v.to_string());
            }
            OutputMode::Text | OutputMode::Markdown => {
                let text = result.to_string();
                stdout_line(text.trim_end());
                if timings {
                    eprintln!("time: {}", self.timings_line());
                    if let Some(aws) = self.aws_line() {
                        eprintln!("aws time by operation (summed over concurrent calls): {aws}");
                    }
                }
            }
        }
    }
}

fn event(name: &str, fields: Value) -> Value {
    let mut ev = json!({ "event": name });
    if let (Value::Object(ev), Value::Object(extra)) = (&mut ev, fields) {
        ev.extend(extra);
    }
    ev
}

/// A duration for people: "4.2s", "3m07s".
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1}s")
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.finish();
    }
}
