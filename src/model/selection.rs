//! Which part of the stack a command covers (`deploy all`, `deploy
//! functions a b`, `deploy frontend`, `deploy schedules`).

use std::collections::BTreeSet;

use super::references::{self, Target};
use super::{Desired, FrontendSpec, FunctionSpec, ScheduleSpec, TableSpec};

/// Which part of the stack a deploy covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Selection {
    #[default]
    All,
    /// These functions (by stack key), with their roles and the tables they use.
    Functions(BTreeSet<String>),
    /// Only the frontends.
    Frontends,
    /// Only the schedules (rules, targets, invoke permissions).
    Schedules,
}

impl Selection {
    pub fn functions<'d>(&self, desired: &'d Desired) -> Vec<&'d FunctionSpec> {
        desired
            .functions
            .iter()
            .filter(|f| match self {
                Selection::All => true,
                Selection::Functions(keys) => keys.contains(&f.key),
                Selection::Frontends | Selection::Schedules => false,
            })
            .collect()
    }

    /// Functions whose live state is read: the selected ones, plus every
    /// function when schedules are planned (targets and their permissions).
    pub fn observed_functions<'d>(&self, desired: &'d Desired) -> Vec<&'d FunctionSpec> {
        if matches!(self, Selection::Schedules) {
            return desired.functions.iter().collect();
        }
        let mut out = self.functions(desired);
        // Functions the selected environments name, and the selected
        // frontends' API functions (their URL and CloudFront statements).
        let referenced = self
            .references(desired)
            .into_iter()
            .filter_map(|(_, target)| match target {
                Target::Function(key) => Some(key),
                Target::Frontend(_) => None,
            });
        let apis = self
            .frontends(desired)
            .into_iter()
            .filter_map(|f| f.api.as_ref().map(|a| a.function.clone()));
        for key in referenced.chain(apis) {
            if let Some(f) = desired.function(&key).filter(|f| !out.iter().any(|o| o.key == f.key)) {
                out.push(f);
            }
        }
        out
    }

    /// Frontends the selected functions' environments name but the
    /// selection does not cover: their distributions are read for the URL.
    pub fn referenced_frontends<'d>(&self, desired: &'d Desired) -> Vec<&'d FrontendSpec> {
        let selected = self.frontends(desired);
        let mut out: Vec<&FrontendSpec> = Vec::new();
        for (_, target) in self.references(desired) {
            if let Target::Frontend(key) = target {
                let Some(f) = desired.frontends.iter().find(|f| f.key == key) else {
                    continue;
                };
                if !selected.iter().chain(&out).any(|o| o.key == f.key) {
                    out.push(f);
                }
            }
        }
        out
    }

    /// Every `${…}` in the selected functions' environments.
    fn references(&self, desired: &Desired) -> Vec<(String, Target)> {
        self.functions(desired)
            .iter()
            .flat_map(|f| f.environment.values())
            .filter_map(|v| references::parse(v).ok())
            .flatten()
            .collect()
    }

    pub fn includes_schedules(&self) -> bool {
        matches!(self, Selection::All | Selection::Schedules)
    }

    pub fn schedules<'d>(&self, desired: &'d Desired) -> Vec<&'d ScheduleSpec> {
        if self.includes_schedules() {
            desired.schedules.iter().collect()
        } else {
            Vec::new()
        }
    }

    pub fn tables<'d>(&self, desired: &'d Desired) -> Vec<&'d TableSpec> {
        let used: BTreeSet<&str> = self
            .functions(desired)
            .iter()
            .flat_map(|f| f.tables.keys().map(String::as_str))
            .collect();
        desired
            .tables
            .iter()
            .filter(|t| matches!(self, Selection::All) || used.contains(t.key.as_str()))
            .collect()
    }

    pub fn frontends<'d>(&self, desired: &'d Desired) -> Vec<&'d FrontendSpec> {
        match self {
            Selection::All | Selection::Frontends => desired.frontends.iter().collect(),
            Selection::Functions(_) | Selection::Schedules => Vec::new(),
        }
    }
}
