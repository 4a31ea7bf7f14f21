//! The shell side of verify-ses: reads SES at one request per second
//! (creating what is missing with `--create`), and sends the test message.

use std::collections::BTreeSet;

use aws_sdk_sesv2::Client;

use super::checks::{destination_difference, mail_from_parent};
use super::{domain_of, Check, LiveSes, Status, SIMULATOR_SUCCESS};
use crate::aws::ses;
use crate::aws::Pacer;
use crate::model::{SesEvents, SesSpec, SES_EVENT_TYPES};

/// Reads what the checks need. With `create`, first creates missing sender
/// identities, the MAIL FROM setting, the configuration set and its event
/// destination (each create is idempotent, so a retried run is safe).
pub async fn observe(client: &Client, spec: &SesSpec, create: bool) -> LiveSes {
    let mut pace = Pacer::new(SES_API_INTERVAL);
    let mut obs = LiveSes::default();
    // Each identity is looked up once (keyed in lower case); what --create
    // read is reused.
    if create {
        create_missing(client, spec, &mut pace, &mut obs).await;
    }
    pace.tick().await;
    obs.account = Some(ses::account(client).await);
    for name in &spec.identities {
        read_identity(client, &mut pace, &mut obs, name).await;
    }
    // Recipients' identities matter only in the sandbox (or when the
    // account's state is unknown): SES then delivers to verified ones only.
    let destinations = spec.destinations();
    let sandbox = !matches!(&obs.account, Some(Ok(a)) if a.production_access);
    if sandbox {
        for d in &destinations {
            read_identity(client, &mut pace, &mut obs, d).await;
            read_identity(client, &mut pace, &mut obs, domain_of(d)).await;
        }
    }
    if !destinations.is_empty() {
        let list = ses::suppression_list(client, &mut pace).await;
        for d in destinations {
            let reason = match &list {
                Ok(list) => Ok(list.get(&d.to_ascii_lowercase()).cloned()),
                Err(e) => Err(e.clone()),
            };
            obs.suppressed.insert(d, reason);
        }
    }
    if let Some(set) = &spec.configuration_set {
        if obs.configuration_set.is_none() {
            obs.configuration_set = Some(ses::configuration_set_exists(client, set, &mut pace).await);
        }
        // A set that is missing (or unreadable) has no destinations to read.
        if spec.events.is_some() && matches!(obs.configuration_set, Some(Ok(true))) && obs.event_destinations.is_none()
        {
            pace.tick().await;
            obs.event_destinations = Some(ses::event_destinations(client, set).await);
        }
    }
    obs
}

/// `--create`: the sender identities, the MAIL FROM setting, the
/// configuration set and bosun's event destination in it, where missing
/// (the destination also where it differs from `[ses.events]`).
async fn create_missing(client: &Client, spec: &SesSpec, pace: &mut Pacer, obs: &mut LiveSes) {
    for name in &spec.identities {
        let key = name.to_ascii_lowercase();
        pace.tick().await;
        match ses::identity(client, name).await {
            Ok(None) => {
                pace.tick().await;
                match ses::create_identity(client, name).await {
                    // Read again below: the new identity's DKIM tokens.
                    Ok(()) => obs.created.push(format!("identity {name}")),
                    Err(e) => {
                        obs.identities.insert(key, Err(e));
                    }
                }
            }
            got => {
                obs.identities.insert(key, got);
            }
        }
    }
    if let Some(m) = &spec.mail_from_domain {
        if let Some(parent) = mail_from_parent(spec, m) {
            set_mail_from(client, pace, obs, (parent, m)).await;
        }
    }
    if let Some(set) = &spec.configuration_set {
        match ses::configuration_set_exists(client, set, pace).await {
            Ok(false) => {
                pace.tick().await;
                match ses::create_configuration_set(client, set).await {
                    Ok(()) => {
                        obs.created.push(format!("configuration set {set}"));
                        obs.configuration_set = Some(Ok(true));
                    }
                    Err(e) => obs.configuration_set = Some(Err(e)),
                }
            }
            got => obs.configuration_set = Some(got),
        }
        if let (Some(events), Some(Ok(true))) = (&spec.events, &obs.configuration_set) {
            set_event_destination(client, pace, obs, (set, events)).await;
        }
    }
}

/// Creates bosun's event destination in `set`, or updates it when it differs
/// from `[ses.events]`; nothing is written when it matches. Other
/// destinations in the set are never touched. After a write, `observe` reads
/// the destinations back.
async fn set_event_destination(
    client: &Client,
    pace: &mut Pacer,
    obs: &mut LiveSes,
    (set, events): (&str, &SesEvents),
) {
    pace.tick().await;
    let live = match ses::event_destinations(client, set).await {
        Ok(live) => live,
        Err(e) => {
            obs.event_destinations = Some(Err(e));
            return;
        }
    };
    let mut types: BTreeSet<String> = SES_EVENT_TYPES.iter().map(|t| t.to_string()).collect();
    let (update, note) = match live.iter().find(|d| d.name == events.name) {
        None => (
            false,
            format!(
                "event destination {} ({}) on configuration set {set}",
                events.name,
                events.target.kind()
            ),
        ),
        Some(d) => match destination_difference(d, events) {
            None => {
                obs.event_destinations = Some(Ok(live));
                return;
            }
            Some(diff) => {
                // Event types someone added on top are kept.
                types.extend(d.types.iter().cloned());
                (
                    true,
                    format!(
                        "updated event destination {} on configuration set {set}: {diff}",
                        events.name
                    ),
                )
            }
        },
    };
    pace.tick().await;
    let put = ses::PutEventDestination {
        set,
        events,
        types: &types,
        update,
    };
    match ses::put_event_destination(client, &put).await {
        Ok(true) => obs.created.push(note),
        // Created meanwhile by another run: read back below.
        Ok(false) => {}
        Err(e) => obs.event_destinations = Some(Err(e)),
    }
}

/// Sets MAIL FROM `m` on the domain identity `parent` unless it is set.
async fn set_mail_from(client: &Client, pace: &mut Pacer, obs: &mut LiveSes, (parent, m): (&str, &str)) {
    // A domain created just now is read once here (and cached).
    read_identity(client, pace, obs, parent).await;
    let Some(id) = obs.identity(parent) else {
        return;
    };
    if id.mail_from.as_ref().is_some_and(|x| x.domain.eq_ignore_ascii_case(m)) {
        return;
    }
    pace.tick().await;
    match ses::put_mail_from(client, parent, m).await {
        Ok(()) => {
            obs.created.push(format!("MAIL FROM {m} on {parent}"));
            obs.identities.remove(&parent.to_ascii_lowercase());
        }
        Err(e) => {
            obs.identities.insert(parent.to_ascii_lowercase(), Err(e));
        }
    }
}

/// Reads identity `name` into `obs` unless it was read already (keyed in lower case).
async fn read_identity(client: &Client, pace: &mut Pacer, obs: &mut LiveSes, name: &str) {
    if let std::collections::btree_map::Entry::Vacant(slot) = obs.identities.entry(name.to_ascii_lowercase()) {
        pace.tick().await;
        slot.insert(ses::identity(client, name).await);
    }
}

/// SES allows one request per second to its API actions other than sending
/// (the SES API reference says so of each such action, e.g. "You can
/// execute this operation no more than once per second"); verify-ses and the
/// deploy gate keep to it instead of meeting throttling errors.
pub const SES_API_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Sends one message to the SES mailbox simulator.
pub async fn send_test(client: &Client, spec: &SesSpec, stack: &str) -> Check {
    let from = if spec.sender.contains('@') {
        spec.sender.clone()
    } else {
        format!("bosun@{}", spec.sender)
    };
    let subject = format!("bosun verify-ses: {stack}");
    let text = "A test message from bosun verify-ses --send-test. It went to the SES mailbox simulator.";
    let mail = ses::TextMail {
        from: &from,
        to: SIMULATOR_SUCCESS,
        configuration_set: spec.configuration_set.as_deref(),
        subject: &subject,
        text,
    };
    match ses::send_text(client, &mail).await {
        Ok(id) => Check::new(
            "send_test",
            SIMULATOR_SUCCESS,
            Status::Pass,
            format!("accepted from {from} (message id {id})"),
        ),
        Err(e) => Check::new(
            "send_test",
            SIMULATOR_SUCCESS,
            Status::Fail,
            format!("SendEmail from {from}: {}", e.message),
        )
        .fix(
            e.help
                .unwrap_or_else(|| "fix the failures above, then run again".into()),
        ),
    }
}
