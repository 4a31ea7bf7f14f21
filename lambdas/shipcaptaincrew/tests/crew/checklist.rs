//! The checklist: ticked by the sail's crew; the derived waivers item.

use super::*;

#[tokio::test]
async fn checklists_are_ticked_by_the_crew_on_the_event() {
    let c = Crew::new().await;
    let admin = c.admin();
    let crew = c.member("tick@example.com", "crew").await;
    let e = c.event(&next_year("05-30")).await;
    let id = e["id"].as_str().unwrap();
    let item = e["checklist"][0]["id"].as_str().unwrap();
    let tick = format!("/api/events/{id}/checklist/{item}/check");
    let (s, _) = c
        .call(Method::POST, &tick, Some(&crew), Some(json!({"done": true})))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not crew on this event yet");
    c.call(
        Method::POST,
        &format!("/api/events/{id}/slots/crew-1/claim"),
        Some(&crew),
        None,
    )
    .await;
    let (s, b) = c
        .call(Method::POST, &tick, Some(&crew), Some(json!({"done": true})))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let done = b["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == item)
        .unwrap()
        .clone();
    assert_eq!(done["done_by"], "tick@example.com");
    assert!(done["done_at"].is_string());
    let (_, b) = c
        .call(Method::POST, &tick, Some(&crew), Some(json!({"done": false})))
        .await;
    assert!(b["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == item)
        .unwrap()["done_by"]
        .is_null());
    let (s, _) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/checklist/99/check"),
            Some(&crew),
            Some(json!({"done": true})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // An admin adds an item due 10 minutes after return.
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/checklist"),
            Some(&admin),
            Some(json!({"label": "Log the trip", "hook": "return", "offset_min": 10})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let added = b["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "Log the trip")
        .unwrap()
        .clone();
    let ret = b["timing"]["return"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap();
    let due = added["due"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    assert_eq!(due.as_second() - ret.as_second(), 600);
    let (s, _) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/checklist"),
            Some(&admin),
            Some(json!({"label": "x", "hook": "lunch", "offset_min": 10})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

fn waivers_item(event: &Value) -> Value {
    event["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["derived"] == "waivers")
        .cloned()
        .unwrap_or_else(|| panic!("no derived waivers item: {event}"))
}

#[tokio::test]
async fn the_waivers_item_follows_the_guests_and_cannot_be_ticked() {
    let c = Crew::new().await;
    let admin = c.admin();
    let e = c.event(&next_year("10-03")).await;
    let id = e["id"].as_str().unwrap().to_string();
    assert_eq!(waivers_item(&e)["label"], "All guest waivers signed");
    let (_, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/guests"),
            Some(&admin),
            Some(json!({"name": "Sam Guest", "email": "sam@example.com"})),
        )
        .await;
    let url = b["waiver_url"].as_str().unwrap().to_string();
    let (gid, token) = {
        let mut parts = url.rsplit('/');
        let token = parts.next().unwrap().to_string();
        (parts.next().unwrap().to_string(), token)
    };
    let (_, ev) = c
        .call(Method::GET, &format!("/api/events/{id}"), Some(&admin), None)
        .await;
    let item = waivers_item(&ev);
    assert_eq!(
        (item["done"].clone(), item["signed"].clone(), item["booked"].clone()),
        (json!(false), json!(0), json!(1))
    );
    // Ticking it by hand is refused: it is the guests' to complete.
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/checklist/{}/check", item["id"].as_str().unwrap()),
            Some(&admin),
            Some(json!({"done": true})),
        )
        .await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::CONFLICT, json!("derived_item")),
        "{b}"
    );
    let sign = Request::post(format!("/api/events/{id}/guests/{gid}/waiver"))
        .header("x-guest-token", token.as_str())
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"signed_name": "Sam Guest", "accept": true}).to_string(),
        ))
        .unwrap();
    assert_eq!(c.send(sign).await.0, StatusCode::OK);
    let (_, ev) = c
        .call(Method::GET, &format!("/api/events/{id}"), Some(&admin), None)
        .await;
    assert_eq!(waivers_item(&ev)["done"], true);
    // Per-event offsets from the create form are kept.
    let (s, custom) = c
        .call(
            Method::POST,
            "/api/events",
            Some(&admin),
            Some(
                json!({"date": next_year("10-04"), "boat": "B", "kind": "k", "guests": 2,
                        "depart_offset_min": -120, "return_offset_min": 15}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{custom}");
    assert_eq!(
        (custom["depart_offset_min"].clone(), custom["return_offset_min"].clone()),
        (json!(-120), json!(15))
    );
}
