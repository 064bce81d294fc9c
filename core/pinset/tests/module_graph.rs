//! The core's module graph runs one way: no top-level module of `src/` reaches itself through
//! `crate::<module>` references, and ARCHITECTURE.md lists that graph edge for edge. Comments
//! and unit-test code (`mod tests { … }`, `tests.rs`) are not counted: tests may reach across.
#![allow(clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The `crate::` module names in some code: `crate::a::…` and `crate::{a, b::{…}, …}`.
fn referenced(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            out.push(ident(rest));
            continue;
        };
        // The first name of each item at the group's own level.
        let (mut depth, mut item_start) = (0usize, true);
        for (i, c) in group.char_indices() {
            match c {
                '}' if depth == 0 => break,
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => item_start = true,
                c if item_start && (c.is_ascii_alphanumeric() || c == '_') => {
                    out.push(ident(&group[i..]));
                    item_start = false;
                }
                _ => {}
            }
        }
    }
    out
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn graph(src: &Path) -> Graph {
    let mut modules = BTreeSet::new();
    for entry in std::fs::read_dir(src).unwrap_or_else(|e| panic!("{}: {e}", src.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        if stem != "lib" {
            modules.insert(stem.into_owned());
        }
    }
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut g = Graph::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap_or(&file);
        let first = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy());
        let Some(first) = first else { continue };
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "lib" || file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let code: String = text
            .lines()
            .map(str::trim_start)
            .take_while(|l| !l.starts_with("mod tests {"))
            .filter(|l| !l.starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for m in referenced(&code) {
            if m != module && modules.contains(&m) {
                g.entry(module.clone()).or_default().insert(m);
            }
        }
    }
    g
}

/// A path `from` → … → `to`, if there is one.
fn path(g: &Graph, from: &str, to: &str) -> Option<Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![vec![from.to_owned()]];
    while let Some(p) = stack.pop() {
        let last = p.last().cloned().unwrap_or_default();
        for next in g.get(&last).into_iter().flatten() {
            let mut q = p.clone();
            q.push(next.clone());
            if next == to {
                return Some(q);
            }
            if seen.insert(next.clone()) {
                stack.push(q);
            }
        }
    }
    None
}

#[test]
fn the_core_module_graph_has_no_cycle() {
    let g = graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    for (m, deps) in &g {
        eprintln!(
            "{m} -> {}",
            deps.iter().cloned().collect::<Vec<_>>().join(" ")
        );
    }
    assert!(g.len() >= 10, "the graph was not read: {g:?}");
    let cycles: Vec<String> = g
        .keys()
        .filter_map(|m| path(&g, m, m).map(|p| p.join(" -> ")))
        .collect();
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

/// ARCHITECTURE.md lists every module's edges (`module → a b c`) and the modules without any on
/// the line that says `use no other module`; that list must be the graph of the code.
#[test]
fn architecture_md_shows_the_module_graph_as_it_is() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut g = graph(&root.join("src"));
    g.remove("fuzzing");
    let doc = root.join("../../ARCHITECTURE.md");
    let text = std::fs::read_to_string(&doc).unwrap_or_else(|e| panic!("{}: {e}", doc.display()));
    let mut listed = Graph::new();
    let mut leaves = BTreeSet::new();
    for line in text.lines() {
        if let Some((module, deps)) = line.split_once(" → ") {
            let module = module.trim();
            if !module.is_empty() && module.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                let deps = deps.split_whitespace().map(str::to_owned).collect();
                listed.insert(module.to_owned(), deps);
            }
        } else if let Some((names, _)) = line.split_once("use no other module") {
            leaves.extend(names.split_whitespace().map(str::to_owned));
        }
    }
    assert_eq!(
        listed, g,
        "ARCHITECTURE.md's module graph differs from the code's"
    );
    let mut modules: BTreeSet<String> = std::fs::read_dir(root.join("src"))
        .unwrap_or_else(|e| panic!("src: {e}"))
        .map(|e| e.unwrap_or_else(|e| panic!("{e}")).path())
        .map(|p| {
            p.file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|m| m != "lib" && m != "fuzzing" && !g.contains_key(m))
        .collect();
    modules.retain(|m| !leaves.contains(m));
    assert!(
        modules.is_empty(),
        "modules without edges that ARCHITECTURE.md does not list as such: {modules:?}"
    );
}

#[test]
fn the_reference_reader_sees_both_forms() {
    assert_eq!(
        referenced("use crate::{certificate, host::{self, HostError}};"),
        ["certificate", "host"]
    );
    assert_eq!(
        referenced("use crate::{\n    a::{b, c},\n    d,\n};"),
        ["a", "d"]
    );
    assert_eq!(
        referenced("x = crate::trust::read(p) + crate::file::f();"),
        ["trust", "file"]
    );
}
