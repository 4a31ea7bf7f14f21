//! `[tables.KEY]`: DynamoDB tables: name, key schema, billing, TTL.

use toml_edit::TableLike;

use super::rules::valid_table_name;
use super::{join, Entry, Validator};
use crate::model::{AttrType, Billing, KeyAttr, TableSpec};

const TABLE_KEYS: &[&str] = &[
    "name",
    "partition_key",
    "sort_key",
    "billing",
    "read_capacity",
    "write_capacity",
    "ttl_attribute",
];
const KEY_ATTR_KEYS: &[&str] = &["name", "type"];

impl Validator<'_> {
    pub(super) fn key_attr(&mut self, t: &dyn TableLike, path: &str, key: &str) -> Option<KeyAttr> {
        let item = t.get(key)?;
        let kp = join(path, key);
        if let Some(name) = item.as_str() {
            return self.attr_name(t, path, key, name).map(|name| KeyAttr {
                name,
                kind: AttrType::S,
            });
        }
        let Some(inner) = item.as_table_like() else {
            self.wrong_type(t, path, key, "an attribute name or { name = \"pk\", type = \"S\" }");
            return None;
        };
        self.only_keys(inner, &kp, KEY_ATTR_KEYS);
        let name = match self.opt_str(inner, &kp, "name") {
            Some(n) => self.attr_name(inner, &kp, "name", &n),
            None => {
                if inner.get("name").is_none() {
                    self.missing(item.span(), &kp, "name", "add name = \"pk\"");
                }
                None
            }
        };
        let kind = match self.choice(inner, &kp, "type", &["S", "N", "B"]) {
            Some("N") => Some(AttrType::N),
            Some("B") => Some(AttrType::B),
            Some(_) => Some(AttrType::S),
            None if inner.get("type").is_none() => Some(AttrType::S),
            None => None,
        };
        Some(KeyAttr {
            name: name?,
            kind: kind?,
        })
    }

    pub(super) fn attr_name(&mut self, t: &dyn TableLike, path: &str, key: &str, name: &str) -> Option<String> {
        if name.is_empty() || name.len() > 255 {
            let at = Self::span_of(t, key);
            self.problem(
                at,
                &join(path, key),
                "attribute names are 1-255 characters".into(),
                None,
            );
            None
        } else {
            Some(name.to_string())
        }
    }

    pub(super) fn table(&mut self, e: &Entry<'_>, stack: &str) -> Option<TableSpec> {
        let (key, path, t, span) = (e.key, e.path.as_str(), e.t, e.span.clone());
        self.only_keys(t, path, TABLE_KEYS);
        let name = self
            .opt_str(t, path, "name")
            .unwrap_or_else(|| format!("{stack}-{key}"));
        let name_ok = valid_table_name(&name);
        if !name_ok {
            let at = Self::span_of(t, "name").or(span.clone());
            self.problem(
                at,
                &join(path, "name"),
                format!("`{name}` is not a valid DynamoDB table name"),
                Some("use 3-255 characters: letters, digits, '_', '-' and '.'".into()),
            );
        }
        let partition_key = self.key_attr(t, path, "partition_key");
        if t.get("partition_key").is_none() {
            self.missing(
                span.clone(),
                path,
                "partition_key",
                "add partition_key = \"pk\" or { name = \"pk\", type = \"S\" }",
            );
        }
        let sort_key = self.key_attr(t, path, "sort_key");
        let sort_ok = t.get("sort_key").is_none() || sort_key.is_some();

        let billing = self.billing(t, path);
        let ttl_attribute = self.opt_str(t, path, "ttl_attribute");
        if let Some(a) = &ttl_attribute {
            self.attr_name(t, path, "ttl_attribute", a);
        }
        if !name_ok || !sort_ok {
            return None;
        }
        Some(TableSpec {
            key: key.to_string(),
            name,
            partition_key: partition_key?,
            sort_key,
            billing: billing?,
            ttl_attribute,
        })
    }

    /// `billing` with, for provisioned tables, both capacities (and only then).
    fn billing(&mut self, t: &dyn TableLike, path: &str) -> Option<Billing> {
        let read = self.int_in(t, path, "read_capacity", 1..=40_000, "capacity units");
        let write = self.int_in(t, path, "write_capacity", 1..=40_000, "capacity units");
        let billing_choice = match t.get("billing") {
            None => Some("pay-per-request"),
            Some(_) => self.choice(t, path, "billing", &["pay-per-request", "provisioned"]),
        };
        match billing_choice {
            Some("provisioned") => match (read, write) {
                (Some(read), Some(write)) => Some(Billing::Provisioned { read, write }),
                _ => {
                    for k in ["read_capacity", "write_capacity"] {
                        if t.get(k).is_none() {
                            let at = Self::span_of(t, "billing");
                            self.missing(
                                at,
                                path,
                                k,
                                "provisioned billing needs read_capacity and write_capacity",
                            );
                        }
                    }
                    None
                }
            },
            Some(_) => {
                for k in ["read_capacity", "write_capacity"] {
                    if t.get(k).is_some() {
                        let at = t.key(k).and_then(|k| k.span());
                        self.problem(
                            at,
                            &join(path, k),
                            "capacity is only used with billing = \"provisioned\"".into(),
                            Some("remove it, or set billing = \"provisioned\"".into()),
                        );
                    }
                }
                Some(Billing::PayPerRequest)
            }
            None => None,
        }
    }
}
