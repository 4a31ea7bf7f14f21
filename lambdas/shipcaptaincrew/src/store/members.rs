//! Members (role, sessions, slot version), the role-change transaction,
//! and sign-in codes (stored hashed; used once, by a conditional delete).

use super::*;

impl Store {
    /// The member record (one consistent read: the role and the token
    /// cut-off come together).
    pub async fn member(&self, email: &str) -> Result<Option<Member>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.crew)
            .key("pk", member_pk(email))
            .key("sk", s("META"))
            .consistent_read(true)
            .send()
            .await
            .map_err(other)?;
        Ok(out.item().and_then(parse_member))
    }

    pub async fn member_role(&self, email: &str) -> Result<Option<Role>, StoreError> {
        Ok(self.member(email).await?.and_then(|m| m.role))
    }

    /// Makes `email` a member with `role`. An update, not a put: the token
    /// cut-off of a removed member survives their re-invitation.
    pub async fn put_member(&self, email: &str, role: Role, by: &str, now: i64) -> Result<(), StoreError> {
        self.db
            .update_item()
            .table_name(&self.crew)
            .key("pk", member_pk(email))
            .key("sk", s("META"))
            .update_expression("SET email = :e, #role = :r, invited_by = :by, updated_at = :now")
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":e", s(email))
            .expression_attribute_values(":r", s(role.as_str()))
            .expression_attribute_values(":by", s(by))
            .expression_attribute_values(":now", n(now))
            .send()
            .await
            .map_err(other)?;
        Ok(())
    }

    /// Every member record, removed ones included (a scan: one business's members).
    pub async fn members(&self) -> Result<Vec<Member>, StoreError> {
        let items = self
            .scan(
                "sk = :meta AND begins_with(pk, :p)",
                &[(":meta", "META"), (":p", "MEMBER#")],
            )
            .await?;
        let mut members: Vec<Member> = items.iter().filter_map(parse_member).collect();
        members.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(members)
    }

    /// Every slot holding on every event: (event id, slot, holder).
    pub async fn holdings(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        let items = self.scan("begins_with(sk, :h)", &[(":h", "HOLDER#")]).await?;
        Ok(items
            .iter()
            .filter_map(|i| {
                let event = get_s(i, "pk")?.strip_prefix("EVENT#")?.to_string();
                Some((event, get_s(i, "slot")?, get_s(i, "holder")?))
            })
            .collect())
    }

    /// Records a sign-in (the roster's "last sign-in").
    pub async fn record_sign_in(&self, email: &str, now: i64) -> Result<(), StoreError> {
        self.set_member_time(email, "last_sign_in", now).await
    }

    /// Refuses every session issued so far: `tokens_valid_after` moves past now.
    pub async fn revoke_sessions(&self, email: &str, now: i64) -> Result<(), StoreError> {
        self.set_member_time(email, "tokens_valid_after", now + 1).await
    }

    async fn set_member_time(&self, email: &str, attribute: &str, at: i64) -> Result<(), StoreError> {
        self.db
            .update_item()
            .table_name(&self.crew)
            .key("pk", member_pk(email))
            .key("sk", s("META"))
            .update_expression("SET #a = :at")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_values(":at", n(at))
            .send()
            .await
            .map_err(other)?;
        Ok(())
    }

    /// Changes a member's role (`Some`) or removes them (`None`), and
    /// releases `release` (event id, slot) — their slots that no longer fit —
    /// in one transaction. It holds only if the member still exists and has
    /// claimed nothing since `seen` (their `slot_version` when the slots
    /// were read). A removal also ends every session.
    /// Refused: `MemberChanged`, or `Changed` (a slot moved).
    pub async fn change_member(
        &self,
        email: &str,
        role: Option<Role>,
        seen: i64,
        release: &[(String, String)],
        now: i64,
    ) -> Result<(), StoreError> {
        let update = Update::builder()
            .table_name(&self.crew)
            .key("pk", member_pk(email))
            .key("sk", s("META"))
            .condition_expression("attribute_exists(#role) AND (slot_version = :seen OR (attribute_not_exists(slot_version) AND :seen = :zero))")
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":seen", n(seen))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":now", n(now));
        let update = match role {
            Some(r) => update
                .update_expression("SET #role = :r, updated_at = :now")
                .expression_attribute_values(":r", s(r.as_str())),
            None => update
                .update_expression("REMOVE #role SET removed_at = :now, tokens_valid_after = :after")
                .expression_attribute_values(":after", n(now + 1)),
        };
        let mut items = vec![(
            TransactWriteItem::builder()
                .update(update.build().expect("table, key, expression set"))
                .build(),
            Refusal::MemberChanged,
        )];
        for (event, slot) in release {
            items.extend(self.release_items(event, slot, email));
        }
        if items.len() > 100 {
            return Err(StoreError::Other(format!(
                "{email} holds {} slots; a transaction releases at most 49",
                release.len()
            )));
        }
        self.transact(items).await
    }

    /// Stores a new invite code (by hash). Never overwrites one.
    pub async fn put_invite(&self, hash: &str, email: &str, role: Role, now: i64, ttl: i64) -> Result<(), StoreError> {
        self.db
            .put_item()
            .table_name(&self.invites)
            .item("code_hash", s(hash))
            .item("email", s(email))
            .item("role", s(role.as_str()))
            .item("created_at", n(now))
            .item("expires_at", n(now + ttl))
            .condition_expression("attribute_not_exists(code_hash)")
            .send()
            .await
            .map_err(|e| {
                match e
                    .as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception())
                {
                    true => StoreError::Condition,
                    false => other(e),
                }
            })?;
        Ok(())
    }

    /// Consumes an invite code: one conditional write that succeeds only if
    /// the code exists, is unused and has not expired at `now`. Returns the
    /// address and role it was issued for.
    /// Who an unused, unexpired code is for, without using it up (the
    /// page asks before it signs in).
    pub async fn peek_invite(&self, hash: &str, now: i64) -> Result<Option<(String, Role)>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.invites)
            .key("code_hash", s(hash))
            .consistent_read(true)
            .send()
            .await
            .map_err(other)?;
        Ok(out
            .item()
            .filter(|i| !i.contains_key("used_at") && get_n(i, "expires_at").is_some_and(|e| e > now))
            .and_then(|i| get_s(i, "email").zip(get_s(i, "role").and_then(|r| Role::parse(&r)))))
    }

    /// Uses a sign-in code once: its address, its role and when it was sent.
    pub async fn consume_invite(&self, hash: &str, now: i64) -> Result<Option<(String, Role, i64)>, StoreError> {
        let r = self
            .db
            .update_item()
            .table_name(&self.invites)
            .key("code_hash", s(hash))
            .update_expression("SET used_at = :now")
            .condition_expression(
                "attribute_exists(code_hash) AND attribute_exists(email) AND attribute_not_exists(used_at) AND expires_at > :now",
            )
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match r {
            Ok(out) => {
                let item = out.attributes().cloned().unwrap_or_default();
                let sent = get_n(&item, "created_at").unwrap_or(0);
                Ok(get_s(&item, "email")
                    .zip(get_s(&item, "role").and_then(|r| Role::parse(&r)))
                    .map(|(email, role)| (email, role, sent)))
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(other(e)),
        }
    }
}
