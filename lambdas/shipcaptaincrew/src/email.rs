//! E-mail addresses as the app keys them: trimmed, lower-case, plausibly shaped.

/// The canonical form of an address, or None when it is not one.
pub fn normalize(raw: &str) -> Option<String> {
    let a = raw.trim().to_ascii_lowercase();
    let (local, domain) = a.split_once('@')?;
    let ok = a.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !a.contains("..")
        && a.chars().filter(|c| *c == '@').count() == 1
        && a.chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | ',' | ';' | '\\' | '(' | ')'));
    ok.then_some(a)
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn addresses() {
        assert_eq!(normalize("  Crew@Example.COM ").as_deref(), Some("crew@example.com"));
        for bad in [
            "",
            "crew",
            "@example.com",
            "crew@",
            "crew@example",
            "a@b@example.com",
            "a b@example.com",
            "a@example..com",
            "<a@example.com>",
        ] {
            assert_eq!(normalize(bad), None, "{bad:?}");
        }
    }
}
