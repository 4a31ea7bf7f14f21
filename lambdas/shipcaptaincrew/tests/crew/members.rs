//! Crew management: the roster, assignments, role changes and removal
//! with their slot releases, signing out everywhere, invites that change a role.

use super::*;

#[tokio::test]
async fn the_roster_shows_members_and_admins_put_members_into_slots() {
    let c = Crew::new().await;
    let admin = c.admin();
    let cap = c.member("cap@example.com", "captain").await;
    c.member("deck@example.com", "crew").await;
    let e = c.event(&next_year("07-11")).await;
    let id = e["id"].as_str().unwrap().to_string();

    // An admin puts a captain into the captain slot; the member is mailed.
    let assign = |slot: &str| format!("/api/events/{id}/slots/{slot}/assign");
    let (s, b) = c
        .call(
            Method::POST,
            &assign("captain"),
            Some(&admin),
            Some(json!({"email": "Cap@Example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(slot_holder(&b, "captain"), "cap@example.com");
    assert_eq!(b["mailed"], true);
    let mail = c.mail_to("cap@example.com").pop().unwrap();
    assert!(
        mail["subject"].as_str().unwrap().starts_with("You are captain aboard"),
        "{mail}"
    );
    assert!(
        mail["text"].as_str().unwrap().contains(&format!("/#/events/{id}")),
        "{mail}"
    );
    // Only members can be put into slots, and their role must fit.
    let (s, b) = c
        .call(
            Method::POST,
            &assign("crew-1"),
            Some(&admin),
            Some(json!({"email": "nobody@example.com"})),
        )
        .await;
    assert_eq!((s, b["error"].clone()), (StatusCode::NOT_FOUND, json!("not_found")));
    let other = c.event(&next_year("07-12")).await;
    let other_captain = format!("/api/events/{}/slots/captain/assign", other["id"].as_str().unwrap());
    let (s, b) = c
        .call(
            Method::POST,
            &other_captain,
            Some(&admin),
            Some(json!({"email": "deck@example.com"})),
        )
        .await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::CONFLICT, json!("role_mismatch")),
        "{b}"
    );
    // The event's captain puts crew into crew slots, not into the captain slot.
    let (s, b) = c
        .call(
            Method::POST,
            &assign("crew-1"),
            Some(&cap),
            Some(json!({"email": "deck@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(slot_holder(&b, "crew-1"), "deck@example.com");
    // One slot per person per event, as for a claim.
    let (s, b) = c
        .call(
            Method::POST,
            &assign("crew-2"),
            Some(&cap),
            Some(json!({"email": "deck@example.com"})),
        )
        .await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::CONFLICT, json!("already_holding"))
    );
    // Crew cannot assign; the captain takes a crew member out of a crew slot.
    let deck = c.token("deck@example.com", shipcaptaincrew::auth::Role::Crew);
    let (s, _) = c
        .call(
            Method::POST,
            &assign("crew-2"),
            Some(&deck),
            Some(json!({"email": "cap@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The list shows each event's staffing: the "captain needed" badge can show.
    let (_, list) = c.call(Method::GET, "/api/events", Some(&admin), None).await;
    let listed = list["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(slot_holder(&listed, "captain"), "cap@example.com");
    assert_eq!(slot_holder(&listed, "crew-2"), Value::Null);

    // The roster: every member, role, last sign-in, upcoming slots; admins only.
    let (s, roster) = c.call(Method::GET, "/api/members", Some(&admin), None).await;
    assert_eq!(s, StatusCode::OK, "{roster}");
    let members = roster["members"].as_array().unwrap();
    let find = |email: &str| members.iter().find(|m| m["email"] == email).unwrap().clone();
    let cap_row = find("cap@example.com");
    assert_eq!(cap_row["role"], "captain");
    assert!(cap_row["last_sign_in"].is_string(), "{cap_row}");
    assert_eq!(cap_row["upcoming"][0]["slot"], "captain");
    assert_eq!(cap_row["upcoming"][0]["event"], id.as_str());
    assert_eq!(find(ADMIN)["configured"], true);
    assert_eq!(
        c.call(Method::GET, "/api/members", Some(&cap), None).await.0,
        StatusCode::FORBIDDEN
    );
    let release = format!("/api/events/{id}/slots/crew-1/release");
    let (s, b) = c.call(Method::POST, &release, Some(&cap), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(slot_holder(&b, "crew-1"), Value::Null);
}

#[tokio::test]
async fn a_demoted_captain_loses_the_captain_slot_and_a_removed_member_loses_access() {
    let c = Crew::new().await;
    let admin = c.admin();
    let cap = c.member("skipper@example.com", "captain").await;
    let first = c.event(&next_year("08-02")).await;
    let second = c.event(&next_year("08-03")).await;
    let (a, b) = (first["id"].as_str().unwrap(), second["id"].as_str().unwrap());
    c.call(
        Method::POST,
        &format!("/api/events/{a}/slots/captain/claim"),
        Some(&cap),
        None,
    )
    .await;
    c.call(
        Method::POST,
        &format!("/api/events/{b}/slots/crew-1/claim"),
        Some(&cap),
        None,
    )
    .await;

    // A change prepared before a claim does not apply after it: the claim
    // bumped the member's slot_version, so the stale transaction is refused
    // (the route then re-reads and retries).
    let seen = c
        .app
        .store
        .member("skipper@example.com")
        .await
        .unwrap()
        .unwrap()
        .slot_version;
    assert_eq!(seen, 2, "each claim bumps it");
    let stale = c
        .app
        .store
        .change_member(
            "skipper@example.com",
            Some(shipcaptaincrew::auth::Role::Crew),
            seen - 1,
            &[],
            0,
        )
        .await;
    assert!(
        stale
            .as_ref()
            .is_err_and(|e| e.refused(shipcaptaincrew::store::Refusal::MemberChanged)),
        "{stale:?}"
    );
    // Demoted to crew: the captain slot goes in the same write, the crew slot stays.
    let member = "/api/members/skipper@example.com";
    let (s, body) = c
        .call(Method::PATCH, member, Some(&admin), Some(json!({"role": "crew"})))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["released"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["released"][0]["slot"], "captain");
    let (_, ev) = c
        .call(Method::GET, &format!("/api/events/{a}"), Some(&admin), None)
        .await;
    assert_eq!(slot_holder(&ev, "captain"), Value::Null);
    let (_, ev) = c
        .call(Method::GET, &format!("/api/events/{b}"), Some(&admin), None)
        .await;
    assert_eq!(slot_holder(&ev, "crew-1"), "skipper@example.com");
    // The same token now acts as crew: the captain slot is refused.
    let (s, _) = c
        .call(
            Method::POST,
            &format!("/api/events/{a}/slots/captain/claim"),
            Some(&cap),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, me) = c.call(Method::GET, "/api/me", Some(&cap), None).await;
    assert_eq!(me["role"], "crew");

    // SCC_ADMINS addresses change only by configuration, and the error says so.
    let (s, body) = c
        .call(
            Method::PATCH,
            &format!("/api/members/{ADMIN}"),
            Some(&admin),
            Some(json!({"role": "crew"})),
        )
        .await;
    assert_eq!(
        (s, body["error"].clone()),
        (StatusCode::CONFLICT, json!("configured_admin"))
    );
    assert!(body["message"].as_str().unwrap().contains("SCC_ADMINS"), "{body}");

    // Removed: every upcoming slot released, the next request refused.
    let (s, body) = c.call(Method::DELETE, member, Some(&admin), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["released"][0]["slot"], "crew-1");
    assert_eq!(
        c.call(Method::GET, "/api/me", Some(&cap), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, roster) = c.call(Method::GET, "/api/members", Some(&admin), None).await;
    assert!(!roster["members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["email"] == "skipper@example.com"));
    // Re-invited later, the old session stays dead; the new one works.
    c.app.clock.advance(2);
    let fresh = c.member("skipper@example.com", "crew").await;
    assert_eq!(
        c.call(Method::GET, "/api/me", Some(&cap), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        c.call(Method::GET, "/api/me", Some(&fresh), None).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_earlier_session() {
    let c = Crew::new().await;
    let admin = c.admin();
    let phone = c.member("mate@example.com", "crew").await;
    let laptop = c.token("mate@example.com", shipcaptaincrew::auth::Role::Crew);
    // A link asked for and not yet used.
    let (s, _) = c
        .call(
            Method::POST,
            "/api/auth/request",
            None,
            Some(json!({"email": "mate@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let unused = c.last_code("mate@example.com");
    // Only the member or an admin may.
    let other = c.member("other@example.com", "crew").await;
    let path = "/api/members/mate@example.com/sign-out";
    assert_eq!(
        c.call(Method::POST, path, Some(&other), None).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, b) = c.call(Method::POST, path, Some(&phone), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    for token in [&phone, &laptop] {
        assert_eq!(
            c.call(Method::GET, "/api/me", Some(token), None).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    // The unused link went with them.
    let (s, b) = c
        .call(Method::POST, "/api/auth/exchange", None, Some(json!({"code": unused})))
        .await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::UNAUTHORIZED, json!("invalid_code")),
        "{b}"
    );
    assert_eq!(
        c.call(Method::GET, "/api/me", Some(&other), None).await.0,
        StatusCode::OK
    );
    // A session issued afterwards works; an admin can do the same for anyone.
    c.app.clock.advance(2);
    let again = c.token("mate@example.com", shipcaptaincrew::auth::Role::Crew);
    assert_eq!(
        c.call(Method::GET, "/api/me", Some(&again), None).await.0,
        StatusCode::OK
    );
    let (s, _) = c
        .call(
            Method::POST,
            "/api/members/other@example.com/sign-out",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        c.call(Method::GET, "/api/me", Some(&other), None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

/// Inviting a member again under another role is a role change: a
/// captain invited as crew leaves the captain slot in the same write.
#[tokio::test]
async fn an_invite_that_changes_a_role_releases_the_slots_it_no_longer_fits() {
    let c = Crew::new().await;
    let admin = c.admin();
    let cap = c.member("skipper@example.com", "captain").await;
    let e = c.event(&next_year("08-08")).await;
    let id = e["id"].as_str().unwrap().to_string();
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/slots/captain/claim"),
            Some(&cap),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .call(
            Method::POST,
            "/api/invites",
            Some(&admin),
            Some(json!({"email": "skipper@example.com", "role": "crew"})),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    assert_eq!(b["released"][0]["slot"], "captain", "{b}");
    let (_, ev) = c
        .call(Method::GET, &format!("/api/events/{id}"), Some(&admin), None)
        .await;
    assert_eq!(slot_holder(&ev, "captain"), Value::Null);
    let (_, me) = c.call(Method::GET, "/api/me", Some(&cap), None).await;
    assert_eq!(me["role"], "crew");
    // The same role again changes nothing and releases nothing.
    let (s, b) = c
        .call(
            Method::POST,
            "/api/invites",
            Some(&admin),
            Some(json!({"email": "skipper@example.com", "role": "crew"})),
        )
        .await;
    assert_eq!((s, b["released"].clone()), (StatusCode::ACCEPTED, json!([])));
}
