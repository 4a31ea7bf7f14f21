//! DynamoDB: tables are created and tuned, never deleted by a deploy.

use std::time::Duration;

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ProvisionedThroughput, ScalarAttributeType,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_dynamodb::Client;

use super::AwsError;
use crate::model::{AttrType, Billing, KeyAttr, LiveTable, LiveTtl, TableSpec};

fn attr_type(t: AttrType) -> ScalarAttributeType {
    match t {
        AttrType::S => ScalarAttributeType::S,
        AttrType::N => ScalarAttributeType::N,
        AttrType::B => ScalarAttributeType::B,
    }
}

fn from_attr_type(t: &ScalarAttributeType) -> AttrType {
    match t {
        ScalarAttributeType::N => AttrType::N,
        ScalarAttributeType::B => AttrType::B,
        _ => AttrType::S,
    }
}

/// Reads a table's keys, billing and TTL; `None` if it does not exist.
pub async fn describe_table(client: &Client, name: &str) -> Result<Option<LiveTable>, AwsError> {
    let table = match client.describe_table().table_name(name).send().await {
        Ok(out) => out
            .table
            .ok_or_else(|| AwsError::missing("dynamodb:DescribeTable", name, "Table"))?,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(AwsError::from_sdk("dynamodb:DescribeTable", name, e)),
    };
    let attr = |key_name: &str| -> KeyAttr {
        let kind = table
            .attribute_definitions()
            .iter()
            .find(|d| d.attribute_name() == key_name)
            .map(|d| from_attr_type(d.attribute_type()))
            .unwrap_or(AttrType::S);
        KeyAttr {
            name: key_name.to_string(),
            kind,
        }
    };
    let key_of = |kt: KeyType| {
        table
            .key_schema()
            .iter()
            .find(|k| *k.key_type() == kt)
            .map(|k| attr(k.attribute_name()))
    };
    let partition_key =
        key_of(KeyType::Hash).ok_or_else(|| AwsError::missing("dynamodb:DescribeTable", name, "a HASH key"))?;
    let sort_key = key_of(KeyType::Range);
    let on_demand = table
        .billing_mode_summary()
        .and_then(|b| b.billing_mode())
        .is_some_and(|m| *m == BillingMode::PayPerRequest);
    let billing = if on_demand {
        Billing::PayPerRequest
    } else {
        let t = table.provisioned_throughput();
        Billing::Provisioned {
            read: t.and_then(|t| t.read_capacity_units()).unwrap_or(0),
            write: t.and_then(|t| t.write_capacity_units()).unwrap_or(0),
        }
    };
    let ttl = client
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("dynamodb:DescribeTimeToLive", name, e))?;
    let ttl = ttl
        .time_to_live_description()
        .map(|d| {
            let attr = d.attribute_name().unwrap_or_default().to_string();
            match d.time_to_live_status() {
                Some(TimeToLiveStatus::Enabled) => LiveTtl::Enabled(attr),
                Some(TimeToLiveStatus::Enabling) => LiveTtl::Enabling(attr),
                Some(TimeToLiveStatus::Disabling) => LiveTtl::Disabling(attr),
                _ => LiveTtl::Disabled,
            }
        })
        .unwrap_or_default();
    Ok(Some(LiveTable {
        arn: table.table_arn().unwrap_or_default().to_string(),
        partition_key,
        sort_key,
        billing,
        ttl,
    }))
}

/// Creates a table and waits until it is active. A table that already exists
/// (a retried create) is waited for, not an error.
pub async fn create_table(client: &Client, spec: &TableSpec, stack: &str) -> Result<(), AwsError> {
    let op = "dynamodb:CreateTable";
    let mut keys = vec![(&spec.partition_key, KeyType::Hash)];
    if let Some(sk) = &spec.sort_key {
        keys.push((sk, KeyType::Range));
    }
    let mut req = client.create_table().table_name(&spec.name);
    for (attr, kt) in keys {
        req = req
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(&attr.name)
                    .attribute_type(attr_type(attr.kind))
                    .build()
                    .map_err(|e| AwsError::build(op, &spec.name, e))?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(&attr.name)
                    .key_type(kt)
                    .build()
                    .map_err(|e| AwsError::build(op, &spec.name, e))?,
            );
    }
    req = match spec.billing {
        Billing::PayPerRequest => req.billing_mode(BillingMode::PayPerRequest),
        Billing::Provisioned { read, write } => req.billing_mode(BillingMode::Provisioned).provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(read)
                .write_capacity_units(write)
                .build()
                .map_err(|e| AwsError::build(op, &spec.name, e))?,
        ),
    };
    req = req.tags(
        aws_sdk_dynamodb::types::Tag::builder()
            .key("bosun:stack")
            .value(stack)
            .build()
            .map_err(|e| AwsError::build(op, &spec.name, e))?,
    );
    match req.send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => {}
        Err(e) => return Err(AwsError::from_sdk(op, &spec.name, e)),
    }
    client
        .wait_until_table_exists()
        .table_name(&spec.name)
        .wait(Duration::from_secs(300))
        .await
        .map_err(|e| AwsError::waiter(op, &spec.name, e))?;
    Ok(())
}

/// Switches billing mode or provisioned capacity.
pub async fn update_billing(client: &Client, name: &str, billing: Billing) -> Result<(), AwsError> {
    let op = "dynamodb:UpdateTable";
    let req = client.update_table().table_name(name);
    let req = match billing {
        Billing::PayPerRequest => req.billing_mode(BillingMode::PayPerRequest),
        Billing::Provisioned { read, write } => req.billing_mode(BillingMode::Provisioned).provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(read)
                .write_capacity_units(write)
                .build()
                .map_err(|e| AwsError::build(op, name, e))?,
        ),
    };
    req.send().await.map_err(|e| {
        let mut err = AwsError::from_sdk(op, name, e);
        // The capacity-mode rules ("Considerations when switching capacity
        // modes"): provisioned → on-demand at most four times in a rolling
        // 24 hours; on-demand → provisioned at any time. DynamoDB answers a
        // switch past that (or a capacity change while the table is
        // updating) with LimitExceededException or ValidationException.
        if matches!(
            err.code.as_deref(),
            Some("LimitExceededException" | "ValidationException" | "ResourceInUseException")
        ) {
            err.help = Some(match billing {
                Billing::PayPerRequest => "DynamoDB allows switching a table to on-demand (pay-per-request) at most four times in 24 hours, and not while the table is updating; run the deploy again later, or keep billing = \"provisioned\" for now".into(),
                Billing::Provisioned { .. } => "the table may still be updating from an earlier change, or the capacity is outside the account's limits; run the deploy again later, or check the read/write capacity".into(),
            });
        }
        err
    })?;
    client
        .wait_until_table_exists()
        .table_name(name)
        .wait(Duration::from_secs(300))
        .await
        .map_err(|e| AwsError::waiter(op, name, e))?;
    Ok(())
}

/// Enables (`Some`) or disables (`None`, given the attribute it is on) TTL.
pub async fn set_ttl(client: &Client, name: &str, attribute: &str, enabled: bool) -> Result<(), AwsError> {
    let op = "dynamodb:UpdateTimeToLive";
    let spec = TimeToLiveSpecification::builder()
        .attribute_name(attribute)
        .enabled(enabled)
        .build()
        .map_err(|e| AwsError::build(op, name, e))?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(spec)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            let mut err = AwsError::from_sdk(op, name, e);
            // UpdateTimeToLive API reference: "Any additional UpdateTimeToLive
            // calls for the same table during this one hour duration result
            // in a ValidationException."
            if err.code.as_deref() == Some("ValidationException") {
                err.help = Some(
                    "DynamoDB allows one TTL change per table per hour; the last one may still be processing. Run the deploy again in an hour (nothing else is left half-done)".into(),
                );
            }
            err
        })
}
