//! Configuration, read once at start-up from the environment bosun sets on the
//! function (`BOSUN_TABLE_*`, `BOSUN_SES_SENDER`, `BOSUN_SECRET_JWT`) and the
//! stack's own `SCC_*` values. Every problem names the variable and what to do.

use std::collections::BTreeMap;

/// Everything the app needs to know that is not a secret.
#[derive(Debug, Clone)]
pub struct Config {
    /// DynamoDB table with events, slots, checklists, guests and members.
    pub crew_table: String,
    /// DynamoDB table with hashed invite codes and rate-limit counters.
    pub invites_table: String,
    /// The verified SES From address.
    pub sender: String,
    /// SSM parameter (SecureString) holding the token-signing secret.
    pub secret_parameter: String,
    /// Where the frontend lives: links in e-mails point here, never at the
    /// request's Host header. No trailing slash.
    pub public_url: String,
    pub marina: Marina,
    /// IANA time zone of the marina: the times people read.
    pub timezone: jiff::tz::TimeZone,
    pub timezone_name: String,
    /// Default departure offset from sunset, minutes (negative = before).
    pub depart_offset_min: i64,
    /// Default return offset from sunset, minutes.
    pub return_offset_min: i64,
    /// Addresses that are always admins (bootstrap: the first admin signs in by link).
    pub admins: Vec<String>,
    /// JWT `iss` and `aud`.
    pub issuer: String,
    pub audience: String,
    /// Session lifetime, seconds.
    pub session_ttl: i64,
    /// Invite code lifetime, seconds.
    pub code_ttl: i64,
    /// The frontend's origin when it is served from another host than the
    /// API (CloudFront in front of S3, the API on a function URL): CORS
    /// allows exactly this origin. None: same origin only.
    pub allowed_origin: Option<String>,
    /// Whether the client's address comes from `CloudFront-Viewer-Address`
    /// (`SCC_TRUST_VIEWER_ADDRESS=true`): only where the distribution's
    /// origin request policy sets that header (bosun's, with `api.headers`);
    /// elsewhere a viewer could send it.
    pub trust_viewer_address: bool,
    pub limits: Limits,
}

/// The marina the boats sail from.
#[derive(Debug, Clone)]
pub struct Marina {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
}

/// Rate limits: at most `n` per fixed window of `window` seconds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub window: i64,
    /// Sign-in links requested for (or invites sent to) one address.
    pub per_address: i64,
    /// Sign-in link requests from one IP.
    pub per_ip: i64,
    /// Code exchanges (right or wrong) from one IP: bounds code guessing.
    pub exchange_per_ip: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            window: 900,
            per_address: 5,
            per_ip: 20,
            exchange_per_ip: 20,
        }
    }
}

/// A configuration problem: which variable, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: String,
    pub problem: String,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_map(&std::env::vars().collect())
    }

    /// Reads the configuration from a map of variables (the environment).
    pub fn from_map(env: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        let required = |var: &str, what: &str| -> Result<String, ConfigError> {
            match env.get(var).map(|v| v.trim()) {
                Some(v) if !v.is_empty() => Ok(v.to_string()),
                _ => Err(ConfigError {
                    var: var.into(),
                    problem: format!("not set; {what}"),
                }),
            }
        };
        let optional = |var: &str, default: &str| env.get(var).cloned().unwrap_or_else(|| default.to_string());
        let number = |var: &str, default: &str| -> Result<f64, ConfigError> {
            let raw = optional(var, default);
            raw.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| ConfigError {
                    var: var.into(),
                    problem: format!("{raw:?} is not a number"),
                })
        };
        let minutes = |var: &str, default: &str| -> Result<i64, ConfigError> {
            let raw = optional(var, default);
            raw.trim()
                .parse::<i64>()
                .ok()
                .filter(|m| m.abs() <= 24 * 60)
                .ok_or_else(|| ConfigError {
                    var: var.into(),
                    problem: format!("{raw:?} is not a whole number of minutes within a day"),
                })
        };

        let public_url = required(
            "SCC_PUBLIC_URL",
            "set it to the frontend's address (https://…), e.g. in the stack's environment",
        )?;
        let public_url = public_url.trim_end_matches('/').to_string();
        check_public_url(&public_url).map_err(|why| ConfigError {
            var: "SCC_PUBLIC_URL".into(),
            problem: format!(
                "{public_url:?} {why}: it must be an https:// address (http:// only for 127.0.0.1 or localhost)"
            ),
        })?;
        let lat = number("SCC_MARINA_LAT", "32.7157")?;
        let lon = number("SCC_MARINA_LON", "-117.1611")?;
        if !(-90.0..=90.0).contains(&lat) {
            return Err(ConfigError {
                var: "SCC_MARINA_LAT".into(),
                problem: format!("{lat} is not a latitude"),
            });
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(ConfigError {
                var: "SCC_MARINA_LON".into(),
                problem: format!("{lon} is not a longitude"),
            });
        }
        let timezone_name = optional("SCC_TIMEZONE", "America/Los_Angeles");
        let timezone = jiff::tz::TimeZone::get(&timezone_name).map_err(|_| ConfigError {
            var: "SCC_TIMEZONE".into(),
            problem: format!("{timezone_name:?} is not an IANA time zone (e.g. America/Los_Angeles)"),
        })?;
        let admins = optional("SCC_ADMINS", "")
            .split(',')
            .map(|a| a.trim().to_ascii_lowercase())
            .filter(|a| !a.is_empty())
            .collect::<Vec<_>>();
        for a in &admins {
            if crate::email::normalize(a).is_none() {
                return Err(ConfigError {
                    var: "SCC_ADMINS".into(),
                    problem: format!("{a:?} is not an e-mail address"),
                });
            }
        }
        let allowed_origin = match env.get("SCC_ALLOWED_ORIGIN").map(|o| o.trim().trim_end_matches('/')) {
            None | Some("") => None,
            Some(o) if o.starts_with("https://") && !o["https://".len()..].contains('/') => Some(o.to_string()),
            Some(o) => {
                return Err(ConfigError {
                    var: "SCC_ALLOWED_ORIGIN".into(),
                    problem: format!("{o:?} must be an origin such as https://crew.example.com (no path)"),
                })
            }
        };
        let trust_viewer_address = match env.get("SCC_TRUST_VIEWER_ADDRESS").map(|v| v.trim()) {
            None | Some("") | Some("false") => false,
            Some("true") => true,
            Some(v) => {
                return Err(ConfigError {
                    var: "SCC_TRUST_VIEWER_ADDRESS".into(),
                    problem: format!("{v:?} must be true or false"),
                })
            }
        };
        Ok(Config {
            allowed_origin,
            trust_viewer_address,
            crew_table: required(
                "BOSUN_TABLE_CREW",
                "give the function the crew table (tables = { crew = … })",
            )?,
            invites_table: required(
                "BOSUN_TABLE_INVITES",
                "give the function the invites table (tables = { invites = … })",
            )?,
            sender: required(
                "BOSUN_SES_SENDER",
                "the stack needs [ses] sender and the function send_email = true",
            )?,
            secret_parameter: required(
                "BOSUN_SECRET_JWT",
                "declare the signing secret on the function (secrets = [\"jwt\"]); bosun creates the parameter",
            )?,
            public_url,
            marina: Marina {
                name: optional("SCC_MARINA_NAME", "Marina"),
                lat,
                lon,
            },
            timezone,
            timezone_name,
            depart_offset_min: minutes("SCC_DEPART_OFFSET_MIN", "-90")?,
            return_offset_min: minutes("SCC_RETURN_OFFSET_MIN", "30")?,
            admins,
            issuer: optional("SCC_ISSUER", "shipcaptaincrew"),
            audience: optional("SCC_AUDIENCE", "shipcaptaincrew-api"),
            session_ttl: 12 * 3600,
            code_ttl: 15 * 60,
            limits: Limits::default(),
        })
    }
}

/// The address links are built on: `https://HOST[:PORT][/PATH]`, or
/// `http://` with the host exactly 127.0.0.1, localhost or [::1] (local
/// runs). The host is parsed out and compared whole, so
/// `http://localhost.evil.com` is not local, and userinfo (`https://a@b`)
/// is refused: a link's host must be what it reads as.
fn check_public_url(url: &str) -> Result<(), &'static str> {
    let (scheme, rest) = url.split_once("://").ok_or("has no scheme")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err("has user information before its host");
    }
    if rest.contains(['?', '#']) {
        return Err("has a query or fragment");
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']').ok_or("has an unclosed [ in its host")?;
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':').ok_or("has text after its host")?)),
            }
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return Err("has a port that is not a number");
    }
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':'));
    if !valid_host {
        return Err("has no valid host");
    }
    match scheme {
        "https" => Ok(()),
        "http" if matches!(host, "127.0.0.1" | "localhost" | "::1") => Ok(()),
        "http" => Err("is http:// to a host that is not this machine"),
        _ => Err("has a scheme other than https"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut m: BTreeMap<String, String> = [
            ("BOSUN_TABLE_CREW", "crew"),
            ("BOSUN_TABLE_INVITES", "invites"),
            ("BOSUN_SES_SENDER", "crew@example.com"),
            ("BOSUN_SECRET_JWT", "/s/scc/jwt"),
            ("SCC_PUBLIC_URL", "https://crew.example.com/"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            m.insert(k.to_string(), v.to_string());
        }
        m
    }

    #[test]
    fn defaults_and_trailing_slash() {
        let c = Config::from_map(&env(&[])).unwrap();
        assert_eq!(c.public_url, "https://crew.example.com");
        assert_eq!(c.depart_offset_min, -90);
        assert_eq!(c.timezone_name, "America/Los_Angeles");
    }

    #[test]
    fn the_public_urls_host_is_compared_whole() {
        for ok in [
            "https://crew.example.com",
            "https://d111111abcdef8.cloudfront.net",
            "https://crew.example.com:8443/app",
            "http://127.0.0.1:8080",
            "http://localhost",
            "http://localhost:3000",
            "http://[::1]:8080",
        ] {
            assert_eq!(check_public_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://localhost.evil.com",
            "http://127.0.0.1.evil.com",
            "http://localhost@evil.com",
            "https://crew.example.com@evil.com",
            "http://evil.com/http://localhost",
            "ftp://crew.example.com",
            "crew.example.com",
            "https://",
            "https://crew.example.com?next=evil",
            "http://localhost:port",
        ] {
            assert!(check_public_url(bad).is_err(), "{bad}");
        }
        let e = Config::from_map(&env(&[("SCC_PUBLIC_URL", "http://localhost.evil.com")])).unwrap_err();
        assert!(e.to_string().contains("not this machine"), "{e}");
    }

    #[test]
    fn problems_name_the_variable() {
        let e = Config::from_map(&env(&[("SCC_PUBLIC_URL", "http://evil.example.com")])).unwrap_err();
        assert_eq!(e.var, "SCC_PUBLIC_URL");
        let e = Config::from_map(&env(&[("SCC_TIMEZONE", "Mars/Olympus")])).unwrap_err();
        assert!(e.to_string().contains("SCC_TIMEZONE"), "{e}");
        let e = Config::from_map(&env(&[("SCC_MARINA_LAT", "132")])).unwrap_err();
        assert_eq!(e.var, "SCC_MARINA_LAT");
        let e = Config::from_map(&env(&[("SCC_DEPART_OFFSET_MIN", "-90.5")])).unwrap_err();
        assert_eq!(e.var, "SCC_DEPART_OFFSET_MIN");
        let mut m = env(&[]);
        m.remove("BOSUN_SECRET_JWT");
        assert_eq!(Config::from_map(&m).unwrap_err().var, "BOSUN_SECRET_JWT");
    }
}
