//! AWS's naming rules for what a stack file names: buckets, regions,
//! domains and addresses, functions, tables, aliases, environment keys.

pub(super) fn valid_bucket_name(s: &str) -> bool {
    let b = s.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'.')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && !s.contains("..")
}

pub(super) fn valid_stack_name(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=40).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

pub(super) fn valid_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok()
}

pub(super) fn valid_domain(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && s.len() <= 253
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

pub(super) fn valid_address(s: &str) -> bool {
    s.contains('@') && valid_sender(s)
}

pub(super) fn valid_batch(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

pub(super) fn valid_sender(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => !local.is_empty() && !local.contains(char::is_whitespace) && valid_domain(domain),
        None => valid_domain(s),
    }
}

pub(super) fn valid_function_name(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

pub(super) fn valid_table_name(s: &str) -> bool {
    (3..=255).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
}

pub(super) fn valid_alias(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        && !s.bytes().all(|c| c.is_ascii_digit())
}

/// Lambda's key pattern (Environment, Lambda API reference): `[a-zA-Z]([a-zA-Z0-9_])+`,
/// so at least two characters.
pub(super) fn valid_env_key(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// What is wrong with a cargo profile name (cargo's own rule: letters,
/// digits, '-' and '_'; `debug` is the dev profile's folder, not a profile),
/// with what to do instead. Whether the workspace defines the profile is
/// cargo's to say when it builds.
pub(super) fn cargo_profile_problem(s: &str) -> Option<(String, String)> {
    if s == "debug" {
        return Some((
            "`debug` is not a cargo profile (it is the folder of the `dev` profile)".into(),
            "use cargo_profile = \"dev\"".into(),
        ));
    }
    let ok = !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
    (!ok).then(|| {
        (
            format!("`{s}` is not a cargo profile name"),
            "name a profile of the crate's workspace: release, dev, or one of its [profile.NAME] tables (letters, digits, '-' and '_')".into(),
        )
    })
}
