//! Events: the create transaction (event, calendar entry, checklist),
//! reading an event with everything under it, the calendar's pages, cancel,
//! and the checklist's writes.

use super::*;

impl Store {
    /// Creates an event and its checklist in one transaction. Refused:
    /// `EventExists`, or `Changed`.
    pub async fn create_event(
        &self,
        e: &EventRecord,
        checklist: &[CheckItem],
        by: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let event = TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(&self.crew)
                    .item("pk", event_pk(&e.id))
                    .item("sk", s("META"))
                    .item("id", s(&e.id))
                    .item("date", s(&e.date))
                    .item("boat", s(&e.boat))
                    .item("kind", s(&e.kind))
                    .item("guests", n(e.guests))
                    .item("crew_slots", n(e.crew_slots))
                    .item("depart_offset_min", n(e.depart_offset_min))
                    .item("return_offset_min", n(e.return_offset_min))
                    .item("status", s(&e.status))
                    .item("booked_guests", n(0))
                    .item("created_by", s(by))
                    .item("created_at", n(now))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .expect("table, item set"),
            )
            .build();
        let mut items = vec![(event, Refusal::EventExists)];
        items.push((
            TransactWriteItem::builder()
                .put(self.calendar_put(&e.date, &e.id))
                .build(),
            Refusal::Changed,
        ));
        for c in checklist {
            items.push((
                TransactWriteItem::builder().put(self.check_put(&e.id, c)).build(),
                Refusal::Changed,
            ));
        }
        self.transact(items).await
    }

    fn check_put(&self, event: &str, c: &CheckItem) -> Put {
        let mut put = Put::builder()
            .table_name(&self.crew)
            .item("pk", event_pk(event))
            .item("sk", s(format!("CHECK#{}", c.id)))
            .item("id", s(&c.id))
            .item("label", s(&c.label))
            .item("hook", s(&c.hook))
            .item("offset_min", n(c.offset_min));
        if let Some(d) = &c.derived {
            put = put.item("derived", s(d));
        }
        put.condition_expression("attribute_not_exists(sk)")
            .build()
            .expect("table, item set")
    }

    /// Adds one checklist item to an existing, booked event. Refused:
    /// `EventNotOpen`, `CheckItemExists`.
    pub async fn add_check_item(&self, event: &str, c: &CheckItem) -> Result<(), StoreError> {
        self.transact(vec![
            (
                TransactWriteItem::builder()
                    .condition_check(self.event_booked(event))
                    .build(),
                Refusal::EventNotOpen,
            ),
            (
                TransactWriteItem::builder().put(self.check_put(event, c)).build(),
                Refusal::CheckItemExists,
            ),
        ])
        .await
    }

    /// The event and everything under it; None if there is no such event.
    pub async fn event(&self, id: &str) -> Result<Option<EventAll>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .db
                .query()
                .table_name(&self.crew)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", event_pk(id))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(other)?;
            items.extend(out.items().iter().cloned());
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        let Some(event) = items
            .iter()
            .find(|i| get_s(i, "sk").as_deref() == Some("META"))
            .and_then(parse_event)
        else {
            return Ok(None);
        };
        let mut all = EventAll {
            event,
            slots: HashMap::new(),
            checklist: Vec::new(),
            guests: Vec::new(),
        };
        for item in &items {
            let sk = get_s(item, "sk").unwrap_or_default();
            if let Some(slot) = sk.strip_prefix("SLOT#") {
                all.slots
                    .insert(slot.to_string(), get_s(item, "holder").unwrap_or_default());
            } else if sk.starts_with("CHECK#") {
                all.checklist.push(CheckItem {
                    id: get_s(item, "id").unwrap_or_default(),
                    label: get_s(item, "label").unwrap_or_default(),
                    hook: get_s(item, "hook").unwrap_or_default(),
                    offset_min: get_n(item, "offset_min").unwrap_or(0),
                    derived: get_s(item, "derived"),
                    done_by: get_s(item, "done_by"),
                    done_at: get_s(item, "done_at"),
                });
            } else if sk.starts_with("GUEST#") {
                all.guests.extend(parse_guest(item));
            }
        }
        Ok(Some(all))
    }

    fn calendar_put(&self, date: &str, id: &str) -> Put {
        Put::builder()
            .table_name(&self.crew)
            .item("pk", s(CALENDAR))
            .item("sk", s(format!("{date}#{id}")))
            .item("event", s(id))
            .build()
            .expect("table, item set")
    }

    /// One page of the calendar: events on or after `today` in date order
    /// (`upcoming`), or before it, newest first; at most `limit`, after the
    /// key `after` (`{date}#{id}`) when given. Returns the events (each with
    /// everything under it) and the key to continue after, if more may follow.
    pub async fn calendar_page(
        &self,
        upcoming: bool,
        today: &str,
        after: Option<&str>,
        limit: i32,
    ) -> Result<(Vec<EventAll>, Option<String>), StoreError> {
        self.index_calendar().await?;
        let condition = if upcoming {
            "pk = :p AND sk >= :today"
        } else {
            "pk = :p AND sk < :today"
        };
        let out = self
            .db
            .query()
            .table_name(&self.crew)
            .key_condition_expression(condition)
            .expression_attribute_values(":p", s(CALENDAR))
            .expression_attribute_values(":today", s(today))
            .scan_index_forward(upcoming)
            .limit(limit)
            .consistent_read(true)
            .set_exclusive_start_key(
                after.map(|a| HashMap::from([("pk".to_string(), s(CALENDAR)), ("sk".to_string(), s(a))])),
            )
            .send()
            .await
            .map_err(other)?;
        let ids: Vec<String> = out.items().iter().filter_map(|i| get_s(i, "event")).collect();
        let next = out.last_evaluated_key().and_then(|k| get_s(k, "sk"));
        let mut loads = tokio::task::JoinSet::new();
        for (i, id) in ids.into_iter().enumerate() {
            let store = self.clone();
            loads.spawn(async move { (i, store.event(&id).await) });
        }
        let mut events = Vec::new();
        while let Some(done) = loads.join_next().await {
            let (i, loaded) = done.map_err(|e| StoreError::Other(e.to_string()))?;
            if let Some(all) = loaded? {
                events.push((i, all));
            }
        }
        events.sort_by_key(|(i, _)| *i);
        Ok((events.into_iter().map(|(_, e)| e).collect(), next))
    }

    /// Adds the calendar items of events written before the calendar
    /// existed, once per table: one scan the first time a table is listed
    /// (then a marker item, and a flag in this process, so no request
    /// scans again). Safe to run twice at once: each write is idempotent.
    async fn index_calendar(&self) -> Result<(), StoreError> {
        use std::sync::atomic::Ordering;
        if self.indexed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let marker = self
            .db
            .get_item()
            .table_name(&self.crew)
            .key("pk", s(CALENDAR))
            .key("sk", s(INDEXED))
            .consistent_read(true)
            .send()
            .await
            .map_err(other)?;
        if marker.item().is_none() {
            for e in self.events().await? {
                self.db
                    .put_item()
                    .set_item(Some(self.calendar_put(&e.date, &e.id).item().clone()))
                    .table_name(&self.crew)
                    .send()
                    .await
                    .map_err(other)?;
            }
            self.db
                .put_item()
                .table_name(&self.crew)
                .item("pk", s(CALENDAR))
                .item("sk", s(INDEXED))
                .send()
                .await
                .map_err(other)?;
        }
        self.indexed.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Every event's record (a scan: the table holds one business's events).
    pub async fn events(&self) -> Result<Vec<EventRecord>, StoreError> {
        let items = self
            .scan(
                "sk = :meta AND begins_with(pk, :ev)",
                &[(":meta", "META"), (":ev", "EVENT#")],
            )
            .await?;
        let mut events: Vec<EventRecord> = items.iter().filter_map(parse_event).collect();
        events.sort_by(|a, b| (&a.date, &a.id).cmp(&(&b.date, &b.id)));
        Ok(events)
    }

    pub async fn cancel_event(&self, id: &str, by: &str, now: i64) -> Result<(), StoreError> {
        self.db
            .update_item()
            .table_name(&self.crew)
            .key("pk", event_pk(id))
            .key("sk", s("META"))
            .update_expression("SET #st = :cancelled, cancelled_by = :by, cancelled_at = :now")
            .condition_expression("#st = :booked")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":cancelled", s("cancelled"))
            .expression_attribute_values(":booked", s("booked"))
            .expression_attribute_values(":by", s(by))
            .expression_attribute_values(":now", n(now))
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

    /// Ticks (or unticks) a checklist item of a booked event.
    /// Refused: `EventNotOpen`, `NoSuchCheckItem`.
    pub async fn set_check(&self, event: &str, item: &str, done_by: Option<&str>, at: &str) -> Result<(), StoreError> {
        let mut update = Update::builder()
            .table_name(&self.crew)
            .key("pk", event_pk(event))
            .key("sk", s(format!("CHECK#{item}")))
            .condition_expression("attribute_exists(sk)");
        update = match done_by {
            Some(who) => update
                .update_expression("SET done_by = :who, done_at = :at")
                .expression_attribute_values(":who", s(who))
                .expression_attribute_values(":at", s(at)),
            None => update.update_expression("REMOVE done_by, done_at"),
        };
        self.transact(vec![
            (
                TransactWriteItem::builder()
                    .condition_check(self.event_booked(event))
                    .build(),
                Refusal::EventNotOpen,
            ),
            (
                TransactWriteItem::builder()
                    .update(update.build().expect("table, key, expression set"))
                    .build(),
                Refusal::NoSuchCheckItem,
            ),
        ])
        .await
    }
}
