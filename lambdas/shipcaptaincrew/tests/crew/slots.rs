//! Slots: concurrent captain claims (one wins) and the claim and release rules.

use super::*;

#[tokio::test]
async fn of_concurrent_captain_claims_exactly_one_wins() {
    let c = Crew::new().await;
    let e = c.event(&next_year("06-20")).await;
    let id = e["id"].as_str().unwrap().to_string();
    let mut captains = Vec::new();
    for i in 0..8 {
        let email = format!("captain{i}@example.com");
        c.app
            .store
            .put_member(&email, shipcaptaincrew::auth::Role::Captain, ADMIN, 0)
            .await
            .unwrap();
        captains.push(c.token(&email, shipcaptaincrew::auth::Role::Captain));
    }
    let path = format!("/api/events/{id}/slots/captain/claim");
    let results =
        futures_util::future::join_all(captains.iter().map(|t| c.call(Method::POST, &path, Some(t), None))).await;
    let winners: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.0 == StatusCode::OK)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for (i, (s, b)) in results.iter().enumerate() {
        if !winners.contains(&i) {
            assert_eq!((*s, b["error"].clone()), (StatusCode::CONFLICT, json!("slot_taken")));
        }
    }
    let (_, e) = c
        .call(Method::GET, &format!("/api/events/{id}"), Some(&captains[0]), None)
        .await;
    assert_eq!(
        e["slots"][0],
        json!({"slot": "captain", "holder": format!("captain{}@example.com", winners[0]),
               "can": {"claim": false, "release": winners[0] == 0, "assign": false}})
    );
}

#[tokio::test]
async fn slots_are_claimed_and_released_by_the_rules() {
    let c = Crew::new().await;
    let admin = c.admin();
    let crew = c.member("crew-a@example.com", "crew").await;
    let other = c.member("crew-b@example.com", "crew").await;
    let e = c.event(&next_year("06-21")).await;
    let id = e["id"].as_str().unwrap();
    let slot = |s: &str, a: &str| format!("/api/events/{id}/slots/{s}/{a}");
    // Crew cannot take the captain slot; unknown slots are 404.
    let (s, b) = c.call(Method::POST, &slot("captain", "claim"), Some(&crew), None).await;
    assert_eq!((s, b["error"].clone()), (StatusCode::FORBIDDEN, json!("forbidden")));
    assert_eq!(
        c.call(Method::POST, &slot("crew-9", "claim"), Some(&crew), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Claim crew-1; a second slot for the same person is refused.
    let (s, b) = c.call(Method::POST, &slot("crew-1", "claim"), Some(&crew), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // What the holder may do comes with the slot: release theirs, not
    // claim or assign another.
    assert_eq!(
        b["slots"][1],
        json!({"slot": "crew-1", "holder": "crew-a@example.com",
               "can": {"claim": false, "release": true, "assign": false}})
    );
    assert_eq!(
        b["slots"][2]["can"],
        json!({"claim": false, "release": false, "assign": false})
    );
    let (s, b) = c.call(Method::POST, &slot("crew-2", "claim"), Some(&crew), None).await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::CONFLICT, json!("already_holding"))
    );
    let (s, b) = c.call(Method::POST, &slot("crew-1", "claim"), Some(&other), None).await;
    assert_eq!((s, b["error"].clone()), (StatusCode::CONFLICT, json!("slot_taken")));
    // Release: not by another member; by the holder; by an admin.
    let (s, _) = c
        .call(Method::POST, &slot("crew-1", "release"), Some(&other), None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = c
        .call(Method::POST, &slot("crew-1", "release"), Some(&crew), None)
        .await;
    assert_eq!((s, b["slots"][1]["holder"].clone()), (StatusCode::OK, json!(null)));
    let (s, b) = c
        .call(Method::POST, &slot("crew-1", "release"), Some(&crew), None)
        .await;
    assert_eq!((s, b["error"].clone()), (StatusCode::CONFLICT, json!("not_claimed")));
    assert_eq!(
        c.call(Method::POST, &slot("crew-2", "claim"), Some(&other), None)
            .await
            .0,
        StatusCode::OK
    );
    let (s, b) = c
        .call(Method::POST, &slot("crew-2", "release"), Some(&admin), None)
        .await;
    assert_eq!((s, b["slots"][2]["holder"].clone()), (StatusCode::OK, json!(null)));
    // After release the person may claim again (the holder marker went too).
    assert_eq!(
        c.call(Method::POST, &slot("crew-2", "claim"), Some(&other), None)
            .await
            .0,
        StatusCode::OK
    );
    // Roles are read on every request: re-invited as captain, the same token may take the captain slot.
    let (s, _) = c
        .call(
            Method::POST,
            "/api/invites",
            Some(&admin),
            Some(json!({"email": "crew-a@example.com", "role": "captain"})),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(
        c.call(Method::POST, &slot("captain", "claim"), Some(&crew), None)
            .await
            .0,
        StatusCode::OK
    );
    // A retried claim that already succeeded answers 200, not a conflict.
    let (s, b) = c.call(Method::POST, &slot("captain", "claim"), Some(&crew), None).await;
    assert_eq!(
        (s, b["slots"][0]["holder"].clone()),
        (StatusCode::OK, json!("crew-a@example.com"))
    );
    // A cancelled event takes no claims.
    c.call(Method::POST, &format!("/api/events/{id}/cancel"), Some(&admin), None)
        .await;
    let (s, b) = c.call(Method::POST, &slot("crew-1", "claim"), Some(&crew), None).await;
    assert_eq!((s, b["error"].clone()), (StatusCode::CONFLICT, json!("event_not_open")));
}
