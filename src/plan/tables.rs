//! DynamoDB: the selected tables' existence, billing mode and TTL. A key
//! schema change is refused: DynamoDB cannot change a table's keys.

use super::{Change, Inputs, Notes, PlanError};
use crate::model::{KeyAttr, LiveTtl};
use crate::plan::TableChange;

pub(super) fn plan(input: &Inputs<'_>, notes: &mut Notes) -> Result<Vec<Change>, PlanError> {
    let mut out = Vec::new();
    for t in input.selection.tables(input.desired) {
        let Some(live) = input.observed.tables.get(&t.name).and_then(Option::as_ref) else {
            out.push(Change::Table(TableChange::CreateTable {
                table: t.key.clone(),
                name: t.name.clone(),
            }));
            if let Some(attr) = &t.ttl_attribute {
                out.push(Change::Table(TableChange::SetTtl {
                    name: t.name.clone(),
                    attribute: attr.clone(),
                    enabled: true,
                }));
            }
            continue;
        };
        if live.partition_key != t.partition_key || live.sort_key != t.sort_key {
            let show = |pk: &KeyAttr, sk: &Option<KeyAttr>| match sk {
                Some(sk) => format!("partition {pk}, sort {sk}"),
                None => format!("partition {pk}, no sort key"),
            };
            return Err(PlanError::KeySchemaChanged {
                table: t.name.clone(),
                live: show(&live.partition_key, &live.sort_key),
                wanted: show(&t.partition_key, &t.sort_key),
            });
        }
        let before = out.len();
        if live.billing != t.billing {
            out.push(Change::Table(TableChange::UpdateBilling {
                name: t.name.clone(),
                from: live.billing.to_string(),
                to: t.billing,
            }));
        }
        let (ttl_change, ttl_warning) = plan_ttl(&t.name, &live.ttl, t.ttl_attribute.as_deref());
        out.extend(ttl_change);
        notes.warnings.extend(ttl_warning);
        if out.len() == before {
            notes.unchanged(format!("table/{}", t.name), "keys, billing and TTL match".into());
        }
    }
    Ok(out)
}

/// At most one TTL change per table per run: DynamoDB accepts one
/// UpdateTimeToLive per table per hour (UpdateTimeToLive API reference), and
/// reports a change still processing as ENABLING or DISABLING. Moving TTL to
/// another attribute therefore takes two runs: this one disables the old
/// attribute, a run at least an hour later enables the new one.
pub(super) fn plan_ttl(table: &str, live: &LiveTtl, want: Option<&str>) -> (Option<Change>, Option<String>) {
    let set = |attribute: &str, enabled: bool| {
        Some(Change::Table(TableChange::SetTtl {
            name: table.to_string(),
            attribute: attribute.to_string(),
            enabled,
        }))
    };
    let later = "DynamoDB allows one TTL change per table per hour: run the deploy again in an hour to finish it";
    match (live, want) {
        (LiveTtl::Enabled(a), Some(w)) if a == w => (None, None),
        (LiveTtl::Enabling(a), Some(w)) if a == w => (None, None),
        (LiveTtl::Disabled, None) | (LiveTtl::Disabling(_), None) => (None, None),
        (LiveTtl::Disabled, Some(w)) => (set(w, true), None),
        (LiveTtl::Enabled(a), None) => (set(a, false), None),
        (LiveTtl::Enabled(a), Some(w)) => (
            set(a, false),
            Some(format!(
                "table {table}: TTL moves from `{a}` to `{w}`; this run disables it on `{a}` (expired items are then kept). {later}"
            )),
        ),
        (LiveTtl::Enabling(a), _) => (
            None,
            Some(format!(
                "table {table}: TTL on `{a}` is still being enabled (ENABLING), so it cannot be changed yet. {later}"
            )),
        ),
        (LiveTtl::Disabling(a), Some(w)) => (
            None,
            Some(format!(
                "table {table}: TTL on `{a}` is still being disabled (DISABLING); TTL on `{w}` can be enabled once that has finished. {later}"
            )),
        ),
    }
}
