//! Rate-limit counters (in the invites table, `rate#…` keys): a sliding
//! window made of two fixed ones.

use super::*;

impl Store {
    /// Counts one hit on `key` against `limit` per sliding `window`: the
    /// hits of the current fixed window plus the previous window's, weighted
    /// by how much of it still lies within `window` of now (so a new window
    /// does not hand out a fresh quota at once). Returns the seconds to wait
    /// when the limit is reached.
    pub async fn rate_hit(&self, key: &str, window: i64, limit: i64, now: i64) -> Result<Option<i64>, StoreError> {
        let start = now - now.rem_euclid(window);
        let end = start + window;
        let previous = self
            .db
            .get_item()
            .table_name(&self.invites)
            .key("code_hash", s(format!("rate#{key}#{}", start - window)))
            .consistent_read(true)
            .send()
            .await
            .map_err(other)?
            .item()
            .and_then(|i| get_n(i, "hits"))
            .unwrap_or(0);
        // The previous window's hits still inside the sliding window, rounded up.
        let carried = (previous * (end - now) + window - 1) / window;
        let allowance = limit - carried;
        if allowance <= 0 {
            // Wait until enough of the previous window has slid out.
            let wait = (end - now) - (limit - 1) * window / previous.max(1);
            return Ok(Some(wait.clamp(1, window)));
        }
        let r = self
            .db
            .update_item()
            .table_name(&self.invites)
            .key("code_hash", s(format!("rate#{key}#{start}")))
            .update_expression("ADD hits :one SET expires_at = :exp")
            .condition_expression("attribute_not_exists(hits) OR hits < :limit")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", n(end + window + 60))
            .expression_attribute_values(":limit", n(allowance))
            .send()
            .await;
        match r {
            Ok(_) => Ok(None),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(Some(end - now))
            }
            Err(e) => Err(other(e)),
        }
    }
}
