//! Guests: on hold until the waiver is signed; random ids and rebookings.

use super::*;

#[tokio::test]
async fn guests_stay_on_hold_until_their_waiver_is_signed() {
    let c = Crew::new().await;
    let admin = c.admin();
    let e = c.event(&next_year("08-15")).await;
    let id = e["id"].as_str().unwrap();
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/guests"),
            Some(&admin),
            Some(json!({"name": "Pat Guest", "email": "pat@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["guest"]["state"], "on_hold");
    let url = b["waiver_url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("https://crew.example.com/guest.html#/{id}/")));
    let mail = c.mail_to("pat@example.com").pop().expect("waiver mail");
    assert!(mail["text"].as_str().unwrap().contains(&url));
    let parts: Vec<&str> = url
        .rsplit('#')
        .next()
        .unwrap()
        .trim_start_matches('/')
        .split('/')
        .collect();
    let (gid, token) = (parts[1], parts[2]);
    let waiver = format!("/api/events/{id}/guests/{gid}/waiver");
    let guest_call = |t: &str, method: Method, body: Option<Value>| {
        let mut req = Request::builder()
            .method(method)
            .uri(&waiver)
            .header("x-guest-token", t);
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        c.send(req.body(body).unwrap())
    };
    // The guest page with the right token; a wrong token is a plain 404.
    let (s, b, _) = guest_call(token, Method::GET, None).await;
    assert_eq!(
        (s, b["guest"]["state"].clone(), b["event"]["boat"].clone()),
        (StatusCode::OK, json!("on_hold"), json!("Queen of San Diego"))
    );
    assert!(b["waiver_text"].as_str().unwrap().len() > 50);
    assert!(b["guest"].get("email").is_none());
    let (s, _, _) = guest_call("WRONGTOKEN", Method::GET, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = guest_call(
        "WRONGTOKEN",
        Method::POST,
        Some(json!({"signed_name": "Pat", "accept": true})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Not accepting is not signing.
    let (s, _, _) = guest_call(
        token,
        Method::POST,
        Some(json!({"signed_name": "Pat Guest", "accept": false})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, b, _) = guest_call(
        token,
        Method::POST,
        Some(json!({"signed_name": "Pat Guest", "accept": true})),
    )
    .await;
    assert_eq!((s, b["guest"]["state"].clone()), (StatusCode::OK, json!("confirmed")));
    // confirmed → sign again: invalid transition.
    let (s, b, _) = guest_call(
        token,
        Method::POST,
        Some(json!({"signed_name": "Pat Guest", "accept": true})),
    )
    .await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::CONFLICT, json!("invalid_transition"))
    );
    // Capacity 2: one more fits, the third is refused.
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/guests"),
            Some(&admin),
            Some(json!({"name": "Sam", "email": "sam@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let sam = b["guest"]["id"].as_str().unwrap().to_string();
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/guests"),
            Some(&admin),
            Some(json!({"name": "Lee", "email": "lee@example.com"})),
        )
        .await;
    assert_eq!((s, b["error"].clone()), (StatusCode::CONFLICT, json!("event_full")));
    // on_hold → cancelled frees the place; cancelling twice is refused.
    let cancel = format!("/api/events/{id}/guests/{sam}/cancel");
    let (s, b) = c.call(Method::POST, &cancel, Some(&admin), None).await;
    assert_eq!((s, b["guest"]["state"].clone()), (StatusCode::OK, json!("cancelled")));
    let (s, b) = c.call(Method::POST, &cancel, Some(&admin), None).await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::CONFLICT, json!("invalid_transition"))
    );
    let (s, lee) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/guests"),
            Some(&admin),
            Some(json!({"name": "Lee", "email": "lee@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Crew see names and states, not addresses.
    let crew = c.member("viewer@example.com", "crew").await;
    let (_, e) = c
        .call(Method::GET, &format!("/api/events/{id}"), Some(&crew), None)
        .await;
    let states: Vec<&str> = e["guests_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.len(), 3);
    assert!(states.contains(&"confirmed") && states.contains(&"cancelled") && states.contains(&"on_hold"));
    assert!(e["guests_list"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g.get("email").is_none()));
    // The same address again (a retried request): no second place.
    let again = json!({"name": "Pat G.", "email": "PAT@example.com"});
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/guests"),
            Some(&admin),
            Some(again),
        )
        .await;
    assert_eq!((s, b["error"].clone()), (StatusCode::CONFLICT, json!("already_booked")));
    // Ids that cannot exist are plain 404s, never a database error.
    let long = "a".repeat(1100);
    let (s, _, _) = guest_call_at(&c, &format!("/api/events/{id}/guests/{long}/waiver"), token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = guest_call_at(&c, &format!("/api/events/{long}/guests/{gid}/waiver"), token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Once the sail is cancelled, an on-hold guest can no longer sign, and the checklist is closed.
    c.call(Method::POST, &format!("/api/events/{id}/cancel"), Some(&admin), None)
        .await;
    let lee_url = lee["waiver_url"].as_str().unwrap();
    let lee_parts: Vec<&str> = lee_url
        .rsplit('#')
        .next()
        .unwrap()
        .trim_start_matches('/')
        .split('/')
        .collect();
    let sign = |token: &str| {
        Request::post(format!("/api/events/{id}/guests/{}/waiver", lee_parts[1]))
            .header("x-guest-token", token)
            .header("content-type", "application/json")
            .body(Body::from(json!({"signed_name": "Lee", "accept": true}).to_string()))
            .unwrap()
    };
    // A wrong token learns nothing about the sail: 404, as for any wrong token.
    let (s, b, _) = c.send(sign("not-lees-token")).await;
    assert_eq!((s, b["error"].clone()), (StatusCode::NOT_FOUND, json!("not_found")));
    let (s, b, _) = c.send(sign(lee_parts[2])).await;
    assert_eq!((s, b["error"].clone()), (StatusCode::CONFLICT, json!("event_not_open")));
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/checklist/01/check"),
            Some(&admin),
            Some(json!({"done": true})),
        )
        .await;
    assert_eq!((s, b["error"].clone()), (StatusCode::CONFLICT, json!("event_not_open")));
}

#[tokio::test]
async fn guest_ids_are_random_and_a_rebooking_keeps_the_signed_waiver() {
    let c = Crew::new().await;
    let admin = c.admin();
    let one = c.event(&next_year("09-01")).await;
    let two = c.event(&next_year("09-02")).await;
    let book = |id: String| {
        let c = &c;
        let admin = admin.clone();
        async move {
            c.call(
                Method::POST,
                &format!("/api/events/{id}/guests"),
                Some(&admin),
                Some(json!({"name": "Robin Guest", "email": "robin@example.com"})),
            )
            .await
        }
    };
    let (id1, id2) = (
        one["id"].as_str().unwrap().to_string(),
        two["id"].as_str().unwrap().to_string(),
    );
    let (s, first) = book(id1.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (_, other) = book(id2.clone()).await;
    // Nothing about the address follows from the id: not its hash, not the
    // same id on another sail.
    let gid = first["guest"]["id"].as_str().unwrap().to_string();
    assert_ne!(gid, shipcaptaincrew::secret::hash_key("robin@example.com")[..20]);
    assert_ne!(gid, other["guest"]["id"].as_str().unwrap());
    // Still one active booking per address per sail.
    let (s, b) = book(id1.clone()).await;
    assert_eq!((s, b["error"].clone()), (StatusCode::CONFLICT, json!("already_booked")));

    // Sign, cancel, book again: a new booking; the signed waiver stays on record.
    let url = first["waiver_url"].as_str().unwrap();
    let token = url.rsplit('/').next().unwrap().to_string();
    let sign = Request::post(format!("/api/events/{id1}/guests/{gid}/waiver"))
        .header("x-guest-token", token.as_str())
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"signed_name": "Robin Guest", "accept": true}).to_string(),
        ))
        .unwrap();
    assert_eq!(c.send(sign).await.0, StatusCode::OK);
    let (s, _) = c
        .call(
            Method::POST,
            &format!("/api/events/{id1}/guests/{gid}/cancel"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, again) = book(id1.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{again}");
    assert_ne!(again["guest"]["id"], gid.as_str());
    assert_eq!(again["guest"]["state"], "on_hold");
    let (_, ev) = c
        .call(Method::GET, &format!("/api/events/{id1}"), Some(&admin), None)
        .await;
    let states: Vec<(String, String)> = ev["guests_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_str().unwrap().to_string(),
                g["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(states.contains(&(gid.clone(), "cancelled".into())), "{states:?}");
    assert_eq!(ev["booked_guests"], 1, "{ev}");
    let table = c.env["BOSUN_TABLE_CREW"].clone();
    let old = dynamodb()
        .await
        .get_item()
        .table_name(table)
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("EVENT#{id1}")))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(format!("GUEST#{gid}")))
        .send()
        .await
        .unwrap();
    let item = old.item().expect("the first booking is kept");
    assert_eq!(item["waiver_signed_name"].as_s().unwrap(), "Robin Guest");
    assert!(item.contains_key("waiver_signed_at"));
}
