//! The books: one model of the business for a month, line by line and per
//! entity, in whole cents. Revenue by stream (charters, other revenue,
//! client work, delivery fees, rent) and expenses (each entity's costs,
//! the charters' variable cost, delivery costs and crew, the rental's
//! operating costs) are booked once here; the CFO and accounting reports
//! read the month's revenue, expenses and result from these books, so no
//! two reports can disagree on whether the month made money.

use serde::Serialize;

use crate::data::{Kind, Portfolio};

/// Money in whole cents (never rounded twice, never a float sum).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Cents(pub i64);

impl Cents {
    /// An amount of dollars from the data file, to the cent.
    pub fn of(dollars: f64) -> Cents {
        Cents((dollars * 100.0).round() as i64)
    }

    pub fn dollars(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl std::ops::Add for Cents {
    type Output = Cents;
    fn add(self, o: Cents) -> Cents {
        Cents(self.0 + o.0)
    }
}

impl std::ops::Sub for Cents {
    type Output = Cents;
    fn sub(self, o: Cents) -> Cents {
        Cents(self.0 - o.0)
    }
}

impl std::ops::Neg for Cents {
    type Output = Cents;
    fn neg(self) -> Cents {
        Cents(-self.0)
    }
}

impl std::iter::Sum for Cents {
    fn sum<I: Iterator<Item = Cents>>(iter: I) -> Cents {
        Cents(iter.map(|c| c.0).sum())
    }
}

/// The revenue accounts charters are booked under (the charters' own
/// result drives break-even).
pub const CHARTERS: &str = "Charters";
pub const CHARTER_VARIABLE: &str = "Charter variable costs";

/// One line of the month's books: revenue is positive, an expense negative.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    /// The entity (or asset) whose line it is.
    pub entity: String,
    pub account: String,
    pub amount: Cents,
}

/// An entity's month: revenue, expenses and result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntityResult {
    pub entity: String,
    pub revenue: Cents,
    pub expenses: Cents,
    pub net: Cents,
}

/// The month's books.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Books {
    /// The income statement's lines.
    pub lines: Vec<Line>,
    /// The month's cash movements that are not the income statement's:
    /// client work is cash when billed (what is not billed stays owed), and
    /// the mortgage payment is cash out though not an expense. Every other
    /// line is taken as cash in the month it is booked (rental tax and
    /// insurance as if set aside monthly).
    pub cash_adjustments: Vec<Line>,
}

impl Books {
    /// The books of the month `p` is a view of (`Portfolio::in_month`),
    /// with `charters` booked (live from the crew table, or the file's).
    pub fn of(p: &Portfolio, charters: u32) -> Books {
        let mut lines = Vec::new();
        let mut cash_adjustments = Vec::new();
        let line = |entity: &str, account: &str, amount: Cents| Line {
            entity: entity.to_string(),
            account: account.to_string(),
            amount,
        };
        let mut book = |entity: &str, account: &str, amount: Cents| {
            if amount != Cents(0) {
                lines.push(line(entity, account, amount));
            }
        };
        let f = &p.finance;
        let charter_entity = p
            .entities
            .iter()
            .find(|e| e.kind == Kind::Charter)
            .map_or("Charters", |e| e.name.as_str());
        book(charter_entity, CHARTERS, Cents::of(f.charter_price) * charters);
        book(
            charter_entity,
            CHARTER_VARIABLE,
            -(Cents::of(f.charter_variable_cost) * charters),
        );
        book(
            "Other revenue (no entity named)",
            "Other revenue",
            Cents::of(f.other_monthly_revenue),
        );
        for e in &p.entities {
            for c in &e.costs {
                book(&e.name, &c.category, -Cents::of(c.monthly));
            }
        }
        let entity_name = |key: Option<&str>| {
            key.and_then(|k| p.entities.iter().find(|e| e.key == k))
                .map_or("Client work".to_string(), |e| e.name.clone())
        };
        // Dated rows (client work, deliveries) count in their own month only
        // (the file as read, not a month's view, has no month: undated rows).
        let month = p.view_month.as_deref();
        for c in &p.assets.clients {
            if c.month.as_deref().is_none_or(|m| Some(m) == month) {
                let entity = entity_name(c.entity.as_deref());
                let work = Cents::of(c.hours * c.rate);
                book(&entity, "Client work", work);
                cash_adjustments.push(line(&entity, "Client work not yet billed", -work));
                cash_adjustments.push(line(&entity, "Client billing", Cents::of(c.billed)));
            }
        }
        for d in p
            .assets
            .deliveries
            .iter()
            .filter(|d| d.month.as_deref().is_none_or(|m| Some(m) == month))
        {
            let crew = delivery(p, d).crew_cost;
            book("Yacht deliveries", "Delivery fees", Cents::of(d.fee));
            book("Yacht deliveries", "Delivery costs", -Cents::of(d.cost));
            book("Yacht deliveries", "Delivery crew", -Cents::of(crew));
        }
        if let Some(r) = &p.assets.rental {
            let figures = rental(r);
            book(&r.name, "Rent", Cents::of(figures.annual_income / 12.0));
            book(
                &r.name,
                "Rental operating costs",
                -Cents::of(figures.annual_operating_costs / 12.0),
            );
            cash_adjustments.push(line(&r.name, "Mortgage payment", -Cents::of(r.monthly_mortgage)));
        }
        Books {
            lines,
            cash_adjustments,
        }
    }

    pub fn revenue(&self) -> Cents {
        self.lines.iter().map(|l| l.amount).filter(|a| a.0 > 0).sum()
    }

    /// Every expense, as a positive amount.
    pub fn expenses(&self) -> Cents {
        -self.lines.iter().map(|l| l.amount).filter(|a| a.0 < 0).sum::<Cents>()
    }

    /// The month's result: revenue less expenses.
    pub fn net(&self) -> Cents {
        self.lines.iter().map(|l| l.amount).sum()
    }

    /// Money in less money out in the month, from the entries: the result,
    /// with client work counted as billed and the mortgage paid.
    pub fn net_cash_flow(&self) -> Cents {
        self.net() + self.cash_adjustments.iter().map(|l| l.amount).sum()
    }

    /// The result without the charters' own lines (what the charters must
    /// make up for the month to break even).
    pub fn net_without_charters(&self) -> Cents {
        self.lines
            .iter()
            .filter(|l| l.account != CHARTERS && l.account != CHARTER_VARIABLE)
            .map(|l| l.amount)
            .sum()
    }

    /// Each entity's month, in the order its first line was booked.
    pub fn by_entity(&self) -> Vec<EntityResult> {
        let mut out: Vec<EntityResult> = Vec::new();
        for l in &self.lines {
            let i = match out.iter().position(|e| e.entity == l.entity) {
                Some(i) => i,
                None => {
                    out.push(EntityResult {
                        entity: l.entity.clone(),
                        revenue: Cents(0),
                        expenses: Cents(0),
                        net: Cents(0),
                    });
                    out.len() - 1
                }
            };
            let e = &mut out[i];
            if l.amount.0 > 0 {
                e.revenue = e.revenue + l.amount;
            } else {
                e.expenses = e.expenses - l.amount;
            }
            e.net = e.net + l.amount;
        }
        out
    }
}

// ---- the figures of a rental and a delivery (read by the books and the
// portfolio reports alike)

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RentalFigures {
    /// Rent for a year at the occupancy (vacancy taken off).
    pub annual_income: f64,
    /// Maintenance, property tax and insurance for a year: every cost of
    /// running the property but the mortgage.
    pub annual_operating_costs: f64,
    pub net_operating_income: f64,
    /// NOI over the property's value.
    pub cap_rate: f64,
    /// NOI a month less the mortgage payment.
    pub monthly_cash_flow: f64,
}

pub fn rental(r: &crate::data::Rental) -> RentalFigures {
    let annual_income = r.monthly_rent * 12.0 * r.occupancy;
    let annual_operating_costs =
        r.monthly_expenses * 12.0 + r.property_tax_annual.unwrap_or(0.0) + r.insurance_annual.unwrap_or(0.0);
    let noi = annual_income - annual_operating_costs;
    RentalFigures {
        annual_income,
        annual_operating_costs,
        net_operating_income: noi,
        cap_rate: noi / r.value,
        monthly_cash_flow: noi / 12.0 - r.monthly_mortgage,
    }
}

/// One delivery's figures: crew cost from its vessel's day rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryFigures {
    pub route: String,
    pub crew_cost: f64,
    pub margin: f64,
}

pub fn delivery(p: &Portfolio, d: &crate::data::Delivery) -> DeliveryFigures {
    let rate = d
        .vessel
        .as_ref()
        .and_then(|v| p.assets.vessels.iter().find(|x| &x.name == v))
        .map_or(0.0, |v| v.crew_day_rate);
    let crew_cost = d.days * f64::from(d.crew) * rate;
    DeliveryFigures {
        route: d.route.clone(),
        crew_cost,
        margin: d.fee - d.cost - crew_cost,
    }
}

impl std::ops::Mul<u32> for Cents {
    type Output = Cents;
    fn mul(self, n: u32) -> Cents {
        Cents(self.0 * i64::from(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{cfo, figures, Facts};

    fn demo() -> Portfolio {
        crate::data::parse("portfolio.toml", include_str!("../../../stacks/data/portfolio.toml")).unwrap()
    }

    /// The identities every month's books keep, for any data: the CFO's
    /// result is the accounting report's is the sum of the entities'; the
    /// revenue less the expenses is the result; break-even charters are the
    /// fewest that bring the result to zero.
    fn reconciles(p: &Portfolio, month: &str) {
        let (view, _) = p.in_month(month);
        let c = cfo(&view, &Facts::default());
        let books = Books::of(&view, c.charters_this_month);
        let entities: Cents = books.by_entity().iter().map(|e| e.net).sum();
        assert_eq!(entities, books.net(), "{month}: entities sum to the whole");
        assert_eq!(books.revenue() - books.expenses(), books.net(), "{month}");
        assert_eq!(Cents::of(c.net), books.net(), "{month}: the CFO reads the books");
        let accounting = figures("accounting", &view, &Facts::default(), month);
        let result = accounting.iter().find(|f| f.0 == "Result").unwrap().1.unwrap();
        assert_eq!(Cents::of(result), books.net(), "{month}: accounting reads the books");
        assert_eq!(Cents::of(c.net_burn), Cents::of((-c.net).max(0.0)), "{month}");
        // Break-even: that many charters make the month whole, one fewer does not.
        let at = |n: u32| Books::of(&view, n).net();
        assert!(
            at(c.break_even_charters).0 >= 0,
            "{month}: break-even makes the month whole"
        );
        if c.break_even_charters > 0 {
            assert!(at(c.break_even_charters - 1).0 < 0, "{month}: break-even is the fewest");
        }
    }

    #[test]
    fn the_demo_books_reconcile_every_month() {
        let p = demo();
        for m in ["2026-10", "2026-11", "2026-12"] {
            reconciles(&p, m);
        }
        // The charters' variable cost is an expense line: the CFO's result
        // and the accounting report's are one figure (before, $1,362 of net
        // burn against a $438 profit for the same month).
        let (dec, _) = p.in_month("2026-12");
        let books = Books::of(&dec, 2);
        assert!(books
            .lines
            .iter()
            .any(|l| l.account == CHARTER_VARIABLE && l.amount == Cents(-90_000)));
        assert!(books
            .by_entity()
            .iter()
            .any(|e| e.entity == "Yacht deliveries" || e.entity.contains("rental")));
    }

    /// The demo's cash on hand follows from the entries, to the cent, in
    /// every month after the first; a cash figure that does not is named in
    /// the CFO report's "Data check", never shown silently.
    #[test]
    fn the_demo_cash_reconciles_and_a_gap_is_reported() {
        use crate::engine::{key_figures, reports};
        let p = demo();
        for m in ["2026-10", "2026-11", "2026-12"] {
            let f = key_figures(&p, &Facts::default(), m);
            let moved = Cents::of(f["cash.end"]) - Cents::of(f["cash.start"]);
            assert_eq!(moved, Cents::of(f["cash.net_flow"]), "{m}: {f:?}");
            for name in [
                "consolidated.revenue",
                "consolidated.expenses",
                "consolidated.net",
                "cfo.net",
                "accounting.net",
                "cash.start",
                "cash.end",
                "cash.net_flow",
                "cfo.burn_3m_avg",
                "rental.value",
                "rental.noi_annual",
                "rental.property_tax_annual",
                "rental.cap_rate",
                "receivables.unbilled",
                "receivables.billed_from_backlog",
            ] {
                assert!(f.contains_key(name), "{m}: no {name}");
            }
            assert_eq!(f["cfo.net"], f["accounting.net"]);
            assert_eq!(f["cfo.net"], f["consolidated.net"]);
            let cfo = reports("csuite", &p, &Facts::default(), m).unwrap().remove(1);
            assert!(cfo.sections.iter().all(|s| s.heading != "Data check"), "{m}");
        }
        let mut off = p.clone();
        off.months
            .iter_mut()
            .find(|r| r.month == "2026-12")
            .unwrap()
            .cash_on_hand = Some(36200.0);
        let cfo = reports("csuite", &off, &Facts::default(), "2026-12").unwrap().remove(1);
        let check = cfo
            .sections
            .iter()
            .find(|s| s.heading == "Data check")
            .expect("a data check");
        assert!(check.lines[0].contains("is not in the data file"), "{:?}", check.lines);
    }

    /// A small deterministic generator (xorshift), so the identities are
    /// checked over many portfolios without a new dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn amount(&mut self, max: u64) -> f64 {
            (self.next() % (max * 100)) as f64 / 100.0
        }
    }

    #[test]
    fn the_books_reconcile_for_generated_portfolios() {
        let base = demo();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200 {
            let mut p = base.clone();
            p.finance.charter_variable_cost = rng.amount(800);
            p.finance.charter_price = p.finance.charter_variable_cost + 1.0 + rng.amount(3000);
            p.finance.charters_this_month = (rng.next() % 12) as u32;
            p.finance.other_monthly_revenue = rng.amount(5000);
            for e in &mut p.entities {
                for c in &mut e.costs {
                    c.monthly = rng.amount(4000);
                }
            }
            for c in &mut p.assets.clients {
                c.hours = rng.amount(60);
                c.billed = rng.amount(6000);
            }
            for d in &mut p.assets.deliveries {
                d.fee = rng.amount(9000);
                d.cost = rng.amount(4000);
            }
            if let Some(r) = &mut p.assets.rental {
                r.occupancy = (rng.next() % 101) as f64 / 100.0;
                r.property_tax_annual = Some(rng.amount(12000));
            }
            p.months.clear();
            for m in ["2026-10", "2026-11", "2026-12"] {
                reconciles(&p, m);
            }
        }
    }
}
