//! The layering rule, kept true by reading the source: the pure core
//! (`model/`, `plan/`, `release.rs`) never reaches AWS, and the AWS layer
//! (`aws/`) depends on nothing above it but the model and the pure policy
//! documents. See docs/DESIGN.md, "Where things live".

use std::path::{Path, PathBuf};

use crate::util::root;

/// Every `.rs` file under `path` (or `path` itself).
fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// `file:line: text` for each line of the files under `paths` that `bad` flags.
fn offending(paths: &[&str], bad: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for p in paths {
        for file in rust_files(&root().join(p)) {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                if bad(code) {
                    let rel = file.strip_prefix(root()).unwrap_or(&file).display().to_string();
                    out.push(format!("{rel}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    out
}

/// A reference to the AWS layer or an AWS SDK crate, or async code.
fn reaches_aws(code: &str) -> bool {
    [
        "crate::aws",
        "aws_sdk_",
        "aws_config",
        "aws_smithy",
        "async fn",
        ".await",
    ]
    .iter()
    .any(|needle| code.contains(needle))
}

const CORE: &[&str] = &["src/model", "src/plan", "src/release.rs"];

#[test]
fn the_pure_core_never_reaches_aws() {
    let found = offending(CORE, reaches_aws);
    assert!(
        found.is_empty(),
        "plan/, model/ and release.rs must stay pure (no crate::aws, no SDK, no async):\n{}",
        found.join("\n")
    );
    // The scan itself works: the observer, which is the AWS side, is flagged.
    assert!(!offending(&["src/observe.rs"], reaches_aws).is_empty());
}

#[test]
fn the_aws_layer_depends_only_on_the_model_and_policy_documents() {
    let upward = |code: &str| {
        code.match_indices("crate::").any(|(i, _)| {
            !["crate::model", "crate::policy", "crate::aws"]
                .iter()
                .any(|ok| code[i..].starts_with(ok))
        })
    };
    let found = offending(&["src/aws"], upward);
    assert!(
        found.is_empty(),
        "aws/ may use crate::model and crate::policy only:\n{}",
        found.join("\n")
    );
    assert!(!offending(&["src/commands"], upward).is_empty());
}

/// Each top-level module of the crate rooted at `src` → the top-level
/// modules it names (`crate::X`), outside comments and test code (a
/// `#[cfg(test)]` block to the end of its file, `tests.rs` files). The
/// crate roots (`lib.rs`, `main.rs`) only declare modules and are left out.
fn module_imports(src: &Path) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut graph: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for file in rust_files(src) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if ["lib.rs", "main.rs", "tests.rs"].contains(&name.as_str()) {
            continue;
        }
        let rel = file.strip_prefix(src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let entry = graph.entry(top.clone()).or_default();
        for line in code.lines() {
            let line = line.split("//").next().unwrap_or_default();
            for (i, _) in line.match_indices("crate::") {
                let rest = &line[i + "crate::".len()..];
                let module: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !module.is_empty() && module != top {
                    entry.insert(module);
                }
            }
        }
    }
    graph
}

/// Pairs of modules that import each other.
fn mutual_imports(src: &Path) -> Vec<(String, String)> {
    let graph = module_imports(src);
    let mut out = Vec::new();
    for (a, deps) in &graph {
        for b in deps {
            if a < b && graph.get(b).is_some_and(|d| d.contains(a)) {
                out.push((a.clone(), b.clone()));
            }
        }
    }
    out
}

/// Pairs of files of one folder (`api/slots.rs`, `api/views.rs`) that
/// import each other, by `super::NAME` or `crate::FOLDER::NAME`, outside
/// comments and test code; `mod.rs` declares its folder's files and is
/// left out. As `folder/a ↔ folder/b`.
fn sibling_mutual_imports(src: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut folders: Vec<PathBuf> = rust_files(src)
        .iter()
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    folders.sort();
    folders.dedup();
    for dir in folders.into_iter().filter(|d| d != src) {
        let path = dir
            .strip_prefix(src)
            .unwrap()
            .iter()
            .map(|p| p.to_string_lossy())
            .collect::<Vec<_>>()
            .join("::");
        let siblings: std::collections::BTreeSet<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir() || p.extension().is_some_and(|x| x == "rs"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .filter(|n| n != "mod" && n != "tests")
            .collect();
        let mut graph: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
        for name in &siblings {
            let Ok(text) = std::fs::read_to_string(dir.join(format!("{name}.rs"))) else {
                continue;
            };
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let deps = graph.entry(name.clone()).or_default();
            for line in code.lines() {
                let line = line.split("//").next().unwrap_or_default();
                for prefix in ["super::".to_string(), format!("crate::{path}::")] {
                    for (i, _) in line.match_indices(prefix.as_str()) {
                        let rest = &line[i + prefix.len()..];
                        // `super::{a, b::c}` names each; `super::a` names one.
                        let names: Vec<&str> = match rest.strip_prefix('{') {
                            Some(list) => list.split('}').next().unwrap_or_default().split(',').collect(),
                            None => vec![rest],
                        };
                        for n in names {
                            let n: String = n
                                .trim()
                                .chars()
                                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                                .collect();
                            if siblings.contains(&n) && n != *name {
                                deps.insert(n);
                            }
                        }
                    }
                }
            }
        }
        for (a, deps) in &graph {
            for b in deps {
                if a < b && graph.get(b).is_some_and(|d| d.contains(a)) {
                    out.push(format!("{path}/{a} ↔ {path}/{b}"));
                }
            }
        }
    }
    out
}

/// No two modules import each other, in bosun and in each app — neither
/// two top-level modules nor two files of one folder: every dependency has
/// a direction a newcomer can follow down. The check itself flags planted
/// pairs.
#[test]
fn no_two_modules_import_each_other() {
    for src in ["src", "lambdas/shipcaptaincrew/src", "lambdas/exec-reports/src"] {
        let found = mutual_imports(&root().join(src));
        assert!(found.is_empty(), "{src}: modules importing each other: {found:?}");
        let found = sibling_mutual_imports(&root().join(src));
        assert!(
            found.is_empty(),
            "{src}: files of one folder importing each other: {found:?}"
        );
    }
    let nested = tempfile::tempdir().unwrap();
    std::fs::create_dir(nested.path().join("api")).unwrap();
    std::fs::write(
        nested.path().join("api/mod.rs"),
        "mod slots;
mod views;
mod shared;
",
    )
    .unwrap();
    std::fs::write(
        nested.path().join("api/slots.rs"),
        "use super::{shared, views::View};
",
    )
    .unwrap();
    std::fs::write(
        nested.path().join("api/views.rs"),
        "pub fn f() { crate::api::slots::g() }
",
    )
    .unwrap();
    std::fs::write(
        nested.path().join("api/shared.rs"),
        "// super::slots in a comment
",
    )
    .unwrap();
    assert_eq!(sibling_mutual_imports(nested.path()), ["api/slots ↔ api/views"]);
    let planted = tempfile::tempdir().unwrap();
    std::fs::write(planted.path().join("lib.rs"), "pub mod a;\npub mod b;\n").unwrap();
    std::fs::write(
        planted.path().join("a.rs"),
        "use crate::b::B;\n// crate::c in a comment\n",
    )
    .unwrap();
    std::fs::create_dir(planted.path().join("b")).unwrap();
    std::fs::write(
        planted.path().join("b/mod.rs"),
        "pub fn f() { crate::a::g() }\n#[cfg(test)]\nmod t { use crate::c; }\n",
    )
    .unwrap();
    std::fs::write(planted.path().join("c.rs"), "use crate::a::A;\n").unwrap();
    assert_eq!(mutual_imports(planted.path()), [("a".to_string(), "b".to_string())]);
}

/// The module map is docs/DESIGN.md's "Where things live", one copy: every
/// file of `src/` is in it (a top-level file by its name, a file of a
/// folder by its stem), so it cannot drift from the tree unnoticed.
#[test]
fn the_module_map_names_every_file() {
    let design = std::fs::read_to_string(root().join("docs/DESIGN.md")).unwrap();
    let start = design.find("## Where things live").expect("the section");
    let block = &design[start..];
    let block = &block[..block[3..].find("\n## ").map_or(block.len(), |e| e + 3)];
    let words: std::collections::BTreeSet<String> = block
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '/'))
        .flat_map(|w| {
            let w = w.trim_matches(|c| c == '.' || c == '/');
            [w.to_string(), w.trim_end_matches(".rs").to_string()]
        })
        .collect();
    let src = root().join("src");
    let mut missing = Vec::new();
    for file in rust_files(&src) {
        let rel = file.strip_prefix(&src).unwrap();
        let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        let name = parts.last().unwrap().clone();
        let known = match parts.len() {
            1 => words.contains(&name),
            _ => name == "mod.rs" || words.contains(name.trim_end_matches(".rs")),
        };
        let folder_known = parts.len() == 1 || words.contains(&parts[0]);
        if !(known && folder_known) {
            missing.push(rel.display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "docs/DESIGN.md \"Where things live\" lacks: {missing:?}"
    );
}
