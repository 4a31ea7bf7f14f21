//! Which part of the stack a command covers (`deploy all`, `deploy
//! functions a b`, `deploy frontend`, `deploy schedules`).

use std::collections::BTreeSet;

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
            desired.functions.iter().collect()
        } else {
            self.functions(desired)
        }
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
