//! The CMO report: channels and reach, the campaign's range, the OTA
//! listing sequence.

use super::*;

/// Expected deals of a campaign as a [low, high] range, and its value:
/// whole deals (a booking happens or not; at least one once half a deal
/// is expected) times the value of one.
pub fn campaign_range(c: &crate::data::Campaign) -> ([f64; 2], [f64; 2]) {
    let deals = |i: usize| c.list_size as f64 * c.open_rate[i] * c.conversion_rate[i];
    let (low, high) = (deals(0), deals(1));
    let whole = |d: f64| d.round();
    ([low, high], [whole(low) * c.deal_value, whole(high) * c.deal_value])
}

/// The OTA listing sequence: each platform listed, next, or waiting for
/// the certificate of insurance.
pub fn ota_sequence(p: &Portfolio) -> Vec<String> {
    let mut next_given = false;
    p.ota_sequence
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let state = if s.listed {
                "listed".to_string()
            } else if s.needs_coi && !p.finance.coi_in_place {
                "waits for the certificate of insurance (not in place yet)".to_string()
            } else if !next_given {
                next_given = true;
                "NEXT: list now".to_string()
            } else {
                "after the step before".to_string()
            };
            format!("{}. {}: {state}", i + 1, s.platform)
        })
        .collect()
}

pub(super) fn cmo_report(p: &Portfolio, prev: Option<(&str, &Portfolio)>, month: &str, period: &str) -> Report {
    let names: BTreeMap<&str, &str> = p.entities.iter().map(|e| (e.key.as_str(), e.name.as_str())).collect();
    let channels = p
        .channels
        .iter()
        .map(|c| {
            let cpr = if c.reach > 0 && c.monthly_cost > 0.0 {
                format!(", {:.2} per contact", c.monthly_cost / c.reach as f64)
            } else {
                String::new()
            };
            format!(
                "{} ({}): reach {}, {}/mo, {}{cpr}",
                c.name,
                names.get(c.entity.as_str()).unwrap_or(&"?"),
                c.reach,
                money(c.monthly_cost),
                c.status
            )
        })
        .collect();
    let mut campaign = Vec::new();
    if let Some(c) = &p.campaign {
        let (deals, value) = campaign_range(c);
        campaign.push(format!("{}: {} contacts", c.name, c.list_size));
        campaign.push(format!(
            "Opens {:.0}-{:.0}%, conversion {:.2}-{:.2}%: {:.1} to {:.1} deals",
            c.open_rate[0] * 100.0,
            c.open_rate[1] * 100.0,
            c.conversion_rate[0] * 100.0,
            c.conversion_rate[1] * 100.0,
            deals[0],
            deals[1]
        ));
        campaign.push(format!("Expected value: {} to {}", money(value[0]), money(value[1])));
    }
    let track = |t: &str, label: &str| -> Vec<String> {
        p.milestones
            .iter()
            .filter(|m| m.track == t)
            .map(|m| format!("{label} {}: {}", m.at, m.title))
            .collect()
    };
    let mut series = vec![Series {
        name: month.into(),
        values: p.channels.iter().map(|c| c.reach as f64).collect(),
    }];
    if let Some((prev_month, prev)) = prev {
        series.insert(
            0,
            Series {
                name: prev_month.into(),
                values: p
                    .channels
                    .iter()
                    .map(|c| {
                        prev.channels
                            .iter()
                            .find(|x| x.name == c.name)
                            .map_or(0.0, |x| x.reach as f64)
                    })
                    .collect(),
            },
        );
    }
    Report {
        key: "cmo",
        title: "CMO report: channels, campaign value and milestones".into(),
        period: period.into(),
        sections: vec![
            section("Channel matrix", channels),
            section("OTA sequence", ota_sequence(p)),
            section("Local SEO roadmap", track("local-seo", "Step")),
            section("Email campaign", campaign),
            section("30/60/90-day milestones", track("marketing", "Day")),
        ],
        charts: vec![Chart {
            id: "channel-reach".into(),
            title: "Reach by channel".into(),
            unit: Unit::Count,
            categories: p.channels.iter().map(|c| c.name.clone()).collect(),
            series,
        }],
    }
}
