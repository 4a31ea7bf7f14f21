//! The token check against Project Wycheproof's JSON Web Signature vectors
//! (HS256 groups), an independent public test set. Source, commit and
//! licence are recorded in `data/wycheproof_jws_hs256.json`.
//!
//! The vectors' payloads are not JWT claim sets ("foo", "Test", RFC 7520's
//! text), so they run against the JWS layer of the app's validator,
//! `auth::jws_valid` — the function `Keys::verify` calls before it reads any
//! claim: compact form, strict base64url, the header with `alg` pinned to
//! HS256 (so `none` and other algorithms fail), and the HMAC. The claims
//! layer (exp/iss/aud) is covered by the app's own tests.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::DecodingKey;
use serde_json::Value;

/// The app's own JWS check (what `Keys::verify` runs before reading claims).
fn jws_accepts(token: &str, key: &[u8]) -> bool {
    shipcaptaincrew::auth::jws_valid(token, &DecodingKey::from_secret(key))
}

/// Cases where the vector file contradicts itself, with the reason; the
/// test asserts our answer for each so a change is noticed.
const KNOWN: &[(u64, bool, &str)] = &[
    (
        367,
        true,
        "byte-for-byte the same token as valid case 357 (the file marks it invalid)",
    ),
    (
        370,
        true,
        "byte-for-byte the same token as valid case 357 (the file marks it invalid)",
    ),
    (
        372,
        false,
        "marked valid, but a '?' inserted in the header leaves 357's MAC over other bytes",
    ),
    (
        373,
        false,
        "marked valid, but a '?' inserted in the payload leaves 357's MAC over other bytes",
    ),
];

#[test]
fn wycheproof_hs256_vectors() {
    let data: Value = serde_json::from_str(include_str!("data/wycheproof_jws_hs256.json")).unwrap();
    assert_eq!(data["source"]["repository"], "C2SP/wycheproof");
    let (mut checked, mut valid, mut invalid) = (0, 0, 0);
    for group in data["groups"].as_array().unwrap() {
        let key = URL_SAFE_NO_PAD.decode(group["key"]["k"].as_str().unwrap()).unwrap();
        for t in group["tests"].as_array().unwrap() {
            let id = t["tcId"].as_u64().unwrap();
            let jws = t["jws"].as_str().unwrap();
            let accepted = jws_accepts(jws, &key);
            let expected = match KNOWN.iter().find(|k| k.0 == id) {
                Some((_, ours, _)) => *ours,
                None => t["result"] == "valid",
            };
            assert_eq!(accepted, expected, "tcId {id} ({}): {jws}", t["comment"]);
            if accepted {
                valid += 1;
            } else {
                invalid += 1;
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 40, "every HS256 vector was checked");
    assert_eq!((valid, invalid), (10, 30), "10 accepted: 8 valid vectors + 367 and 370");
}

#[test]
fn the_apps_validator_refuses_every_vector() {
    // None of the vectors is a claim set with exp/iss/aud, and one key is 32
    // zero bytes (a weak secret the app refuses to start with).
    let data: Value = serde_json::from_str(include_str!("data/wycheproof_jws_hs256.json")).unwrap();
    for group in data["groups"].as_array().unwrap() {
        let key = URL_SAFE_NO_PAD.decode(group["key"]["k"].as_str().unwrap()).unwrap();
        let Ok(keys) = shipcaptaincrew::auth::Keys::new(&key, "shipcaptaincrew", "shipcaptaincrew-api") else {
            assert!(key.iter().all(|b| *b == 0), "only the all-zero key is refused");
            continue;
        };
        for t in group["tests"].as_array().unwrap() {
            assert!(keys.verify(t["jws"].as_str().unwrap()).is_none(), "tcId {}", t["tcId"]);
        }
    }
}
