//! A bounded fuzz pass over the stack-file parser and validator (proptest):
//! whatever the text, `stack::parse` never panics, and every rejection is a
//! list of problems each with a line, a column, a key and a message.
//!
//! Inputs: arbitrary text, and the demo stack with random lines deleted,
//! duplicated, truncated or spliced with arbitrary tokens (most mutations
//! stay close to valid TOML, where the validator does its work).

use std::path::Path;

use proptest::prelude::*;

const DEMO: &str = include_str!("../../stacks/queenofsandiego.toml");

fn check(text: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/fuzz.toml");
    if let Err(e) = bosun::stack::parse(&file, text) {
        assert!(!e.problems.is_empty(), "an error with no problem for {text:?}");
        let lines = text.lines().count().max(1);
        for p in &e.problems {
            assert!(p.line >= 1 && p.line <= lines + 1, "line {} of {lines}: {p:?}", p.line);
            assert!(p.column >= 1, "{p:?}");
            assert!(!p.message.trim().is_empty(), "{p:?}");
        }
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Duplicate(usize),
    Truncate(usize, usize),
    Splice(usize, usize, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    let token = prop_oneof![
        Just("=".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("\"".to_string()),
        Just("{".to_string()),
        Just("-1".to_string()),
        Just("99999999999999999999".to_string()),
        Just("true".to_string()),
        Just("nan".to_string()),
        Just("[[functions]]".to_string()),
        Just("cron(0 0 ? * ? *)".to_string()),
        Just("\u{0}".to_string()),
        Just("é".to_string()),
        "[a-z_]{1,12}",
        ".{0,20}",
    ];
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(l, c)| Edit::Truncate(l, c)),
        (any::<usize>(), any::<usize>(), token).prop_map(|(l, c, t)| Edit::Splice(l, c, t)),
    ]
}

fn apply(edits: &[Edit]) -> String {
    let mut lines: Vec<String> = DEMO.lines().map(str::to_string).collect();
    for e in edits {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match e {
            Edit::Delete(i) => {
                lines.remove(i % n);
            }
            Edit::Duplicate(i) => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            Edit::Truncate(i, c) => {
                let l = &mut lines[i % n];
                let cut = l
                    .char_indices()
                    .map(|(b, _)| b)
                    .nth(c % (l.chars().count() + 1))
                    .unwrap_or(l.len());
                l.truncate(cut);
            }
            Edit::Splice(i, c, t) => {
                let l = &mut lines[i % n];
                let at = l
                    .char_indices()
                    .map(|(b, _)| b)
                    .nth(c % (l.chars().count() + 1))
                    .unwrap_or(l.len());
                l.insert_str(at, t);
            }
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,400}") {
        check(&text);
    }

    #[test]
    fn mutated_demo_stacks_never_panic(edits in proptest::collection::vec(edit(), 1..6)) {
        check(&apply(&edits));
    }
}

#[test]
fn the_unmutated_demo_is_valid() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/fuzz.toml");
    bosun::stack::parse(&file, DEMO).expect("demo stack parses");
}
