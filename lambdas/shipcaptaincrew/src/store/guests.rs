//! Guests: a booking (place free, one active booking per address) and the
//! booking's state changes, each a conditional transaction.

use super::*;

impl Store {
    /// Books a guest (on hold) if the event is booked and has room: the
    /// counter on the event and the guest item change together.
    /// Refused: `FullOrNotOpen`, `AlreadyBooked`, or `Changed` (the new
    /// guest id was taken).
    pub async fn add_guest(&self, event: &str, g: &Guest, capacity: i64, now: i64) -> Result<(), StoreError> {
        let counter = Update::builder()
            .table_name(&self.crew)
            .key("pk", event_pk(event))
            .key("sk", s("META"))
            .update_expression("ADD booked_guests :one")
            .condition_expression("#st = :booked AND (attribute_not_exists(booked_guests) OR booked_guests < :cap)")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":booked", s("booked"))
            .expression_attribute_values(":cap", n(capacity))
            .build()
            .expect("table, key, expression set");
        let put = Put::builder()
            .table_name(&self.crew)
            .item("pk", event_pk(event))
            .item("sk", s(format!("GUEST#{}", g.id)))
            .item("id", s(&g.id))
            .item("name", s(&g.name))
            .item("email", s(&g.email))
            .item("state", s(g.state.as_str()))
            .item("token_hash", s(&g.token_hash))
            .item("addr", s(&g.addr))
            .item("created_at", n(now))
            // A new booking never overwrites another: a rebooking after a
            // cancel is a new item, and the old one keeps its waiver.
            .condition_expression("attribute_not_exists(sk)")
            .build()
            .expect("table, item set");
        // One active booking per address per event: the address's lookup
        // item names it, and may be taken again once that booking is cancelled.
        let lookup = Put::builder()
            .table_name(&self.crew)
            .item("pk", event_pk(event))
            .item("sk", s(format!("GUESTADDR#{}", g.addr)))
            .item("guest", s(&g.id))
            .item("active", AttributeValue::Bool(true))
            .condition_expression("attribute_not_exists(sk) OR active = :no")
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .build()
            .expect("table, item set");
        self.transact(vec![
            (
                TransactWriteItem::builder().update(counter).build(),
                Refusal::FullOrNotOpen,
            ),
            (TransactWriteItem::builder().put(put).build(), Refusal::Changed),
            (TransactWriteItem::builder().put(lookup).build(), Refusal::AlreadyBooked),
        ])
        .await
    }

    pub async fn guest(&self, event: &str, guest: &str) -> Result<Option<Guest>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.crew)
            .key("pk", event_pk(event))
            .key("sk", s(format!("GUEST#{guest}")))
            .consistent_read(true)
            .send()
            .await
            .map_err(other)?;
        Ok(out.item().and_then(parse_guest))
    }

    /// Moves a guest by `action`, only from a state the transition table
    /// allows (and, for waivers, only with the right token and while the
    /// event is booked). Cancelling frees the guest's place on the event.
    /// Refused: `GuestState`, `EventNotOpen` (waivers), or `Changed`.
    pub async fn transition_guest(
        &self,
        event: &str,
        guest: &str,
        action: GuestAction,
        token_hash: Option<&str>,
        extra: &[(&str, String)],
    ) -> Result<GuestState, StoreError> {
        let sources = GuestState::sources(action);
        let to = sources[0].next(action).expect("sources allow the action");
        let mut names = vec![];
        let placeholders: Vec<String> = (0..sources.len()).map(|i| format!(":from{i}")).collect();
        let mut condition = format!("#state IN ({})", placeholders.join(", "));
        let mut set = vec!["#state = :to".to_string()];
        let mut update = Update::builder()
            .table_name(&self.crew)
            .key("pk", event_pk(event))
            .key("sk", s(format!("GUEST#{guest}")))
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":to", s(to.as_str()));
        for (p, from) in placeholders.iter().zip(&sources) {
            update = update.expression_attribute_values(p, s(from.as_str()));
        }
        if let Some(h) = token_hash {
            condition.push_str(" AND token_hash = :th");
            update = update.expression_attribute_values(":th", s(h));
        }
        for (i, (k, v)) in extra.iter().enumerate() {
            set.push(format!("#x{i} = :x{i}"));
            names.push((format!("#x{i}"), k.to_string()));
            update = update.expression_attribute_values(format!(":x{i}"), s(v.clone()));
        }
        for (p, k) in names {
            update = update.expression_attribute_names(p, k);
        }
        let update = update
            .update_expression(format!("SET {}", set.join(", ")))
            .condition_expression(condition)
            .build()
            .expect("table, key, expression set");
        let mut items = vec![(TransactWriteItem::builder().update(update).build(), Refusal::GuestState)];
        if action == GuestAction::SignWaiver {
            items.push((
                TransactWriteItem::builder()
                    .condition_check(self.event_booked(event))
                    .build(),
                Refusal::EventNotOpen,
            ));
        }
        if to == GuestState::Cancelled {
            // The address may be booked again: its lookup stops naming this booking.
            if let Some(addr) = self
                .guest(event, guest)
                .await?
                .map(|g| g.addr)
                .filter(|a| !a.is_empty())
            {
                let release = Update::builder()
                    .table_name(&self.crew)
                    .key("pk", event_pk(event))
                    .key("sk", s(format!("GUESTADDR#{addr}")))
                    .update_expression("SET active = :no")
                    .condition_expression("guest = :g")
                    .expression_attribute_values(":no", AttributeValue::Bool(false))
                    .expression_attribute_values(":g", s(guest))
                    .build()
                    .expect("table, key, expression set");
                items.push((TransactWriteItem::builder().update(release).build(), Refusal::Changed));
            }
            let counter = Update::builder()
                .table_name(&self.crew)
                .key("pk", event_pk(event))
                .key("sk", s("META"))
                .update_expression("ADD booked_guests :minus")
                .expression_attribute_values(":minus", n(-1))
                .build()
                .expect("table, key, expression set");
            items.push((TransactWriteItem::builder().update(counter).build(), Refusal::Changed));
        }
        self.transact(items).await?;
        Ok(to)
    }
}
