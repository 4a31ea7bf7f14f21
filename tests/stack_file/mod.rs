//! Bad stack files: exit 2, every problem located (file, line, column,
//! key), no AWS call; and a bounded fuzz pass over the parser.

mod fuzz;

use crate::util::*;

fn bad(body: &str) -> Run {
    let stack = TestStack::new("bad", body);
    let path = stack.path_str();
    // Nothing listens on port 9: any AWS call would fail with exit 1, not 2.
    bosun_at("http://127.0.0.1:9", &["--stack", &path, "plan"])
}

#[test]
fn bad_stack_files_are_rejected_with_file_line_column_key_and_exit_2() {
    // (stack body, expected key path, expected message part, expected line)
    // Line 1-3 are [stack], name, region; line 4 is blank; the body starts at 5.
    let cases: &[(&str, &str, &str, usize)] = &[
        ("[stak]\nx = 1\n", "stak", "unknown key `stak`", 5),
        ("[functions.f]\nbinary = \"/bin/sh\"\nmemroy = 256\n", "functions.f.memroy", "did you mean `memory`", 7),
        ("[functions.f]\nbinary = \"/bin/sh\"\nmemory = \"big\"\n", "functions.f.memory", "expected an integer, found a string", 7),
        ("[functions.f]\nbinary = \"/bin/sh\"\nmemory = 20000\n", "functions.f.memory", "20000 is out of range", 7),
        ("[functions.f]\nbinary = \"/bin/sh\"\ntimeout = 0\n", "functions.f.timeout", "0 is out of range", 7),
        ("[functions.f]\nmemory = 256\n", "functions.f.crate", "missing required key `crate`", 5),
        ("[functions.f]\nbinary = \"/bin/sh\"\ntables = { nope = \"read\" }\n", "functions.f.tables.nope", "table `nope` is not declared", 7),
        ("[functions.f]\nbinary = \"/bin/sh\"\nsend_email = true\n", "functions.f.send_email", "no sender identity", 7),
        ("[functions.f]\nbinary = \"/bin/sh\"\nname = \"this-name-is-far-too-long-for-a-lambda-function-and-its-role-name\"\n", "functions.f.name", "not a valid Lambda function name", 7),
        ("[functions.f]\nbinary = \"/bin/sh\"\nenvironment = { AWS_REGION = \"x\" }\n", "functions.f.environment.AWS_REGION", "reserved by Lambda", 7),
        ("[functions.f]\nbinary = \"/bin/sh\"\nenvironment = { PORT = 8080 }\n", "functions.f.environment.PORT", "quote the value", 7),
        ("[functions.f]\nbinary = \"/bin/sh\"\narchitecture = \"sparc\"\n", "functions.f.architecture", "use one of: x86_64, arm64", 7),
        ("[functions.f]\ncrate = \"no/such/dir\"\n", "functions.f.crate", "no Cargo.toml", 6),
        ("[tables.t]\nbilling = \"provisioned\"\npartition_key = \"pk\"\n", "tables.t.read_capacity", "missing required key", 6),
        ("[ses]\nsender = \"not an address\"\n", "ses.sender", "neither an e-mail address nor a domain", 6),
        ("[functions.f]\nbinary = \"/bin/sh\"\nurl = { auth = \"open\" }\n", "functions.f.url.auth", "use one of: aws-iam, none", 7),
        // Lambda's key pattern is [a-zA-Z][a-zA-Z0-9_]+: two characters at least.
        ("[functions.f]\nbinary = \"/bin/sh\"\nenvironment = { A = \"x\" }\n", "functions.f.environment.A", "not a valid environment variable name", 7),
        // 4 KB covers BOSUN_SES_RECIPIENTS too: 150 addresses fit the stack's
        // own environment (none) but not the one bosun computes.
        (BIG_RECIPIENTS.as_str(), "functions.f.environment", "variable(s) bosun adds", 13),
        // A `${…}` reference counts at its longest value (a function URL is
        // about 70 characters), not as the 19 characters the file spells.
        (MANY_REFERENCES.as_str(), "functions.f.environment", "environment would be", 11),
    ];
    for (body, key, message, line) in cases {
        let run = bad(body);
        assert_eq!(run.code, 2, "case {key}: {run:?}");
        let located = format!("stack.toml:{line}:");
        assert!(
            run.stderr.contains(&located),
            "case {key}: expected {located} in\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!(": {key}: ")),
            "case {key}: key not named in\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains(message),
            "case {key}: expected {message:?} in\n{}",
            run.stderr
        );
        assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    }
}

static MANY_REFERENCES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let vars: Vec<String> = (0..120)
        .map(|i| format!("U{i:03} = \"${{functions.g.url}}\""))
        .collect();
    format!(
        "[functions.g]\nbinary = \"/bin/sh\"\nurl = {{ auth = \"none\" }}\n\n[functions.f]\nbinary = \"/bin/sh\"\nenvironment = {{ {} }}\n",
        vars.join(", ")
    )
});

static BIG_RECIPIENTS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let list: Vec<String> = (0..150)
        .map(|i| format!("\"crew-member-{i:03}@example.com\""))
        .collect();
    format!(
        "[ses]\nsender = \"reports@example.com\"\n[ses.recipients]\nall = [{}]\n\n[functions.f]\nbinary = \"/bin/sh\"\nsend_email = true\nenvironment = {{ RUST_LOG = \"info\" }}\n",
        list.join(", ")
    )
});

#[test]
fn all_problems_are_reported_at_once_and_as_json() {
    let body = "[functions.f]\nbinary = \"/bin/sh\"\nmemory = 1\ntimeout = 9999\nbogus = true\n";
    let run = bad(body);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.matches("stack.toml:").count(), 3 + 1, "{}", run.stderr); // header + 3

    let stack = TestStack::new("bad", body);
    let path = stack.path_str();
    let json = bosun_at("http://127.0.0.1:9", &["--stack", &path, "--output", "json", "plan"]);
    assert_eq!(json.code, 2);
    let err = json.result();
    assert_eq!(err["event"], "error");
    assert_eq!(err["exit_code"], 2);
    let problems = err["problems"].as_array().unwrap();
    let keys: Vec<&str> = problems.iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["functions.f.memory", "functions.f.timeout", "functions.f.bogus"]);
    assert_eq!(problems[0]["line"], 7);
    assert!(
        json.stderr.is_empty(),
        "json mode prints errors on stdout only: {}",
        json.stderr
    );
}

#[test]
fn invalid_toml_and_missing_file_are_bad_input() {
    let run = bad("[functions.f\n");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid TOML"), "{}", run.stderr);
    let run = bosun_at("http://127.0.0.1:9", &["--stack", "/no/such/stack.toml", "plan"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot read the stack file"), "{}", run.stderr);
}

/// `${…}` references are checked when the stack file is read: an unknown
/// target, a frontend without a distribution, a function without a URL, an
/// unknown attribute and an unclosed reference are refused, each at its line.
/// (References resolve to URLs, which never depend on a function's
/// configuration, so no reference cycle can be written.)
#[test]
fn references_to_unknown_or_url_less_resources_are_refused_at_their_line() {
    let cases: &[(&str, &str)] = &[
        ("${frontends.nope.url}", "no frontend `nope`"),
        ("${frontends.web.url}", "frontend `web` has no distribution"),
        ("${functions.g.url}", "function `g` has no URL"),
        ("${functions.nope.url}", "no function `nope`"),
        ("${functions.g.arn}", "not a reference bosun knows"),
        ("https://${frontends.web.url", "has no closing"),
    ];
    for (value, wanted) in cases {
        let body = format!(
            "[functions.f]\nbinary = \"/bin/sh\"\n\n[functions.f.environment]\nPUBLIC = \"{value}\"\n\n\
             [functions.g]\nbinary = \"/bin/sh\"\n\n[frontends.web]\ndir = \".\"\nbucket = \"b-site\"\n"
        );
        let run = bad(&body);
        assert_eq!(run.code, 2, "{value}: {run:?}");
        let line = run
            .stderr
            .lines()
            .find(|l| l.contains("functions.f.environment.PUBLIC"))
            .unwrap_or_else(|| panic!("{value}: {}", run.stderr));
        assert!(
            line.contains("stack.toml:9:") && line.contains(wanted),
            "{value}: {line}"
        );
    }
}
