//! `fabchart report` and `fabchart certs --format prometheus`, checked with real tools:
//! - the HTML page of talk, raft-2.5 and large holds no URL, renders in headless Chromium
//!   (offline, a fresh profile) to a non-blank screenshot, and the rendered DOM's diagram
//!   names every org; the page is the same bytes for the same OUT and `--now`;
//! - `--format svg` is well-formed XML (roxmltree) in the SVG namespace naming every org;
//! - due and expired certificates are highlighted, counted against the library's own list;
//! - the Prometheus exposition passes `promtool check metrics`, has one sample per
//!   certificate with openssl's notAfter, and escapes label values;
//! - a directory that is not a build's output is a clear error, not a panic.
//!
//! Chromium and promtool are Debian's `chromium` and `prometheus` packages
//! (scripts/install-tools.sh); these tests fail, never skip, without them. Chromium exits
//! when the page has loaded and the screenshot is written: no test waits on a clock.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;

use fabchart::crypto::certs::{self, CertInfo};

/// A fixed "now" for reproducible pages.
const NOW: &str = "2026-01-15T12:00:00Z";

fn require_tool(name: &str, package: &str) -> PathBuf {
    find_program(name).unwrap_or_else(|| panic!("`{name}` is missing: install Debian's `{package}` package (scripts/install-tools.sh does: run it, or scripts/test.sh)"))
}

fn build(example: &str, out: &Path) {
    let o = fabchart(&["build", &format!("values-examples/{example}.yaml"), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "build {example}: {}", stderr(&o));
}

fn org_names(out: &Path) -> Vec<String> {
    let plan = fabchart::version::read_record(&out.join("fabchart-plan.json")).unwrap();
    plan["orgs"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap().to_string()).collect()
}

/// Runs `fabchart report OUT ARGS`, asserting success; returns the file's text.
fn report(out: &Path, file: &Path, args: &[&str]) -> String {
    let mut all = vec!["report", out.to_str().unwrap(), "-o", file.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = fabchart(&all);
    assert!(o.status.success(), "report {args:?}: {}", stderr(&o));
    assert_eq!(stdout(&o), format!("wrote {}\n", file.display()));
    std::fs::read_to_string(file).unwrap()
}

/// Headless Chromium, offline, with a fresh profile: (`--dump-dom` output, screenshot path).
fn render(html: &Path, dir: &Path) -> (String, PathBuf) {
    let chromium = require_tool("chromium", "chromium");
    let url = format!("file://{}", html.canonicalize().unwrap().display());
    let run = |profile: &str, action: &[&str]| {
        let mut cmd = Command::new(&chromium);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1400,2000",
        ])
        .arg(format!("--user-data-dir={}", dir.join(profile).display()))
        .args(action)
        .arg(&url);
        let (ok, out, err) = run(&mut cmd);
        assert!(ok, "chromium {action:?} failed: {err}");
        (out, err)
    };
    let png = dir.join("report.png");
    let (_, err) = run("profile-shot", &[&format!("--screenshot={}", png.display())]);
    assert!(png.exists(), "chromium wrote no screenshot: {err}");
    let (dom, _) = run("profile-dom", &["--dump-dom"]);
    (dom, png)
}

/// (width, height, distinct colours, share of pixels unlike the dominant colour,
/// saturated pixels) of a PNG.
fn png_stats(path: &Path) -> (u32, u32, usize, f64, usize) {
    let bytes = std::fs::read(path).unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "{info:?}");
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected screenshot colour type {other:?}"),
    };
    let mut counts: std::collections::HashMap<[u8; 3], usize> = std::collections::HashMap::new();
    let mut saturated = 0;
    for row in buf[..info.buffer_size()].chunks(info.line_size) {
        for px in row.chunks(channels).take(info.width as usize) {
            let rgb = [px[0], px[1], px[2]];
            *counts.entry(rgb).or_default() += 1;
            if rgb.iter().max().unwrap() - rgb.iter().min().unwrap() > 60 {
                saturated += 1;
            }
        }
    }
    let total = (info.width * info.height) as f64;
    let dominant = *counts.values().max().unwrap() as f64;
    (info.width, info.height, counts.len(), 1.0 - dominant / total, saturated)
}

/// The page's checks, the same for every example; returns the page.
fn check_example(example: &str) -> String {
    let dir = tmp(example);
    let out = dir.join("out");
    build(example, &out);
    let orgs = org_names(&out);
    let file = dir.join("report.html");
    let html = report(&out, &file, &["--now", NOW]);

    // Self-contained: no URL at all, nothing to fetch.
    assert!(!html.contains("http://") && !html.contains("https://"), "{example}: the page holds a URL");
    for needle in ["<link", "<img", "src=", "@import", "url("] {
        assert!(!html.contains(needle), "{example}: the page loads something ({needle})");
    }
    assert!(html.contains("report generated 2026-01-15 12:00 UTC"), "{example}: the generation time");
    // No private key, not even a key file's name.
    assert!(!html.contains("PRIVATE KEY") && !html.contains("priv_sk") && !html.contains(".key<"), "{example}: key material in the page");
    // Reproducible: same OUT and --now, same bytes.
    let again = report(&out, &dir.join("again.html"), &["--now", NOW]);
    assert!(again == html, "{example}: two reports differ");

    // Rendered by a real browser: every org named in the diagram, a non-blank screenshot.
    let (dom, png) = render(&file, &dir);
    let start = dom.find("<svg class=\"diagram\"").unwrap_or_else(|| panic!("{example}: no diagram in the rendered DOM"));
    let diagram = &dom[start..start + dom[start..].find("</svg>").unwrap()];
    for org in &orgs {
        assert!(diagram.contains(&format!(">{org}<")), "{example}: org {org} is not in the rendered diagram");
    }
    for section in ["topology", "nodeports", "certificates", "releases", "changelog"] {
        assert!(dom.contains(&format!("<section id=\"{section}\"")), "{example}: no {section} section in the DOM");
    }
    let (w, h, colours, busy, saturated) = png_stats(&png);
    assert_eq!((w, h), (1400, 2000), "{example}: screenshot size");
    assert!(colours >= 200, "{example}: a nearly blank screenshot ({colours} colours)");
    assert!(busy >= 0.2, "{example}: {:.0}% of the screenshot differs from its background", busy * 100.0);
    assert!(saturated >= 2000, "{example}: {saturated} coloured pixels: the diagram did not render");
    println!("{example}: {} bytes of HTML; screenshot {colours} colours, {:.0}% non-background, {saturated} coloured pixels", html.len(), busy * 100.0);

    // The diagram alone: well-formed XML in the SVG namespace, every org named.
    let svg = report(&out, &dir.join("report.svg"), &["--format", "svg"]);
    let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{example}: the SVG is not XML: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
    let texts: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name(("http://www.w3.org/2000/svg", "text"))).filter_map(|n| n.text()).collect();
    for org in &orgs {
        assert!(texts.contains(&org.as_str()), "{example}: org {org} is not a text of the SVG");
    }
    assert_eq!(svg.matches("://").count(), 1, "{example}: the SVG namespace is its only URL");
    let _ = std::fs::remove_dir_all(&dir);
    html
}

#[test]
fn report_talk() {
    let html = check_example("talk");
    assert!(html.contains("NodePorts, no conflict"));
}

#[test]
fn report_raft_2_5() {
    let html = check_example("raft-2.5");
    // Two channels, drawn as lanes; CouchDB beside the peers of Org1 and Org2.
    assert_eq!(html.matches("<g class=\"channel\">").count(), 2);
    assert_eq!(html.matches(">CouchDB ×2<").count(), 2);
}

/// 20 orgs of 20 peers: peers drawn as one block per org, the umbrella release over 1 MiB.
#[test]
fn report_large() {
    let html = check_example("large");
    assert_eq!(html.matches("peer0 … peer19").count(), 20, "one grouped block per peer org");
    assert!(html.contains("is over the 1 MiB limit"), "the umbrella release is over the limit");
    assert!(html.contains("825 NodePorts, each used once"), "the NodePort banner");
}

/// notAfter as openssl prints it (`Nov 27 19:23:00 2036 GMT`), in Unix seconds.
fn openssl_end(cert: &Path) -> i64 {
    let (ok, out, err) = run(Command::new("openssl").args(["x509", "-enddate", "-noout", "-in"]).arg(cert));
    assert!(ok, "openssl: {err}");
    let v: Vec<&str> = out.trim().trim_start_matches("notAfter=").split_whitespace().collect();
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = time::Month::try_from(months.iter().position(|m| *m == v[0]).unwrap() as u8 + 1).unwrap();
    let hms: Vec<u8> = v[2].split(':').map(|x| x.parse().unwrap()).collect();
    let date = time::Date::from_calendar_date(v[3].parse().unwrap(), month, v[1].parse().unwrap()).unwrap();
    date.with_hms(hms[0], hms[1], hms[2]).unwrap().assume_utc().unix_timestamp()
}

/// A self-signed certificate (CN `cn`, valid `days`), its key written beside `dir`'s files
/// but outside any crypto store.
fn openssl_cert(path: &Path, key_dir: &Path, cn: &str, days: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let (ok, _, err) = run(Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", &days.to_string(), "-subj"])
        .arg(format!("/CN={}", cn.replace('\\', "\\\\")))
        .arg("-keyout")
        .arg(key_dir.join("throwaway.key"))
        .arg("-out")
        .arg(path));
    assert!(ok, "openssl req: {err}");
}

fn due_rows(html: &str) -> (usize, usize) {
    (html.matches("<tr class=\"due").count(), html.matches("<tr class=\"due expired\"").count())
}

/// A certificate that expires in 5 days is due, and highlighted in the table and on the
/// timeline; close to everyone's expiry every certificate is due, and after it expired.
#[test]
fn due_certificates_are_highlighted() {
    let dir = tmp("due");
    let out = dir.join("out");
    build("talk", &out);
    let store = out.join("crypto-config");
    let list = certs::list(&store).unwrap();
    let short = list.iter().find(|c| c.path.starts_with("peerOrganizations/") && c.path.ends_with("tls/server.crt") && !c.path.contains("ca-server")).unwrap().path.clone();
    openssl_cert(&store.join(&short), &dir, "peer0.org1", 5);
    let list = certs::list(&store).unwrap();

    // Now: just the short-lived certificate.
    let html = report(&out, &dir.join("now.html"), &[]);
    assert_eq!(due_rows(&html), (1, 0));
    let row = html.lines().find(|l| l.starts_with("<tr class=\"due\"")).unwrap();
    assert!(row.contains(&short) && row.contains("renew"), "{row}");
    assert_eq!(html.matches("class=\"mark due\"").count(), 1, "one due marker on the timeline");
    assert!(html.contains(&format!("<b>1 of {} certificates are due</b>", list.len())));

    // Ten days before the others expire: all due, the short one expired.
    let last = list.iter().map(|c| c.not_after).max().unwrap();
    let fmt = |t: time::OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap();
    let late = last - time::Duration::days(10);
    let html = report(&out, &dir.join("late.html"), &["--now", &fmt(late)]);
    let expect =
        |now: time::OffsetDateTime, within: i64| (list.iter().filter(|c: &&CertInfo| certs::due(c, now, within)).count(), list.iter().filter(|c| c.not_after <= now).count());
    assert_eq!(due_rows(&html), expect(late, 30));
    assert_eq!(due_rows(&html), (list.len(), 1));
    assert!(html.contains("class=\"card bad\""), "an expired certificate makes the summary red");
    // A narrower window: only the expired one.
    let html = report(&out, &dir.join("narrow.html"), &["--now", &fmt(late), "--within", "5"]);
    assert_eq!(due_rows(&html), (1, 1));
    // After everything expired.
    let html = report(&out, &dir.join("after.html"), &["--now", &fmt(last + time::Duration::days(1))]);
    assert_eq!(due_rows(&html), (list.len(), list.len()));
    let _ = std::fs::remove_dir_all(&dir);
}

fn promtool_check(metrics: &str) {
    let promtool = require_tool("promtool", "prometheus");
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), metrics.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "promtool check metrics: {}{}\n{metrics}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
}

fn samples(metrics: &str) -> Vec<&str> {
    metrics.lines().filter(|l| l.starts_with("fabchart_certificate_expiry_timestamp_seconds{")).collect()
}

#[test]
fn certs_prometheus_passes_promtool() {
    let dir = tmp("prom");
    let out = dir.join("out");
    build("raft-2.5", &out);
    let list = certs::list(&out.join("crypto-config")).unwrap();
    let o = fabchart(&["certs", out.to_str().unwrap(), "--format", "prometheus"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let metrics = stdout(&o);
    promtool_check(&metrics);
    assert_eq!(samples(&metrics).len(), list.len(), "one sample per certificate");
    assert!(metrics.contains(&format!("\nfabchart_certificates {}\n", list.len())));
    // A known certificate, against openssl's reading of it.
    let ca = list.iter().find(|c| c.is_ca && c.path.starts_with("peerOrganizations/org1/ca/")).unwrap();
    let line = samples(&metrics).into_iter().find(|l| l.contains(&format!("path=\"{}\"", ca.path))).unwrap();
    // Labelled as the org charts' recording rules are (namespace and slug from the plan).
    let expect = format!("{{namespace=\"org1\",org=\"org1\",path=\"{}\",common_name=\"{}\",kind=\"ca\",renewable=\"false\",ca=\"true\"}} ", ca.path, ca.common_name);
    assert!(line.starts_with(&format!("fabchart_certificate_expiry_timestamp_seconds{expect}")), "{line}");
    let peer_tls = samples(&metrics).into_iter().find(|l| l.contains("/peers/peer0.org2/tls/server.crt")).unwrap();
    assert!(peer_tls.contains("kind=\"tls\",renewable=\"true\",ca=\"false\""), "{peer_tls}");
    // The crypto store alone (no plan beside it): the store's folder names the org.
    let o = fabchart(&["certs", out.join("crypto-config").to_str().unwrap(), "--format", "prometheus"]);
    let bare = stdout(&o);
    promtool_check(&bare);
    assert!(samples(&bare).iter().all(|l| !l.contains("namespace=")), "no namespace without a plan");
    let value: i64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert_eq!(value, openssl_end(&out.join("crypto-config").join(&ca.path)));
    // The text format is unchanged: a table and exit 0 when nothing is due...
    let o = fabchart(&["certs", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("EXPIRES     DAYS  STATUS"));
    // ...and exit 3 when some are; Prometheus' format still exits 0 (the cron job goes on).
    assert_eq!(fabchart(&["certs", out.to_str().unwrap(), "--within", "4000"]).status.code(), Some(3));
    assert_eq!(fabchart(&["certs", out.to_str().unwrap(), "--within", "4000", "--format", "prometheus"]).status.code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Label values with a quote and a backslash (a hand-made store) are escaped as the
/// exposition format requires, and promtool reads them.
#[test]
fn certs_prometheus_escapes_labels() {
    let dir = tmp("prom-escape");
    let store = dir.join("store");
    let folder = "we\"ird\\org";
    openssl_cert(&store.join("peerOrganizations").join(folder).join("ca/ca-cert.pem"), &dir, "Org \"One\" \\ CA", 30);
    let o = fabchart(&["certs", store.to_str().unwrap(), "--format", "prometheus"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let metrics = stdout(&o);
    promtool_check(&metrics);
    let line = samples(&metrics)[0];
    assert!(line.contains(r#"org="we\"ird\\org""#), "{line}");
    assert!(line.contains(r#"common_name="Org \"One\" \\ CA""#), "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Not a build's output: an error naming what is missing and what to run; exit 1, no panic.
#[test]
fn report_of_a_non_build_is_a_clear_error() {
    let dir = tmp("bad");
    let check = |args: &[&str], expect: &[&str]| {
        let o = fabchart(args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(stdout(&o).is_empty());
        for e in expect {
            assert!(err.contains(e), "{args:?}: `{e}` not in: {err}");
        }
    };
    let missing = dir.join("nothing");
    check(&["report", missing.to_str().unwrap()], &["is not a directory", "fabchart build"]);
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    check(&["report", empty.to_str().unwrap()], &["fabchart-plan.json is missing", "fabchart build TOPOLOGY -o"]);
    std::fs::write(empty.join("fabchart-plan.json"), "{\"network\": 1}").unwrap();
    check(&["report", empty.to_str().unwrap()], &["not a fabchart plan"]);
    // A plan but no chart, then no crypto store.
    let out = dir.join("out");
    build("talk", &out);
    let chart = out.join("fabric-network");
    std::fs::rename(&chart, dir.join("chart-aside")).unwrap();
    check(&["report", out.to_str().unwrap()], &["fabric-network/values.yaml is missing", "fabchart build"]);
    std::fs::rename(dir.join("chart-aside"), &chart).unwrap();
    std::fs::rename(out.join("crypto-config"), dir.join("store-aside")).unwrap();
    check(&["report", out.to_str().unwrap()], &["crypto-config is missing", "--crypto-dir"]);
    // The store elsewhere, as `build --crypto-dir` leaves it.
    let store = dir.join("store-aside");
    let file = dir.join("r.html");
    let html = report(&out, &file, &["--crypto-dir", store.to_str().unwrap()]);
    assert!(html.contains("certificates, none due"));
    check(&["report", out.to_str().unwrap(), "--crypto-dir", store.to_str().unwrap(), "--now", "yesterday"], &["--now yesterday: not an RFC 3339 time"]);
    let _ = std::fs::remove_dir_all(&dir);
}
