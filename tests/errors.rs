//! The error catalogue: one bad topology per file in tests/bad/, named after its mistake.
//! Each must fail with exit status 1 (never a panic), name the file with line and column,
//! and its full error text is snapshotted so reviewers read every message change.

mod common;
use common::*;

#[test]
fn every_bad_topology_is_rejected_with_a_located_error() {
    let files = yaml_files("tests/bad");
    assert!(files.len() >= 30, "the catalogue must hold at least 30 bad topologies, found {}", files.len());
    for f in files {
        let out = fabchart(&["check", &f]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{f}: exit status {:?}\n{err}", out.status);
        assert!(!err.contains("panicked"), "{f} panicked:\n{err}");
        assert!(err.contains("error: "), "{f}: no error reported\n{err}");
        assert!(stdout(&out).is_empty(), "{f}: printed ok on stdout");
        // Every error names the file; located ones as FILE:LINE:COL with the source line.
        for block in err.split("\n\n").filter(|b| b.starts_with("error: ") && b.contains("-->")) {
            let loc = block.lines().find(|l| l.contains("-->")).unwrap();
            assert!(loc.contains(&f), "{f}: {loc}");
            let located = loc.trim_start().trim_start_matches("--> ").trim_start_matches(f.as_str());
            if !located.is_empty() {
                let mut parts = located.trim_start_matches(':').split(':');
                assert!(parts.next().unwrap().parse::<usize>().is_ok(), "{f}: no line in {loc}");
                assert!(parts.next().unwrap().parse::<usize>().is_ok(), "{f}: no column in {loc}");
                assert!(block.contains(" | "), "{f}: the source line is not shown:\n{block}");
            }
        }
        snapshot!(format!("errors-{}", stem(&f)), err);
    }
}

/// Several mistakes in one file are all reported in one run.
#[test]
fn all_errors_are_reported_at_once() {
    let out = fabchart(&["check", "tests/bad/many-errors-at-once.yaml"]);
    let err = stderr(&out);
    let n = err.lines().filter(|l| l.starts_with("error: ")).count();
    assert!(n >= 6, "expected at least 5 errors and the summary, got {n}:\n{err}");
}
