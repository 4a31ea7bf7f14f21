//! Invalidations: created (waiting out a busy distribution), listed, waited for.

use super::*;

/// Creates an invalidation; returns its id.
pub async fn invalidate(
    client: &Client,
    distribution: &str,
    paths: &[String],
    caller_reference: &str,
) -> Result<String, AwsError> {
    let op = "cloudfront:CreateInvalidation";
    let batch = InvalidationBatch::builder()
        .caller_reference(caller_reference)
        .paths(
            Paths::builder()
                .quantity(paths.len() as i32)
                .set_items(Some(paths.to_vec()))
                .build()
                .map_err(|e| AwsError::build(op, distribution, e))?,
        )
        .build()
        .map_err(|e| AwsError::build(op, distribution, e))?;
    let mut attempt = 1;
    let out = loop {
        match client
            .create_invalidation()
            .distribution_id(distribution)
            .invalidation_batch(batch.clone())
            .send()
            .await
        {
            Ok(out) => break out,
            // Too many invalidations in progress on the distribution (15
            // wildcard or 3,000 file paths): wait for those to complete,
            // then try again. The same CallerReference keeps the retry from
            // creating a second invalidation.
            Err(e)
                if attempt < BUSY_ATTEMPTS
                    && e.as_service_error()
                        .is_some_and(|s| s.is_too_many_invalidations_in_progress()) =>
            {
                let running = in_progress(client, distribution).await?;
                tracing::info!(
                    distribution,
                    attempt,
                    running = running.len(),
                    "too many invalidations in progress; waiting for them to complete"
                );
                for id in &running {
                    wait_invalidation(client, distribution, id).await?;
                }
                attempt += 1;
            }
            Err(e) => {
                let mut err = AwsError::from_sdk(op, distribution, e);
                if err.code.as_deref() == Some("TooManyInvalidationsInProgress") {
                    err.help = Some("the distribution still has too many invalidations in progress; run the deploy again once they have completed (the same invalidation is not created twice)".into());
                }
                return Err(err);
            }
        }
    };
    out.invalidation()
        .map(|i| i.id().to_string())
        .ok_or_else(|| AwsError::missing(op, distribution, "Invalidation"))
}

const BUSY_ATTEMPTS: u32 = 4;

/// The ids of the distribution's invalidations still in progress.
pub async fn in_progress(client: &Client, distribution: &str) -> Result<Vec<String>, AwsError> {
    let mut ids = Vec::new();
    let mut pages = client
        .list_invalidations()
        .distribution_id(distribution)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("cloudfront:ListInvalidations", distribution, e))?;
        if let Some(list) = page.invalidation_list() {
            ids.extend(
                list.items()
                    .iter()
                    .filter(|i| i.status() != "Completed")
                    .map(|i| i.id().to_string()),
            );
        }
    }
    Ok(ids)
}

pub async fn wait_invalidation(client: &Client, distribution: &str, id: &str) -> Result<(), AwsError> {
    client
        .wait_until_invalidation_completed()
        .distribution_id(distribution)
        .id(id)
        .wait(Duration::from_secs(1200))
        .await
        .map(|_| ())
        .map_err(|e| AwsError::waiter("cloudfront:wait-invalidation-completed", distribution, e))
}
