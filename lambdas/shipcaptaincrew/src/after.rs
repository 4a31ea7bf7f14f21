//! Work done after the answer has gone: a route that must not let its
//! timing show what it did (a sign-in link is mailed only to members)
//! queues that work here and answers at once.
//!
//! Who runs the queue depends on how the app is served:
//! - on Lambda, an internal extension (`main.rs`): the runtime posts the
//!   response, Lambda returns it to the caller, and the extension, told of
//!   the invocation by the Extensions API, runs the request's jobs before it
//!   asks for its next event. Lambda keeps the environment running until
//!   every extension has asked (Lambda developer guide, "Using the Lambda
//!   Extensions API", Invoke phase), so the work is done, billed to the same
//!   invocation and bounded by its timeout, but never waited on by the caller;
//! - served locally, a task spawned after each response (`after_each_response`);
//! - in tests, the test runs them when it chooses (`App::after_response`),
//!   so it can see the answer came first.

use crate::App;
use std::sync::Mutex;

/// One piece of queued work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Mail a sign-in link to `email` if it belongs to a member (or a
    /// configured admin); do nothing otherwise.
    SignInLink { email: String },
}

/// The jobs queued by the requests answered so far and not yet run.
#[derive(Debug, Default)]
pub struct Queue(Mutex<Vec<Job>>);

impl Queue {
    pub fn push(&self, job: Job) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(job);
    }

    /// Takes every queued job, leaving the queue empty.
    pub fn take(&self) -> Vec<Job> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl App {
    /// Runs `jobs` one after another. A failure is logged (without the
    /// address) and the rest still run: nobody is waiting for the outcome.
    pub async fn run_jobs(&self, jobs: Vec<Job>) {
        for job in jobs {
            match job {
                Job::SignInLink { email } => {
                    if let Err(cause) = crate::signin::mail_sign_in_link(self, &email).await {
                        tracing::error!(%cause, "sign-in link not sent");
                    }
                }
            }
        }
    }

    /// Runs whatever the requests answered so far have queued.
    pub async fn after_response(&self) {
        self.run_jobs(self.after.take()).await
    }
}

/// Local serving: after each response, its queued work runs in a task of
/// its own (the process is not frozen between requests, as Lambda's is).
pub fn after_each_response(router: axum::Router, app: App) -> axum::Router {
    router.layer(axum::middleware::map_response(move |res: axum::response::Response| {
        let app = app.clone();
        async move {
            let jobs = app.after.take();
            if !jobs.is_empty() {
                tokio::spawn(async move { app.run_jobs(jobs).await });
            }
            res
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_empties_the_queue_in_order() {
        let q = Queue::default();
        q.push(Job::SignInLink {
            email: "a@example.com".into(),
        });
        q.push(Job::SignInLink {
            email: "b@example.com".into(),
        });
        let jobs = q.take();
        assert_eq!(jobs.len(), 2);
        assert_eq!(
            jobs[0],
            Job::SignInLink {
                email: "a@example.com".into()
            }
        );
        assert!(q.take().is_empty());
    }
}
