//! The engine's unit tests: every figure against hand-checked numbers.

use super::*;

fn demo() -> Portfolio {
    crate::data::parse("portfolio.toml", include_str!("../../../../stacks/data/portfolio.toml")).unwrap()
}

#[test]
fn money_groups_thousands() {
    assert_eq!(money(8112.0), "$8,112");
    assert_eq!(money(-600.4), "-$600");
    assert_eq!(money(1234567.5), "$1,234,568");
    assert_eq!(money(0.0), "$0");
}

/// Hand-checked, the file's standing figures (no dated rows): fixed
/// costs 1450+980+3200+900+62 + 18+12 + 600+850 + 40 = 8,112;
/// contribution 1850-450 = 1,400. Every stream counts: revenue is
/// 2 x 1,850 and other 1,200 and rent 3,400 x 0.9, so 7,960; expenses
/// are 8,112, the charters' variable 900 and the rental's operating
/// costs 17,240 / 12 = 1,436.67, so 10,448.67; result -2,488.67. Without
/// the charters the month is 5,288.67 short: / 1,400 = 3.78, 4 charters.
#[test]
fn cfo_figures() {
    let c = cfo(&demo(), &Facts::default());
    assert_eq!(c.monthly_burn, 8112.0);
    assert_eq!(c.contribution_per_charter, 1400.0);
    assert_eq!(c.break_even_charters, 4);
    assert_eq!(c.charters_this_month, 2);
    assert_eq!(c.monthly_revenue, 7960.0);
    assert_eq!(c.monthly_expenses, 10448.67);
    assert_eq!(c.net, -2488.67);
    // One month only (the file as read is no month's view): runway 38,500 / 2,488.67.
    assert!((c.runway_months.unwrap() - 38500.0 / 2488.67).abs() < 1e-9);
    assert_eq!(c.targets[1], ("2026-12".to_string(), 6, 11100.0));
    let tiers: Vec<(Tier, &str)> = c.tiers.iter().map(|t| (t.0, t.1.as_str())).collect();
    assert_eq!(
        tiers,
        [
            (Tier::ZeroCost, "List the yacht on Sailo and GetMyBoat"),
            (Tier::ZeroCost, "Email the list about private charters"),
            (Tier::LowCost, "Business-profile and schema markup for local SEO"),
            (Tier::RevenueProducing, "Viator listing (needs COI upgrade)"),
            (Tier::DoNotDeploy, "Second charter vessel"),
        ]
    );
}

#[test]
fn live_charters_replace_the_data_files_count() {
    let facts = Facts {
        charters_this_month: Some(7),
        ..Facts::default()
    };
    let c = cfo(&demo(), &facts);
    assert_eq!(c.charters_this_month, 7);
    // 8112 - 1200 - 7*1400 < 0: cash-flow positive.
    assert_eq!(c.runway_months, None);
}

#[test]
fn cfo_rules_are_checked_against_the_figures() {
    let p = demo();
    let c = cfo(&p, &Facts::default());
    let rules = check_rules(&p, &c);
    assert_eq!(rules.len(), 3);
    // The COI rule and the CMO's listing sequence read one fact: the
    // certificate is not in place, so the rule is NOT MET, as the CMO
    // says (before, the CFO called it MET while the CMO waited for it).
    assert!(!rules[1].1, "{rules:?}");
    assert!(ota_sequence(&p)[2].contains("waits for the certificate of insurance"));
    assert!(rules[0].1 && rules[2].1, "{rules:?}");
    let mut covered = demo();
    covered.finance.coi_in_place = true;
    let rules = check_rules(&covered, &cfo(&covered, &Facts::default()));
    assert!(rules.iter().all(|(_, met, _)| *met), "{rules:?}");
    // Each one false: payroll above cash, no insurance line, operations above revenue.
    let mut broke = demo();
    broke.finance.cash_on_hand = 100.0;
    for e in &mut broke.entities {
        e.costs.retain(|k| k.category != "insurance");
    }
    broke.entities[0].costs.push(crate::data::Cost {
        item: "Refit".into(),
        monthly: 50_000.0,
        category: "operations".into(),
    });
    let c = cfo(&broke, &Facts::default());
    let rules = check_rules(&broke, &c);
    assert!(rules.iter().all(|(_, met, _)| !*met), "{rules:?}");
    assert!(
        rules[1].2.contains("no insurance line for QueenofSanDiego"),
        "{rules:?}"
    );
}

/// The CEO's inventory holds every asset: the entities', the rental, the
/// delivery vessel and the client accounts.
#[test]
fn the_ceo_inventory_lists_every_asset() {
    let p = demo();
    let (dec, _) = p.in_month("2026-12");
    let r = ceo_report(&dec, &Facts::default(), "2026-12");
    let inventory = &r.sections[0].lines;
    assert!(inventory
        .iter()
        .any(|l| l.starts_with("Rental property: Harbor-view rental unit, valued at $640,000")));
    assert!(inventory
        .iter()
        .any(|l| l == "Delivery vessel: Delivery crew boat (owned)"));
    assert!(inventory
        .iter()
        .any(|l| l.starts_with("Client accounts: ") && l.ends_with("($3,450 unbilled, earlier months included)")));
}

#[test]
fn shortfalls_the_figures_show_are_computed_not_typed() {
    let p = demo();
    let titles = |facts: &Facts, p: &Portfolio| -> Vec<String> {
        computed_shortfalls(p, facts).into_iter().map(|s| s.1).collect()
    };
    let live = |n: u32| Facts {
        charters_this_month: Some(n),
        ..Facts::default()
    };
    assert!(titles(&live(0), &p)
        .iter()
        .any(|t| t.starts_with("Empty booking pipeline")));
    assert!(titles(&live(3), &p)
        .iter()
        .any(|t| t == "Booking pipeline below break-even: 3 of 4 charters this month"));
    assert!(
        !titles(&live(6), &p).iter().any(|t| t.contains("pipeline")),
        "at break-even no pipeline shortfall"
    );
    assert!(titles(&live(6), &p).iter().any(|t| t.starts_with("Zero OTA listings")));
    let mut listed = demo();
    for ch in &mut listed.channels {
        if ch.kind.as_deref() == Some("ota") {
            ch.reach = 40;
        }
    }
    assert!(!titles(&live(6), &listed).iter().any(|t| t.starts_with("Zero OTA")));
}

#[test]
fn the_missing_accounting_system_is_a_finding_from_the_data() {
    let mut p = demo();
    assert!(accounting_system_finding(&p).starts_with("No accounting system at all"));
    p.finance.accounting_system = Some("none".into());
    assert!(accounting_system_finding(&p).starts_with("No accounting system at all"));
    p.finance.accounting_system = Some("QuickBooks Online".into());
    assert_eq!(accounting_system_finding(&p), "Books are kept in QuickBooks Online.");
}

#[test]
fn expected_kpis_come_from_the_data_file() {
    let mut p = demo();
    p.expected_kpis
        .insert(crate::data::Kind::Charter, vec!["charters booked per month".into()]);
    assert!(missing_kpis(&p).iter().all(|(name, _)| name != "QueenofSanDiego"));
    p.expected_kpis.remove(&crate::data::Kind::Charter);
    let problems = crate::data::check(&p);
    assert!(
        problems
            .iter()
            .any(|m| m.contains("expected_kpis has no list for kind `charter`")),
        "{problems:?}"
    );
}

#[test]
fn ceo_missing_kpis_and_agenda() {
    let p = demo();
    let m = missing_kpis(&p);
    assert_eq!(m[0].0, "QueenofSanDiego");
    assert_eq!(m[0].1.len(), 4, "tracks 1 of the 5 charter KPIs");
    // Every item has an owner, a due date from the send date and, where
    // the books give one, its dollar effect (before: "Fix:" titles only).
    let sent = send_date("2026-W49").unwrap();
    assert_eq!(sent, jiff::civil::date(2026, 12, 7), "the Monday after the week");
    let a: Vec<String> = agenda(&p, &Facts::default(), sent)
        .iter()
        .map(|i| i.to_string())
        .collect();
    // Standing figures: 2 charters of 4 at break-even, 2 x 1,400 short a month.
    assert_eq!(
        a[0],
        "Fix: QueenofSanDiego: Booking pipeline below break-even: 2 of 4 charters this month: \
         owner CMO, due 2026-12-14, worth $2,800 a month"
    );
    assert!(a.contains(
        &"Secure: QueenofSanDiego: Plaintext credentials file in git history: owner CTO, due 2026-12-21".to_string()
    ));
    assert_eq!(
        a.last().unwrap(),
        "Launch: Email the list about private charters: owner CMO, due 2027-01-06, worth $925 a month"
    );
    // The WAF is one recommendation, not one per entity.
    assert_eq!(a.iter().filter(|l| l.contains("WAF")).count(), 1, "{a:?}");
    assert_eq!(send_date("2026-12"), Some(jiff::civil::date(2027, 1, 1)));
}

#[test]
fn cto_derives_gaps_from_the_deployed_stack() {
    let facts = Facts {
        functions: vec![DeployedFunction {
            name: "qsd-shipcaptaincrew".into(),
            environment_keys: vec!["RUST_LOG".into(), "STRIPE_SECRET_KEY".into(), "BOSUN_TABLE_CREW".into()],
            url_auth: Some("NONE".into()),
        }],
        ..Facts::default()
    };
    let gaps = security_gaps(&demo(), &facts);
    let texts: Vec<&str> = gaps.iter().map(|g| g.1.as_str()).collect();
    assert!(texts
        .iter()
        .any(|t| t.contains("STRIPE_SECRET_KEY looks like a secret")));
    assert!(!texts
        .iter()
        .any(|t| t.contains("RUST_LOG") || t.contains("BOSUN_TABLE_CREW")));
    assert!(texts.iter().any(|t| t.contains("public function URL")));
    assert_eq!(gaps[0].0, Severity::Critical);
}

/// The seed's figure: the 3,676-person list is a $10K–50K concert
/// booking opportunity. 3676 x 0.18 x 0.0015 = 0.99 -> 1 booking;
/// 3676 x 0.28 x 0.0049 = 5.04 -> 5 bookings; at $10K a booking.
#[test]
fn campaign_expected_value_range() {
    let (deals, value) = campaign_range(demo().campaign.as_ref().unwrap());
    assert!((deals[0] - 0.992_52).abs() < 1e-6, "{deals:?}");
    assert!((deals[1] - 5.043_472).abs() < 1e-6, "{deals:?}");
    assert_eq!(money(value[0]), "$10,000");
    assert_eq!(money(value[1]), "$50,000");
}

/// A range of deal values times a range of deals would square the
/// spread (the old model printed $13,234 to $514,640 for the same list).
#[test]
fn campaign_value_is_whole_deals_times_one_deal() {
    let mut c = demo().campaign.clone().unwrap();
    c.conversion_rate = [0.0, 0.0];
    assert_eq!(campaign_range(&c).1, [0.0, 0.0]);
    c.conversion_rate = [0.001, 0.001];
    let (deals, value) = campaign_range(&c);
    assert!(deals[0] < 1.0 && value[0] == 10_000.0, "{deals:?} {value:?}");
}

/// NOI counts every cost of running the property but the mortgage:
/// 3400 x 12 x 0.9 = 36,720 less maintenance 10,200 and property tax
/// 7,040 = 19,480; cap 3.04%; 1,623.33 - 1,900 = -276.67/mo. Fully let:
/// 40,800 - 17,240 = 23,560, cap 3.68%, 63.33/mo after the mortgage
/// (before, tax was left out: 4.78% and 650/mo).
#[test]
fn rental_figures() {
    let mut r = demo().assets.rental.unwrap();
    let f = rental(&r);
    assert!((f.annual_income - 36720.0).abs() < 1e-9);
    assert!((f.annual_operating_costs - 17240.0).abs() < 1e-9);
    assert!((f.net_operating_income - 19480.0).abs() < 1e-9);
    assert!((f.cap_rate - 0.0304375).abs() < 1e-9);
    assert!((f.monthly_cash_flow - (19480.0 / 12.0 - 1900.0)).abs() < 1e-9);
    r.occupancy = 1.0;
    let f = rental(&r);
    assert!((f.net_operating_income - 23560.0).abs() < 1e-9);
    assert!((f.cap_rate - 0.0368125).abs() < 1e-9);
    assert_eq!(money(f.monthly_cash_flow), "$63");
    // Insurance is an operating cost too.
    r.insurance_annual = Some(1200.0);
    assert!((rental(&r).net_operating_income - 22360.0).abs() < 1e-9);
}

#[test]
fn chart_of_accounts_follows_kinds_and_categories() {
    let chart = chart_of_accounts(&demo());
    assert!(chart.contains(&(4000, "Charter revenue".into())));
    assert!(chart.contains(&(4300, "Booking fees".into())));
    assert!(chart.contains(&(6000, "Infrastructure expense".into())));
    assert_eq!(chart.len(), 6 + 4 + 5);
}

#[test]
fn batches() {
    let p = demo();
    let c: Vec<&str> = reports("csuite", &p, &Facts::default(), "2026-W47")
        .unwrap()
        .iter()
        .map(|r| r.key)
        .collect();
    assert_eq!(c, ["ceo", "cfo", "cto", "cmo", "accounting"]);
    let pf: Vec<&str> = reports("portfolio", &p, &Facts::default(), "2026-11")
        .unwrap()
        .iter()
        .map(|r| r.key)
        .collect();
    assert_eq!(pf, ["rental", "deliveries", "billing"]);
    assert!(reports("nope", &p, &Facts::default(), "x").is_none());
}

/// A report for period P uses P's figures, compares with P-1, and says
/// so when P has none.
#[test]
fn dated_figures_and_the_change_since_the_month_before() {
    let p = demo();
    assert_eq!(month_of("2026-W49").as_deref(), Some("2026-12"));
    assert_eq!(month_of("2026-W53").as_deref(), Some("2026-12"), "Thursday 2026-12-31");
    assert_eq!(month_of("2027-W01").as_deref(), Some("2027-01"));
    assert_eq!(month_of("2026-11").as_deref(), Some("2026-11"));
    assert_eq!(month_of("soon"), None);

    let cfo_of = |period: &str| reports("csuite", &p, &Facts::default(), period).unwrap().remove(1);
    let lines = |r: &Report, heading: &str| {
        r.sections
            .iter()
            .find(|s| s.heading.starts_with(heading))
            .unwrap_or_else(|| panic!("no {heading} in {r:?}"))
            .lines
            .clone()
    };
    let nov = cfo_of("2026-11");
    assert!(lines(&nov, "Burn and break-even")
        .contains(&"Cash on hand: $47,017; runway: none needed: the last 3 months average a profit".to_string()));
    assert_eq!(
        lines(&nov, "Change since 2026-10")[0],
        "Charters booked: 2, up 1 from 1 in 2026-10"
    );
    let dec = cfo_of("2026-W49");
    assert_eq!(
        lines(&dec, "Change since 2026-11")[4],
        "Cash on hand: $53,588, up $6,571 from $47,017 in 2026-11"
    );
    // Runway divides cash by the trailing 3-month average burn, not one
    // month's: without the deliveries and client work every month loses.
    let mut lean = p.clone();
    lean.assets.deliveries.clear();
    lean.assets.clients.clear();
    let burn = |m: &str| {
        let (v, _) = lean.in_month(m);
        -Books::of(&v, v.finance.charters_this_month).net().dollars()
    };
    let (dec_view, _) = lean.in_month("2026-12");
    let c = cfo(&dec_view, &Facts::default());
    let avg = ((burn("2026-10") + burn("2026-11") + burn("2026-12")) / 3.0 * 100.0).round() / 100.0;
    assert!((c.burn_3m_avg - avg).abs() < 1e-9, "{} vs {avg}", c.burn_3m_avg);
    assert!((c.runway_months.unwrap() - dec_view.finance.cash_on_hand / avg).abs() < 1e-9);
    assert!((c.burn_3m_avg - c.net_burn).abs() > 1.0, "not one month's burn");
    assert!(!dec.sections.iter().any(|s| s.heading == "Data note"));
    // A weekly report says which month's books it quotes; a monthly one is
    // the month's books.
    assert!(lines(&dec, "Which figures")[0].starts_with("The week's report quotes the books of December 2026"));
    assert!(!nov.sections.iter().any(|s| s.heading == "Which figures"));
    // Three consecutive months say three different things.
    let oct = cfo_of("2026-10");
    assert_ne!(lines(&oct, "Burn and break-even"), lines(&nov, "Burn and break-even"));
    assert_ne!(lines(&nov, "Burn and break-even"), lines(&dec, "Burn and break-even"));

    // A month the file has no figures for: a note, the standing figures,
    // and the comparison with the month before it.
    let jan = cfo_of("2027-01");
    assert_eq!(jan.sections[0].heading, "Data note");
    assert!(jan.sections[0].lines[0].starts_with("No figures for 2027-01 in the data file yet"));
    assert!(lines(&jan, "Change since 2026-12")[0].starts_with("Charters booked: 2, down 2 from 4"));
    let far = cfo_of("2030-05");
    assert_eq!(
        lines(&far, "Change since 2030-04"),
        ["No figures for 2030-04 in the data file: nothing to compare with."]
    );
}

#[test]
fn live_charters_count_per_month_and_win_over_the_file() {
    let p = demo();
    let mut facts = Facts::default();
    facts.live_charters.insert("2026-12".into(), 7);
    facts.live_charters.insert("2026-11".into(), 5);
    let r = reports("csuite", &p, &facts, "2026-12").unwrap().remove(1);
    let change = &r.sections.last().unwrap().lines;
    assert_eq!(change[0], "Charters booked: 7, up 2 from 5 in 2026-11");
    assert!(r
        .sections
        .iter()
        .find(|s| s.heading == "Burn and break-even")
        .unwrap()
        .lines
        .iter()
        .any(|l| l.contains("live from the crew table")));
    // Every stream counted, both months make money: no runway to speak of.
    assert_eq!(
        change[5],
        "Runway: n/a (cash-flow positive), was n/a (cash-flow positive) in 2026-11"
    );
}

#[test]
fn the_billing_gap_shortfall_is_the_billing_audits_figure() {
    let p = demo();
    let (nov, _) = p.in_month("2026-11");
    let gap = computed_shortfalls(&nov, &Facts::default())
        .into_iter()
        .find(|s| s.1.starts_with("Billing gap"))
        .unwrap();
    // Client A's October work, 40 x 95 = 3,800 billed 2,850, is still
    // unbilled (950); Client B 30 x 110 = 3,300 billed 2,200 (1,100);
    // Client C 12.5 x 80 = 1,000 billed 0.
    assert_eq!(gap.0, "DangerousCentaur");
    assert_eq!(
        gap.1,
        "Billing gap: $3,050 of work unbilled on 3 client account(s) (billing audit)"
    );
    let audit = reports("portfolio", &p, &Facts::default(), "2026-11").unwrap();
    let billing = audit.iter().find(|r| r.key == "billing").unwrap();
    assert!(billing.sections[0]
        .lines
        .contains(&"Unbilled work in total, earlier months included: $3,050".to_string()));
    // Everything billed: no shortfall.
    let mut paid = nov.clone();
    for c in &mut paid.assets.clients {
        c.billed = c.hours * c.rate;
    }
    assert!(!computed_shortfalls(&paid, &Facts::default())
        .iter()
        .any(|s| s.1.starts_with("Billing gap")));
}

/// Unbilled work carries forward until it is billed: in December about
/// $3,450 is outstanding (A 950 from October, B 1,100 from November, C
/// 1,000 from November and 400 of December's), not December's $400.
/// Billing beyond a month's work pays the backlog down.
#[test]
fn unbilled_work_carries_forward_until_billed() {
    let p = demo();
    let (dec, _) = p.in_month("2026-12");
    let r = receivables(&dec);
    let unbilled: Vec<(&str, f64)> = r.iter().map(|x| (x.account, x.unbilled)).collect();
    assert_eq!(
        unbilled,
        [
            ("Client A (property manager)", 950.0),
            ("Client B (restaurant group)", 1100.0),
            ("Client C (nonprofit)", 1400.0)
        ]
    );
    assert_eq!(r.iter().map(|x| x.unbilled).sum::<f64>(), 3450.0);
    assert_eq!(r[2].work, 800.0);
    assert_eq!(r[2].backlog_before, 1000.0);
    // Client C pays December's work and 600 of the backlog.
    let mut paid = p.clone();
    let c = paid
        .assets
        .clients
        .iter_mut()
        .find(|c| c.account.starts_with("Client C") && c.month.as_deref() == Some("2026-12"))
        .unwrap();
    c.billed = 1400.0;
    let (dec, _) = paid.in_month("2026-12");
    let c = receivables(&dec).remove(2);
    assert_eq!((c.billed_from_backlog, c.unbilled), (600.0, 400.0));
    let audit = reports("portfolio", &paid, &Facts::default(), "2026-12").unwrap();
    let billing = audit.iter().find(|r| r.key == "billing").unwrap();
    assert!(billing.sections[0]
        .lines
        .contains(&"Billed this month for earlier months' work: $600".to_string()));
}

#[test]
fn cto_dev_cycle_waf_and_ranked_actions() {
    let p = demo();
    let actions = ranked_actions(&p, &Facts::default());
    assert_eq!(actions.len(), 10);
    assert!(
        actions[0].starts_with("1. Move payment keys out of Lambda environment"),
        "{actions:?}"
    );
    // Score ties keep file order: the calendar (5 x 2) before the tier copy (2 x 5).
    assert!(actions[8].starts_with("9. Availability calendar"), "{actions:?}");
    let cycle = dev_cycle(&p, &Facts::default());
    assert!(cycle.iter().all(|(ok, _)| !ok));
    // Two releases in bosun's history: rollback is in place, and the action says so.
    let facts = Facts {
        releases: 3,
        ..Facts::default()
    };
    let cycle = dev_cycle(&p, &facts);
    assert!(cycle[2].0 && cycle[2].1.contains("holds 3 releases"), "{cycle:?}");
    assert!(ranked_actions(&p, &facts)
        .iter()
        .any(|a| a.contains("Automated rollback on failed deploys")
            && a.ends_with("DONE: the release history shows rollback in place")));
    let gaps = security_gaps(&p, &Facts::default());
    // One WAF recommendation covering every entity without one.
    let waf: Vec<&String> = gaps.iter().map(|g| &g.1).filter(|g| g.contains("WAF")).collect();
    assert_eq!(
        waf,
        [
            "QueenofSanDiego, JADA, QuickDumpNow: no WAF in front of the public endpoints \
          (one web ACL with rate-based and managed rules covers them all)"
        ]
    );
    let mut walled = demo();
    for e in &mut walled.entities {
        e.waf = true;
    }
    assert!(!security_gaps(&walled, &Facts::default())
        .iter()
        .any(|g| g.1.contains("WAF")));
}

#[test]
fn ota_sequence_waits_for_the_certificate_of_insurance() {
    let mut p = demo();
    assert_eq!(
        ota_sequence(&p),
        [
            "1. Sailo: NEXT: list now",
            "2. GetMyBoat: after the step before",
            "3. Viator / GetYourGuide: waits for the certificate of insurance (not in place yet)"
        ]
    );
    p.ota_sequence[0].listed = true;
    p.ota_sequence[1].listed = true;
    p.finance.coi_in_place = true;
    assert_eq!(ota_sequence(&p)[2], "3. Viator / GetYourGuide: NEXT: list now");
}

#[test]
fn rental_audit_flags_due_and_missing() {
    let p = demo();
    let r = reports("portfolio", &p, &Facts::default(), "2026-12")
        .unwrap()
        .remove(0);
    let all: Vec<&String> = r.sections.iter().flat_map(|s| &s.lines).collect();
    let has = |t: &str| all.iter().any(|l| l.as_str() == t);
    assert!(
        has("DUE: lease ends: 2027-01-31, within 60 days of this report (2027-01-01)"),
        "{all:?}"
    );
    // The December report goes out on 1 January: the 10 December tax
    // date has passed by then.
    assert!(
        has("PAST: property tax due: 2026-12-10 ($7,040/yr), before this report (2027-01-01): confirm it was dealt with"),
        "{all:?}"
    );
    assert!(
        has("MISSING: insurance renews: no landlord insurance recorded"),
        "{all:?}"
    );
    assert!(has("OPEN: Dishwasher leak: $240 (reported 2026-12-02)"), "{all:?}");
    // The water heater was done in October: it shows then, not in December.
    assert!(!all.iter().any(|l| l.contains("Water heater")));
    let oct = reports("portfolio", &p, &Facts::default(), "2026-10")
        .unwrap()
        .remove(0);
    let oct_lines: Vec<&String> = oct.sections.iter().flat_map(|s| &s.lines).collect();
    assert!(oct_lines
        .iter()
        .any(|l| l.as_str() == "done: Water heater replacement: $1,450 (reported 2026-10-06)"));
    assert!(
        oct_lines
            .iter()
            .any(|l| l.as_str() == "Occupancy 61% (12 vacant day(s) of 31)"),
        "{oct_lines:?}"
    );
    assert!(oct_lines.iter().any(|l| l.starts_with("FLAG: occupancy below 90%")));
}

/// A repair done in a later month is open in the months before it.
#[test]
fn repairs_are_open_until_the_month_they_were_done() {
    let p = demo();
    let lines = |period: &str| -> Vec<String> {
        reports("portfolio", &p, &Facts::default(), period).unwrap()[0]
            .sections
            .iter()
            .flat_map(|s| s.lines.clone())
            .collect()
    };
    assert!(lines("2026-11").contains(&"OPEN: Balcony railing repair: $620 (reported 2026-11-18)".to_string()));
    assert!(lines("2026-12").contains(&"done: Balcony railing repair: $620 (reported 2026-11-18)".to_string()));
    assert!(!lines("2027-01").iter().any(|l| l.contains("Balcony")));
    assert!(!lines("2026-10").iter().any(|l| l.contains("Balcony")));
}

/// Live charters alone do not make a month comparable: every other
/// figure would be the file's standing one.
#[test]
fn a_month_without_figures_is_not_compared_even_with_live_charters() {
    let p = demo();
    let mut facts = Facts::default();
    facts.live_charters.insert("2030-04".into(), 3);
    facts.live_charters.insert("2030-05".into(), 4);
    let r = reports("csuite", &p, &facts, "2030-05").unwrap().remove(1);
    assert_eq!(
        r.sections.last().unwrap().lines,
        ["No figures for 2030-04 in the data file: nothing to compare with."]
    );
}

/// Crew cost = days x crew x the vessel's day rate: Cabo in December is
/// 7 x 3 x 250 = 5,250, so 11,500 - 6,600 - 5,250 = -350, a loss.
#[test]
fn delivery_fleet_utilisation_and_crew_cost() {
    let p = demo();
    let (dec, _) = p.in_month("2026-12");
    let cabo = dec.assets.deliveries.iter().find(|d| d.route.contains("Cabo")).unwrap();
    let f = delivery(&dec, cabo);
    assert_eq!(f.crew_cost, 5250.0);
    assert_eq!(f.margin, -350.0);
    let fl = fleet(&dec, "2026-12");
    assert_eq!(fl[0].1, 2);
    assert_eq!(fl[0].2, 8.0);
    assert!((fl[0].3 - 8.0 / 31.0).abs() < 1e-9);
    assert_eq!(fl[0].4, 500.0 + 5250.0);
}

/// Review fixes: a month without its own cash figure is not "checked"
/// against the standing one; a live count that differs from the file's is
/// not a data gap; break-even is whole-cent arithmetic; an earlier month's
/// client rows are added up before its balance carries, in any order.
#[test]
fn checks_only_what_the_file_states_and_counts_in_cents() {
    let p = demo();
    let jan = reports("csuite", &p, &Facts::default(), "2027-01").unwrap().remove(1);
    assert!(jan.sections.iter().all(|s| s.heading != "Data check"), "{jan:?}");
    let mut live = Facts::default();
    live.live_charters.insert("2026-12".into(), 7);
    let dec = reports("csuite", &p, &live, "2026-12").unwrap().remove(1);
    assert!(dec.sections.iter().all(|s| s.heading != "Data check"));

    let mut q = demo();
    q.finance.charter_price = 0.30;
    q.finance.charter_variable_cost = 0.20;
    // The standing figures fall short without charters.
    let c = cfo(&q, &Facts::default());
    let short = -Books::of(&q, 0).net_without_charters().0;
    assert!(short > 0);
    assert_eq!(i64::from(c.break_even_charters), (short + 9) / 10, "ceil in cents");

    let mut r = demo();
    let row = |hours: f64, billed: f64| crate::data::Client {
        account: "Client Z".into(),
        entity: None,
        month: Some("2026-10".into()),
        hours,
        rate: 100.0,
        billed,
    };
    r.assets.clients = vec![row(10.0, 0.0), row(0.0, 1500.0)];
    let (dec, _) = r.in_month("2026-12");
    let a = receivables(&dec).remove(0).backlog_before;
    r.assets.clients.reverse();
    let (dec, _) = r.in_month("2026-12");
    assert_eq!(a, receivables(&dec).remove(0).backlog_before);
    assert_eq!(a, 0.0, "1,000 of work, 1,500 billed in the same month");
}
