//! Preview the reports locally, or send them through AWS (or the emulator).
//!
//! ```text
//! exec-reports-preview [DATA_FILE] [--batch csuite|portfolio] [--period P] [--html] [--charts DIR] [--check]
//! exec-reports-preview [DATA_FILE] --period P --format json   # the figures every report prints, by name
//! exec-reports-preview --send --batch csuite [--period P]   # the handler, with BOSUN_* from the environment
//! ```
//! Without `--send` nothing touches AWS: the data file (default
//! stacks/data/portfolio.toml) is validated and every report of the batch
//! is printed (text, or HTML with --html); `--charts DIR` also writes each
//! chart as DIR/REPORT-CHART.png. `--check` only validates. The period is
//! an ISO week (csuite) or a month (portfolio): the data file's figures for
//! its month, compared with the month before.

use std::process::ExitCode;

use exec_reports::{data, engine, handle, period, render, Clients};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let batches: Vec<String> = match value("--batch") {
        Some(b) => vec![b],
        None => engine::BATCHES.iter().map(|b| b.to_string()).collect(),
    };
    if flag("--send") {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        return rt.block_on(async {
            let clients = Clients::from_env().await;
            let env = |k: &str| std::env::var(k).ok();
            let mut code = ExitCode::SUCCESS;
            for b in batches {
                let mut event = serde_json::json!({ "batch": b });
                if let Some(p) = value("--period") {
                    event["period"] = p.into();
                }
                match handle(event, &env, Some(&clients)).await {
                    Ok(out) => println!("{out}"),
                    Err(e) => {
                        eprintln!("error: {e}");
                        code = ExitCode::from(1);
                    }
                }
            }
            code
        });
    }
    let file = args
        .iter()
        .enumerate()
        .find(|(i, a)| {
            !a.starts_with("--")
                && (*i == 0 || !matches!(args[i - 1].as_str(), "--batch" | "--period" | "--charts" | "--format"))
        })
        .map(|(_, a)| a.clone())
        .unwrap_or_else(|| "stacks/data/portfolio.toml".into());
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {file}: {e}");
            return ExitCode::from(2);
        }
    };
    let portfolio = match data::parse(&file, &text) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if flag("--check") {
        println!("{file}: valid ({} entities)", portfolio.entities.len());
        return ExitCode::SUCCESS;
    }
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    if value("--format").as_deref() == Some("json") {
        let p = value("--period").unwrap_or_else(|| period("portfolio", today));
        if engine::month_of(&p).is_none() {
            eprintln!("error: --period {p} is not an ISO week (YYYY-Www) or a month (YYYY-MM)");
            return ExitCode::from(2);
        }
        let figures = engine::key_figures(&portfolio, &engine::Facts::default(), &p);
        println!("{}", serde_json::json!({ "period": p, "figures": figures }));
        return ExitCode::SUCCESS;
    }
    for b in batches {
        let p = value("--period").unwrap_or_else(|| period(&b, today));
        if engine::month_of(&p).is_none() {
            eprintln!("error: --period {p} is not an ISO week (YYYY-Www) or a month (YYYY-MM)");
            return ExitCode::from(2);
        }
        let Some(reports) = engine::reports(&b, &portfolio, &engine::Facts::default(), &p) else {
            eprintln!(
                "error: unknown batch {b}: expected one of {}",
                engine::BATCHES.join(", ")
            );
            return ExitCode::from(2);
        };
        for r in reports {
            if let Some(dir) = value("--charts") {
                for c in &r.charts {
                    let path = std::path::Path::new(&dir).join(format!("{}-{}.png", r.key, c.id));
                    let written = exec_reports::charts::png(c)
                        .and_then(|png| std::fs::write(&path, png).map_err(|e| e.to_string()));
                    if let Err(e) = written {
                        eprintln!("error: cannot write {}: {e}", path.display());
                        return ExitCode::from(1);
                    }
                }
            }
            println!("Subject: {}\n", render::subject(&portfolio.company, &r));
            if flag("--html") {
                println!("{}\n", render::html(&portfolio.company, &r));
            } else {
                println!("{}", render::text(&portfolio.company, &r));
            }
            println!("{}", "=".repeat(72));
        }
    }
    ExitCode::SUCCESS
}
