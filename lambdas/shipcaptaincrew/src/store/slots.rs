//! Slots: a claim (slot free, one slot per person, event booked, role
//! still fits: one transaction) and its release.

use super::*;

impl Store {
    /// Claims `slot` for `email`: the slot must be free, `email` must hold no
    /// other slot on the event and the event must be booked — all in one
    /// transaction. With `roles` (members; not SCC_ADMINS addresses) the
    /// member must still have one of them, and their `slot_version` is
    /// bumped. Refused: `SlotTaken`, `AlreadyHolding`, `EventNotOpen`, `RoleChanged`.
    pub async fn claim_slot(
        &self,
        event: &str,
        slot: &str,
        email: &str,
        roles: Option<&[Role]>,
        now: i64,
    ) -> Result<(), StoreError> {
        let put = |sk: String| {
            Put::builder()
                .table_name(&self.crew)
                .item("pk", event_pk(event))
                .item("sk", s(sk))
                .item("holder", s(email))
                .item("slot", s(slot))
                .item("claimed_at", n(now))
                .condition_expression("attribute_not_exists(sk)")
                .build()
                .expect("table, item set")
        };
        let mut items = vec![
            (
                TransactWriteItem::builder().put(put(format!("SLOT#{slot}"))).build(),
                Refusal::SlotTaken,
            ),
            (
                TransactWriteItem::builder().put(put(format!("HOLDER#{email}"))).build(),
                Refusal::AlreadyHolding,
            ),
            (
                TransactWriteItem::builder()
                    .condition_check(self.event_booked(event))
                    .build(),
                Refusal::EventNotOpen,
            ),
        ];
        if let Some(roles) = roles {
            let mut update = Update::builder()
                .table_name(&self.crew)
                .key("pk", member_pk(email))
                .key("sk", s("META"))
                .update_expression("ADD slot_version :one")
                .expression_attribute_names("#role", "role")
                .expression_attribute_values(":one", n(1));
            let mut names = Vec::new();
            for (i, r) in roles.iter().enumerate() {
                names.push(format!(":r{i}"));
                update = update.expression_attribute_values(format!(":r{i}"), s(r.as_str()));
            }
            update = update.condition_expression(format!("#role IN ({})", names.join(", ")));
            items.push((
                TransactWriteItem::builder()
                    .update(update.build().expect("table, key, expression set"))
                    .build(),
                Refusal::RoleChanged,
            ));
        }
        self.transact(items).await
    }

    /// Releases `slot` held by `holder` (the caller checked who may).
    /// Refused: `Changed` (it is no longer theirs).
    pub async fn release_slot(&self, event: &str, slot: &str, holder: &str) -> Result<(), StoreError> {
        self.transact(self.release_items(event, slot, holder).into()).await
    }

    /// The two deletes that free `slot` of `event` from `holder` (the slot
    /// and the one-slot-per-person marker), each only if `holder` still holds it.
    pub(super) fn release_items(&self, event: &str, slot: &str, holder: &str) -> [(TransactWriteItem, Refusal); 2] {
        let del = |sk: String| {
            let delete = Delete::builder()
                .table_name(&self.crew)
                .key("pk", event_pk(event))
                .key("sk", s(sk))
                .condition_expression("holder = :h")
                .expression_attribute_values(":h", s(holder))
                .build()
                .expect("table, key set");
            (TransactWriteItem::builder().delete(delete).build(), Refusal::Changed)
        };
        [del(format!("SLOT#{slot}")), del(format!("HOLDER#{holder}"))]
    }
}
