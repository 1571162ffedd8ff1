//! The crate's layers are one-way: no top-level module of `src/` imports one that
//! imports it back (directly or through others), and only `data` uses polars.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module's Rust files' text.
fn modules() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(&src).expect("src/") {
        let path = e.expect("entry").path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if name == "lib" || name == "main" {
            continue;
        }
        let mut text = String::new();
        let mut stack = vec![path.clone()];
        while let Some(p) = stack.pop() {
            if p.is_dir() {
                for e in std::fs::read_dir(&p).unwrap() {
                    stack.push(e.unwrap().path());
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                text.push_str(&std::fs::read_to_string(&p).unwrap());
            }
        }
        out.entry(name).or_insert_with(String::new).push_str(&text);
    }
    out
}

/// The modules `text` names as `crate::<module>`, outside comments.
fn imports(text: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(p) = rest.find("crate::") {
            rest = &rest[p + 7..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if known.contains(&name) {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let mods = modules();
    let known: BTreeSet<String> = mods.keys().cloned().collect();
    let graph: BTreeMap<&str, BTreeSet<String>> = mods
        .iter()
        .map(|(m, text)| {
            let mut deps = imports(text, &known);
            deps.remove(m);
            (m.as_str(), deps)
        })
        .collect();
    assert!(graph.len() >= 15, "found only {} modules", graph.len());
    // Depth-first search for a cycle; report it as a path.
    fn visit<'a>(
        m: &'a str,
        graph: &'a BTreeMap<&'a str, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|p| *p == m) {
            let mut cycle: Vec<String> = path[start..].iter().map(|s| s.to_string()).collect();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m);
        for d in &graph[m] {
            if let Some(c) = visit(d.as_str(), graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m);
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(cycle) = visit(m, &graph, &mut Vec::new(), &mut done) {
            panic!("modules import each other: {}", cycle.join(" → "));
        }
    }
    // The layers the README names.
    for (upper, lower) in [("batch", "run"), ("report", "run"), ("report", "metrics")] {
        assert!(graph[upper].contains(lower), "{upper} should use {lower}");
    }
    for (m, never) in [
        ("report", "batch"),
        ("batch", "report"),
        ("market", "data"),
        ("run", "batch"),
    ] {
        assert!(!graph[m].contains(never), "{m} imports {never}");
    }
}

#[test]
fn only_data_uses_polars() {
    for (m, text) in modules() {
        if m == "data" {
            continue;
        }
        let uses = text
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .any(|code| code.contains("polars::") || code.contains("polars_"));
        assert!(!uses, "module `{m}` uses polars; only `data` may");
    }
}
