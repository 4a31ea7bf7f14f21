//! `${…}` references in function environments, resolved against live
//! state: a frontend's URL is `https://` and its distribution's domain, a
//! function's URL is its alias's function URL. What does not exist yet
//! stands as [`PENDING_URL`] and is resolved by the deploy's second pass.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::references::{self, Target, PENDING_URL};
use crate::model::{Desired, FunctionSpec, Observed};

/// One environment variable whose value holds references, as resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    pub function: String,
    pub variable: String,
    /// The value as the stack file writes it.
    pub reference: String,
    /// The value the function gets; `None` while something it names does
    /// not exist yet (it gets a placeholder, replaced in the same deploy).
    pub value: Option<String>,
}

/// The URL `target` stands for, if what it names exists.
pub fn url_of(desired: &Desired, observed: &Observed, target: &Target) -> Option<String> {
    match target {
        Target::Frontend(key) => {
            // A custom domain is known before the distribution exists.
            if let Some(d) = desired.frontends.iter().find(|f| f.key == *key)?.domain.as_ref() {
                return Some(format!("https://{}", d.name));
            }
            let live = observed.frontends.get(key)?;
            live.distribution.as_ref()?;
            let domain = &live.setup.domain;
            (!domain.is_empty()).then(|| format!("https://{domain}"))
        }
        Target::Function(key) => {
            let f = desired.function(key)?;
            let live = observed.functions.get(&f.name)?.as_ref()?;
            live.url.as_ref().map(|u| u.url.trim_end_matches('/').to_string())
        }
    }
}

/// Resolves every reference in `env` (a function's wanted environment) in
/// place; returns one line per variable that held any.
pub fn resolve(
    desired: &Desired,
    observed: &Observed,
    f: &FunctionSpec,
    env: &mut BTreeMap<String, String>,
) -> Vec<Resolved> {
    let mut out = Vec::new();
    for (variable, value) in env.iter_mut() {
        if references::parse(value).map_or(true, |r| r.is_empty()) {
            continue;
        }
        let (resolved, pending) = references::substitute(value, |t| url_of(desired, observed, t));
        out.push(Resolved {
            function: f.key.clone(),
            variable: variable.clone(),
            reference: std::mem::replace(value, resolved.clone()),
            value: (!pending).then_some(resolved),
        });
    }
    out
}

/// True when a value still holds a placeholder.
pub fn is_pending(value: &str) -> bool {
    value.contains(PENDING_URL)
}
