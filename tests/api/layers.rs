//! The server's layer rule, read from its source: `plumbing/` imports nothing above it, `rules/`
//! nothing from `features/`, no layer imports the top (`wiring`, `cli`, `openapi`), and a feature
//! uses another only through what that feature's `mod.rs` exports, never its submodules.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments, so that a doc link is not an import.
fn code(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::a::b::c` path in `code`, as its segments, with `use crate::a::{b, c::{d, e}}`
/// trees read as the paths they stand for.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let mut rest = &code[at + "crate::".len()..];
        tree(&mut rest, Vec::new(), &mut paths);
    }
    paths
}

/// Read one use tree from the start of `rest`, adding each path it ends in to `out`.
fn tree(rest: &mut &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    loop {
        *rest = rest.trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            *rest = group;
            loop {
                tree(rest, path.clone(), out);
                *rest = rest.trim_start();
                if let Some(r) = rest.strip_prefix(',') {
                    *rest = r;
                    if let Some(r) = rest.trim_start().strip_prefix('}') {
                        *rest = r;
                        return;
                    }
                } else {
                    *rest = rest.strip_prefix('}').unwrap_or(rest);
                    return;
                }
            }
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        *rest = &rest[name.len()..];
        if !name.is_empty() && name != "self" {
            path.push(name);
        }
        match rest.strip_prefix("::") {
            Some(r) => *rest = r,
            None => break,
        }
    }
    // `as x` renames what the path names.
    if let Some(r) = rest.trim_start().strip_prefix("as ") {
        let r = r.trim_start();
        let len = r
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(r.len());
        *rest = &r[len..];
    }
    out.push(path);
}

/// Whether `code` says `feature::inner::` on its own, not as the tail of a longer path.
fn named_through(code: &str, feature: &str, inner: &str) -> bool {
    let needle = format!("{feature}::{inner}::");
    code.match_indices(&needle).any(|(at, _)| {
        !code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    })
}

fn submodules(feature: &Path) -> BTreeSet<String> {
    fs::read_dir(feature)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let stem = p.file_stem()?.to_str()?.to_owned();
            (stem != "mod").then_some(stem)
        })
        .collect()
}

#[test]
fn lower_layers_never_import_higher_ones_and_features_meet_through_their_facades() {
    let src = src();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 100,
        "read the server's source: {}",
        files.len()
    );
    let top = ["wiring", "cli", "openapi", "app"];
    let mut wrong = Vec::new();
    let mut reaches = BTreeSet::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let parts: Vec<&str> = relative.iter().map(|p| p.to_str().unwrap()).collect();
        let layer = parts[0];
        let text = code(file);
        for path in crate_paths(&text) {
            let Some(first) = path.first().map(String::as_str) else {
                continue;
            };
            let forbidden = match layer {
                "plumbing" => matches!(first, "rules" | "features") || top.contains(&first),
                "rules" => first == "features" || top.contains(&first),
                "features" => top.contains(&first),
                _ => false,
            };
            if forbidden {
                wrong.push(format!(
                    "{} imports crate::{}",
                    relative.display(),
                    path.join("::")
                ));
            }
            if layer == "features" && first == "features" && path.len() >= 3 {
                let (own, other, inner) = (parts[1], path[1].as_str(), path[2].as_str());
                if own != other && submodules(&src.join("features").join(other)).contains(inner) {
                    reaches.insert(format!("{own} -> {other}::{inner}"));
                }
            }
            // `use crate::features::x;` and then `x::inner::…` further down.
            if layer == "features" && first == "features" && path.len() == 2 && parts[1] != path[1]
            {
                let other = path[1].as_str();
                for inner in submodules(&src.join("features").join(other)) {
                    if named_through(&text, other, &inner) {
                        reaches.insert(format!("{} -> {other}::{inner}", parts[1]));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
    assert!(
        reaches.is_empty(),
        "a feature reaches into another's internals; use what its mod.rs exports, or an event \
         (rules::events): {reaches:?}"
    );
}

#[test]
fn a_feature_named_whole_is_still_caught_reaching_in() {
    assert!(named_through(
        "referrals::db::insert_new(tx)",
        "referrals",
        "db"
    ));
    assert!(!named_through(
        "crate::features::referrals::insert_new(tx)",
        "referrals",
        "db"
    ));
    assert!(!named_through("my_referrals::db::x", "referrals", "db"));
}

#[test]
fn the_reader_of_imports_sees_groups_and_nested_paths() {
    let paths = crate_paths(
        "use crate::features::{audit::{self, db::Kind}, auth};\nlet x = crate::plumbing::db::begin(p);",
    );
    assert!(paths.contains(&vec!["features".to_owned(), "audit".to_owned()]));
    assert!(paths.contains(&vec!["features".to_owned(), "auth".to_owned()]));
    assert!(paths.contains(&vec![
        "plumbing".to_owned(),
        "db".to_owned(),
        "begin".to_owned()
    ]));
}
