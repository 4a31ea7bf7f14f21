//! Sails: the bounded list, timing and the shape exec-reports reads, admin
//! routes refused to members, and a sail closed after it is over.

use super::*;

/// The sail list is read a page at a time from the calendar partition, not
/// by scanning the table: 25 upcoming sails a page, soonest first, with a
/// cursor to the next; past sails apart, newest first. Events written
/// before the calendar existed (an older version of the app) are added to
/// it the first time the list is read.
#[tokio::test]
async fn the_sail_list_comes_a_bounded_page_at_a_time() {
    let c = Crew::new().await;
    // An event as the version before the calendar wrote it: META only.
    dynamodb()
        .await
        .put_item()
        .table_name(&c.env["BOSUN_TABLE_CREW"])
        .item(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S("EVENT#older0event".into()),
        )
        .item("sk", aws_sdk_dynamodb::types::AttributeValue::S("META".into()))
        .item("id", aws_sdk_dynamodb::types::AttributeValue::S("older0event".into()))
        .item("date", aws_sdk_dynamodb::types::AttributeValue::S(next_year("01-01")))
        .item("boat", aws_sdk_dynamodb::types::AttributeValue::S("B".into()))
        .item("kind", aws_sdk_dynamodb::types::AttributeValue::S("sunset sail".into()))
        .item("guests", aws_sdk_dynamodb::types::AttributeValue::N("2".into()))
        .item("crew_slots", aws_sdk_dynamodb::types::AttributeValue::N("1".into()))
        .item("status", aws_sdk_dynamodb::types::AttributeValue::S("booked".into()))
        .item("booked_guests", aws_sdk_dynamodb::types::AttributeValue::N("0".into()))
        .send()
        .await
        .unwrap();
    let mut dates = vec![next_year("01-01")];
    for day in 1..=29 {
        let date = format!("{}-03-{day:02}", jiff::Zoned::now().year() + 1);
        c.event(&date).await;
        dates.push(date);
    }
    c.call(
        Method::POST,
        "/api/invites",
        Some(&c.admin()),
        Some(json!({"email": "deck@example.com", "role": "crew"})),
    )
    .await;
    let crew = c.token("deck@example.com", shipcaptaincrew::auth::Role::Crew);
    let listed = |v: &Value| -> Vec<String> {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["date"].as_str().unwrap().to_string())
            .collect()
    };
    let (s, first) = c.call(Method::GET, "/api/events", Some(&crew), None).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(
        listed(&first),
        dates[..25].to_vec(),
        "the first 25, soonest first (the older event included)"
    );
    assert_eq!(
        first["events"][1]["slots"].as_array().unwrap().len(),
        3,
        "with their slots (captain, 2 crew)"
    );
    let next = first["next"].as_str().expect("a cursor to the next page").to_string();
    let (s, second) = c
        .call(
            Method::GET,
            &format!("/api/events?when=upcoming&after={next}"),
            Some(&crew),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{second}");
    assert_eq!(listed(&second), dates[25..].to_vec());
    assert!(second["next"].is_null(), "the last page: {second}");
    // Nothing is past yet; two years on, everything is, newest first.
    let (_, past) = c.call(Method::GET, "/api/events?when=past", Some(&crew), None).await;
    assert!(listed(&past).is_empty(), "{past}");
    c.app.clock.advance(2 * 366 * 86_400);
    let later = c.token("deck@example.com", shipcaptaincrew::auth::Role::Crew);
    let (_, past) = c.call(Method::GET, "/api/events?when=past", Some(&later), None).await;
    let mut newest_first = dates.clone();
    newest_first.reverse();
    assert_eq!(listed(&past), newest_first[..25].to_vec());
    // Bad queries are 400s that say what is wrong.
    for q in ["when=soon", "after=../../x", "after=2027-01-01_UPPER", "limit=1000"] {
        let (s, b) = c
            .call(Method::GET, &format!("/api/events?{q}"), Some(&later), None)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {b}");
    }
}

#[tokio::test]
async fn admin_routes_refuse_members() {
    let c = Crew::new().await;
    let crew = c.member("crew1@example.com", "crew").await;
    let captain = c.member("cap1@example.com", "captain").await;
    let e = c.event(&next_year("07-04")).await;
    let id = e["id"].as_str().unwrap();
    let routes = [
        (
            "/api/events".to_string(),
            json!({"date": next_year("07-05"), "boat": "B", "kind": "k", "guests": 1}),
        ),
        (
            "/api/invites".to_string(),
            json!({"email": "x@example.com", "role": "admin"}),
        ),
        (format!("/api/events/{id}/cancel"), json!(null)),
        (
            format!("/api/events/{id}/checklist"),
            json!({"label": "l", "hook": "return", "offset_min": 5}),
        ),
        (
            format!("/api/events/{id}/guests"),
            json!({"name": "G", "email": "g@example.com"}),
        ),
        (format!("/api/events/{id}/guests/abc/cancel"), json!(null)),
    ];
    for (path, body) in routes {
        for t in [&crew, &captain] {
            let (s, b) = c
                .call(Method::POST, &path, Some(t), (!body.is_null()).then(|| body.clone()))
                .await;
            assert_eq!(
                (s, b["error"].clone()),
                (StatusCode::FORBIDDEN, json!("forbidden")),
                "{path}"
            );
        }
    }
    // Nothing changed: the event is still booked with no guests.
    let (_, e) = c
        .call(Method::GET, &format!("/api/events/{id}"), Some(&crew), None)
        .await;
    assert_eq!(
        (e["status"].clone(), e["guests_list"].clone()),
        (json!("booked"), json!([]))
    );
}

#[tokio::test]
async fn events_carry_their_timing_and_the_shape_reports_read() {
    let c = Crew::new().await;
    let admin = c.admin();
    let date = next_year("07-04");
    let e = c.event(&date).await;
    let t = &e["timing"];
    assert_eq!(t["timezone"], "America/Los_Angeles");
    let at = |k: &str| t[k].as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    assert_eq!(at("sunset").as_second() - at("departure").as_second(), 90 * 60);
    assert_eq!(at("return").as_second() - at("sunset").as_second(), 30 * 60);
    assert!(t["sunset"].as_str().unwrap().ends_with("-07:00"), "summer is PDT: {t}");
    let sunset_local = t["local"]["sunset"].as_str().unwrap();
    assert!(
        ("19:55".."20:05").contains(&sunset_local),
        "San Diego sunsets near 20:00 on 4 July: {t}"
    );
    // Checklist deadlines hang off departure and return.
    let first = &e["checklist"][0];
    assert_eq!(
        (first["hook"].clone(), first["offset_min"].clone()),
        (json!("departure"), json!(-60))
    );
    let due = first["due"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    assert_eq!(at("departure").as_second() - due.as_second(), 3600);
    let last = e["checklist"].as_array().unwrap().last().unwrap();
    assert_eq!(last["hook"], "return");
    // Offsets per event; a winter event is in PST.
    let (s, w) = c
        .call(Method::POST, "/api/events", Some(&admin), Some(json!({"date": next_year("12-20"), "boat": "B", "kind": "whale watch", "guests": 4, "depart_offset_min": -120, "return_offset_min": -10, "crew_slots": 3})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    assert!(w["timing"]["departure"].as_str().unwrap().ends_with("-08:00"));
    assert_eq!(w["slots"].as_array().unwrap().len(), 4);
    // Listed in date order.
    let (_, list) = c.call(Method::GET, "/api/events", Some(&admin), None).await;
    let dates: Vec<&str> = list["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, vec![date.as_str(), w["date"].as_str().unwrap()]);
    // The item exec-reports counts: pk EVENT#…, sk META, date, status booked.
    let item = dynamodb()
        .await
        .get_item()
        .table_name(&c.env["BOSUN_TABLE_CREW"])
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("EVENT#{}", e["id"].as_str().unwrap())),
        )
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("META".into()))
        .send()
        .await
        .unwrap();
    let item = item.item().unwrap();
    assert_eq!(item["date"].as_s().unwrap(), &date);
    assert_eq!(item["status"].as_s().unwrap(), "booked");
    // Bad input: each a 400 naming the field.
    for (body, word) in [
        (
            json!({"date": "2027-02-30", "boat": "B", "kind": "k", "guests": 1}),
            "date",
        ),
        (
            json!({"date": "2001-01-01", "boat": "B", "kind": "k", "guests": 1}),
            "past",
        ),
        (
            json!({"date": next_year("08-01"), "boat": "", "kind": "k", "guests": 1}),
            "boat",
        ),
        (
            json!({"date": next_year("08-01"), "boat": "B", "kind": "k", "guests": 0}),
            "guests",
        ),
        (
            json!({"date": next_year("08-01"), "boat": "B", "kind": "k", "guests": 1, "depart_offset_min": 30, "return_offset_min": -30}),
            "departure",
        ),
        (
            json!({"date": next_year("08-01"), "boat": "B", "kind": "k", "guests": 1, "captain": "x"}),
            "captain",
        ),
    ] {
        let (s, b) = c.call(Method::POST, "/api/events", Some(&admin), Some(body)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
        assert!(b["message"].as_str().unwrap().contains(word), "{word}: {b}");
    }
    assert_eq!(
        c.call(Method::GET, "/api/events/nosuch", Some(&admin), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.call(Method::GET, "/api/events/abcdefghij", Some(&admin), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (s, b) = c.call(Method::GET, "/api/events/%FF", Some(&admin), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["error"], "bad_request", "path errors are JSON too");
    // A create retried with the same Idempotency-Key makes one event.
    let body = json!({"date": next_year("09-09"), "boat": "B", "kind": "k", "guests": 1}).to_string();
    let post = || {
        Request::post("/api/events")
            .header("x-session-token", &admin)
            .header("idempotency-key", "form-7f3a9c21")
            .header("content-type", "application/json")
            .body(Body::from(body.clone()))
            .unwrap()
    };
    let (s1, first, _) = c.send(post()).await;
    let (s2, second, _) = c.send(post()).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::OK), "{first} {second}");
    assert_eq!(first["id"], second["id"]);
    // The same key with a different body is refused, never answered with
    // the first event.
    let other = json!({"date": next_year("09-10"), "boat": "B", "kind": "k", "guests": 1}).to_string();
    let reused = Request::post("/api/events")
        .header("x-session-token", &admin)
        .header("idempotency-key", "form-7f3a9c21")
        .header("content-type", "application/json")
        .body(Body::from(other))
        .unwrap();
    let (s, b, _) = c.send(reused).await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("idempotency_key_reused")),
        "{b}"
    );
    let (_, list) = c.call(Method::GET, "/api/events", Some(&admin), None).await;
    let same_day = list["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["date"] == first["date"])
        .count();
    assert_eq!(same_day, 1);
    // Cancel: booked → cancelled, once.
    let path = format!("/api/events/{}/cancel", e["id"].as_str().unwrap());
    let (s, b) = c.call(Method::POST, &path, Some(&admin), None).await;
    assert_eq!((s, b["status"].clone()), (StatusCode::OK, json!("cancelled")));
    let (s, b) = c.call(Method::POST, &path, Some(&admin), None).await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::CONFLICT, json!("invalid_transition"))
    );
}

#[tokio::test]
async fn after_the_sail_nothing_changes_and_waiver_links_expire() {
    let c = Crew::new().await;
    let admin = c.admin();
    let crew = c.member("hand@example.com", "crew").await;
    let e = c.event(&next_year("06-21")).await;
    let id = e["id"].as_str().unwrap().to_string();
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/guests"),
            Some(&admin),
            Some(json!({"name": "Late Guest", "email": "late.guest@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let url = b["waiver_url"].as_str().unwrap().to_string();
    let parts: Vec<String> = url
        .rsplit('#')
        .next()
        .unwrap()
        .trim_start_matches('/')
        .split('/')
        .map(String::from)
        .collect();
    let (gid, token) = (parts[1].clone(), parts[2].clone());
    let (s, _) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/slots/crew-1/claim"),
            Some(&crew),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // Past the return time plus the grace period (the sail is next year).
    c.app.clock.advance(400 * 24 * 3600);
    let over = |s: StatusCode, b: &Value| {
        assert_eq!(
            (s, b["error"].clone()),
            (StatusCode::CONFLICT, json!("event_over")),
            "{b}"
        );
    };
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/slots/crew-2/claim"),
            Some(&admin),
            None,
        )
        .await;
    over(s, &b);
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/slots/captain/assign"),
            Some(&admin),
            Some(json!({"email": ADMIN})),
        )
        .await;
    over(s, &b);
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/checklist/01/check"),
            Some(&crew),
            Some(json!({"done": true})),
        )
        .await;
    over(s, &b);
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/guests"),
            Some(&admin),
            Some(json!({"name": "Too Late", "email": "too.late@example.com"})),
        )
        .await;
    over(s, &b);
    // What sailed stays on record: no slot released, no guest or sail cancelled.
    for (path, who) in [
        (format!("/api/events/{id}/slots/crew-1/release"), &crew),
        (format!("/api/events/{id}/slots/crew-1/release"), &admin),
        (format!("/api/events/{id}/guests/{gid}/cancel"), &admin),
        (format!("/api/events/{id}/cancel"), &admin),
    ] {
        let (s, b) = c.call(Method::POST, &path, Some(who), None).await;
        over(s, &b);
    }
    // The guest's link expired with the sail: reading or signing is "not found".
    let waiver = format!("/api/events/{id}/guests/{gid}/waiver");
    let (s, _, _) = guest_call_at(&c, &waiver, &token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let sign = Request::post(&waiver)
        .header("x-guest-token", token.as_str())
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"signed_name": "Late Guest", "accept": true}).to_string(),
        ))
        .unwrap();
    assert_eq!(c.send(sign).await.0, StatusCode::NOT_FOUND);
    // Reading the event still works (it is history now).
    let (s, ev) = c
        .call(Method::GET, &format!("/api/events/{id}"), Some(&admin), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(slot_holder(&ev, "crew-1"), "hand@example.com");
}
