//! The HTML page of `fabchart report`: a header with the network's figures, then the
//! diagram, the NodePort table, the certificate timeline, the release sizes and the
//! changelog. Self-contained: inline CSS, SVG and a few lines of script (table filters);
//! no URL, no font or image to fetch.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use time::{Date, Month, OffsetDateTime};

use super::{Overview, day, esc, fit, kib, minute, port_conflicts};
use crate::crypto::certs::{CertInfo, due};

/// Tables longer than this start folded.
const FOLD_OVER: usize = 40;

const CSS: &str = r##"
:root{--fg:#0f172a;--muted:#475569;--line:#e2e8f0;--bg:#f1f5f9;--card:#fff;--accent:#2563eb;--ok:#15803d;--warn:#b45309;--bad:#b91c1c}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#0f172a;color:#f8fafc;padding:18px 24px 20px}
header .wrap,main{max-width:1400px;margin:0 auto}
header h1{margin:0;font-size:22px;font-weight:700;letter-spacing:-.01em}
header h1 span{color:#93c5fd}
header p{margin:4px 0 0;color:#cbd5e1;font-size:13px}
nav{margin-top:10px;display:flex;gap:14px;flex-wrap:wrap;font-size:13px}
nav a{color:#bfdbfe;text-decoration:none}
nav a:hover{text-decoration:underline}
main{padding:16px 24px 48px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:0 0 16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px 14px}
.card b{display:block;font-size:22px;line-height:1.2}
.card span{color:var(--muted);font-size:12.5px}
.card.bad{border-color:#fca5a5;background:#fef2f2}.card.bad b{color:var(--bad)}
.card.warn{border-color:#fcd34d;background:#fffbeb}.card.warn b{color:var(--warn)}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:14px 20px 16px;margin:0 0 16px}
h2{font-size:17px;margin:0 0 10px}
h2 small{font-weight:400;color:var(--muted);font-size:13px;margin-left:6px}
.scroll{overflow-x:auto}
svg.diagram,svg.timeline{display:block;margin:4px 0 8px;max-width:100%;height:auto}
.note{color:var(--muted);font-size:13px;margin-top:0}
.banner{border-radius:8px;padding:8px 12px;margin-bottom:10px;font-size:13.5px}
.banner.ok{background:#f0fdf4;border:1px solid #86efac;color:#14532d}
.banner.bad{background:#fef2f2;border:1px solid #fca5a5;color:#7f1d1d}
.banner.warn{background:#fffbeb;border:1px solid #fcd34d;color:#78350f}
details>summary{cursor:pointer;font-weight:600;margin:6px 0;color:#1e3a8a}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#f8fafc;font-weight:600;color:#334155;position:sticky;top:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.path{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
tr.conflict td{background:#fee2e2}
tr.due td{background:#fef3c7}
tr.due.expired td{background:#fee2e2}
.tag{display:inline-block;border-radius:999px;padding:0 8px;font-size:12px;font-weight:600}
.tag.ok{background:#dcfce7;color:#14532d}.tag.due{background:#fde68a;color:#78350f}.tag.expired{background:#fecaca;color:#7f1d1d}.tag.bad{background:#fecaca;color:#7f1d1d}
.filter{margin-bottom:8px}
.filter input{font:inherit;padding:4px 8px;border:1px solid #cbd5e1;border-radius:6px;width:280px}
.tablebox{max-height:520px;overflow:auto;border:1px solid var(--line);border-radius:8px}
.bars{display:grid;grid-template-columns:190px 1fr 150px;gap:6px 12px;align-items:center;font-size:13px}
.bars .label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.bars .track{position:relative;height:18px;background:#f1f5f9;border-radius:4px}
.bars .fill{position:absolute;left:0;top:0;bottom:0;border-radius:4px}
.bars .fill.ok{background:#60a5fa}.bars .fill.warn{background:#f59e0b}.bars .fill.bad{background:#ef4444}
.bars .limit{position:absolute;top:-4px;bottom:-4px;border-left:2px dashed #0f172a}
.bars .value{font-variant-numeric:tabular-nums}
.bars .head{color:var(--muted);font-size:12px}
.log h3{font-size:15px;margin:14px 0 4px}
.log ul{margin:4px 0;padding-left:22px}
.log p{margin:4px 0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;background:#f1f5f9;border-radius:4px;padding:0 3px}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:8px}
"##;

const SCRIPT: &str = r##"
document.querySelectorAll('input[data-filter]').forEach(function(i){
  i.addEventListener('input',function(){
    var q=i.value.toLowerCase(),t=document.getElementById(i.getAttribute('data-filter'));
    if(t.closest('details'))t.closest('details').open=true;
    t.querySelectorAll('tbody tr').forEach(function(r){r.hidden=q!==''&&r.textContent.toLowerCase().indexOf(q)<0;});
  });
});
"##;

/// The whole page, for a given `now` and due window (`within` days).
pub fn html(o: &Overview, now: OffsetDateTime, within: i64) -> String {
    let mut s = String::new();
    let n = &o.network;
    let title = format!("{} — fabchart report", n.name);
    let _ = writeln!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>",
        esc(&title)
    );
    let _ = write!(
        s,
        "<header><div class=\"wrap\"><h1>Network <span>{}</span></h1><p>Hyperledger Fabric {} · {} · chart {} {} · built in {} · report generated {} by fabchart {}</p>\
         <nav><a href=\"#topology\">Topology</a><a href=\"#nodeports\">NodePorts</a><a href=\"#certificates\">Certificates</a><a href=\"#releases\">Release sizes</a><a href=\"#changelog\">Changelog</a></nav></div></header>\n<main>\n",
        esc(&n.name),
        esc(&n.fabric_version),
        esc(&n.consensus),
        esc(&n.chart_name),
        esc(&n.chart_version),
        esc(&o.out.display().to_string()),
        minute(now),
        env!("CARGO_PKG_VERSION")
    );

    let conflicts = port_conflicts(&o.ports, n.range);
    let due_n = o.certs.iter().filter(|(_, c)| due(c, now, within)).count();
    let expired_n = o.certs.iter().filter(|(_, c)| c.not_after <= now).count();
    let umbrella = o.releases.first().and_then(|r| r.bytes);
    let limit = crate::emit::RELEASE_LIMIT;
    s += "<div class=\"cards\">";
    let card = |s: &mut String, class: &str, big: String, small: String| {
        let _ = write!(s, "<div class=\"card {class}\"><b>{}</b><span>{}</span></div>", esc(&big), esc(&small));
    };
    card(&mut s, "", o.orgs.len().to_string(), format!("orgs ({} orderer, {} peer)", o.orgs.iter().filter(|x| x.orderer).count(), o.orgs.iter().filter(|x| !x.orderer).count()));
    card(&mut s, "", o.peers().to_string(), "peers".into());
    card(&mut s, "", o.orderers().to_string(), format!("orderers ({})", n.consensus));
    card(&mut s, "", o.channels.len().to_string(), "channels".into());
    if !o.chaincodes.is_empty() {
        card(&mut s, "", o.chaincodes.len().to_string(), "chaincodes".into());
    }
    card(
        &mut s,
        if conflicts.is_empty() { "" } else { "bad" },
        o.ports.len().to_string(),
        if conflicts.is_empty() { "NodePorts, no conflict".into() } else { format!("NodePorts, {} in conflict", conflicts.len()) },
    );
    card(
        &mut s,
        if expired_n > 0 {
            "bad"
        } else if due_n > 0 {
            "warn"
        } else {
            ""
        },
        o.certs.len().to_string(),
        if due_n == 0 { format!("certificates, none due within {within} days") } else { format!("certificates, {due_n} due ({expired_n} expired)") },
    );
    if let Some(u) = umbrella {
        card(
            &mut s,
            if u > limit {
                "bad"
            } else if u > limit * 9 / 10 {
                "warn"
            } else {
                ""
            },
            kib(u),
            format!("umbrella release ({}% of 1 MiB)", u * 100 / limit),
        );
    }
    s += "</div>\n";

    // (a) Topology.
    let _ = writeln!(
        s,
        "<section id=\"topology\"><h2>Topology<small>one namespace per org; channels as lanes, a dot per member org</small></h2>\n<div class=\"scroll\">{}</div></section>",
        super::diagram::svg(o, false)
    );

    // (b) NodePorts.
    ports(&mut s, o, &conflicts);
    // (c) Certificates.
    certificates(&mut s, o, now, within);
    // (d) Release sizes.
    releases(&mut s, o);
    // (e) Changelog.
    s += "<section id=\"changelog\"><h2>Changelog<small>the chart's CHANGELOG.md</small></h2>\n";
    match &o.changelog {
        Some(text) => {
            s += "<div class=\"log\">";
            s += &markdown(text);
            s += "</div>";
        }
        None => {
            let _ = write!(s, "<p class=\"note\">{}/CHANGELOG.md is missing.</p>", esc(&o.out.join(&n.chart_name).display().to_string()));
        }
    }
    s += "</section>\n";
    let _ = writeln!(s, "<footer>fabchart {} · {} · {}</footer>\n</main>\n<script>{SCRIPT}</script>\n</body>\n</html>", env!("CARGO_PKG_VERSION"), esc(&n.name), minute(now));
    s
}

fn ports(s: &mut String, o: &Overview, conflicts: &BTreeMap<usize, String>) {
    let n = &o.network;
    if !n.node_ports_enabled {
        *s += "<section id=\"nodeports\"><h2>NodePorts<small>disabled</small></h2>\n";
        *s += "<p class=\"banner ok\">NodePorts are disabled (Network.NodePorts.Enabled: false): every Service is ClusterIP.</p></section>\n";
        return;
    }
    let _ = writeln!(s, "<section id=\"nodeports\"><h2>NodePorts<small>{} published ports, range {}–{}</small></h2>", o.ports.len(), n.range.0, n.range.1);
    if conflicts.is_empty() {
        let _ = writeln!(s, "<div class=\"banner ok\">No conflict: {} NodePorts, each used once, all within {}–{}.</div>", o.ports.len(), n.range.0, n.range.1);
    } else {
        let _ = write!(s, "<div class=\"banner bad\"><b>{} NodePort conflicts</b><ul>", conflicts.len());
        for (i, why) in conflicts {
            let r = &o.ports[*i];
            let _ = write!(s, "<li>{} / {} ({}): {}</li>", esc(&r.org), esc(&r.node), r.port, esc(why));
        }
        *s += "</ul></div>\n";
    }
    let fold = o.ports.len() > FOLD_OVER;
    *s += "<div class=\"filter\"><input type=\"search\" placeholder=\"Filter NodePorts (org, node, port…)\" data-filter=\"ports-table\" aria-label=\"Filter NodePorts\"></div>\n";
    if fold {
        let _ = writeln!(s, "<details><summary>Show all {} NodePorts</summary>", o.ports.len());
    } else {
        *s += "<details open><summary>NodePorts</summary>\n";
    }
    *s += "<div class=\"tablebox\"><table id=\"ports-table\"><thead><tr><th>Org</th><th>Node</th><th>Namespace</th><th>Service</th><th class=\"num\">Port</th><th class=\"num\">NodePort</th><th>Status</th></tr></thead><tbody>\n";
    for (i, r) in o.ports.iter().enumerate() {
        let np = r.node_port.map(|p| p.to_string()).unwrap_or_else(|| "–".into());
        let (class, status) = match conflicts.get(&i) {
            Some(why) => (" class=\"conflict\"", format!("<span class=\"tag bad\">conflict</span> {}", esc(why))),
            None => ("", "<span class=\"tag ok\">ok</span>".to_string()),
        };
        let _ = writeln!(
            s,
            "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{np}</td><td>{status}</td></tr>",
            esc(&r.org),
            esc(&r.node),
            esc(&r.namespace),
            esc(&r.service),
            r.port
        );
    }
    *s += "</tbody></table></div></details></section>\n";
}

/// Certificates of one org, bucketed by expiry day.
struct Bucket {
    at: OffsetDateTime,
    count: usize,
    due: usize,
    expired: usize,
    ca: usize,
}

fn certificates(s: &mut String, o: &Overview, now: OffsetDateTime, within: i64) {
    let total = o.certs.len();
    let due_n = o.certs.iter().filter(|(_, c)| due(c, now, within)).count();
    let expired_n = o.certs.iter().filter(|(_, c)| c.not_after <= now).count();
    let _ = writeln!(
        s,
        "<section id=\"certificates\"><h2>Certificates<small>{total} issued certificates of {}, by expiry; due = expired or within {within} days of {}</small></h2>",
        esc(&o.store.display().to_string()),
        day(now)
    );
    if due_n == 0 {
        let _ = writeln!(
            s,
            "<div class=\"banner ok\">No certificate is expired or expires within {within} days. The first expires on {}.</div>",
            o.certs.first().map(|(_, c)| day(c.not_after)).unwrap_or_else(|| "–".into())
        );
    } else {
        let _ = writeln!(
            s,
            "<div class=\"banner {}\"><b>{due_n} of {total} certificates are due</b> ({expired_n} expired): renew them with <code>fabchart renew TOPOLOGY -o OUT --within {within}</code>.</div>",
            if expired_n > 0 { "bad" } else { "warn" }
        );
    }
    if total > 0 {
        *s += "<div class=\"scroll\">";
        *s += &timeline(o, now, within);
        *s += "</div>\n";
    }
    *s += "<div class=\"filter\"><input type=\"search\" placeholder=\"Filter certificates (org, name, path…)\" data-filter=\"certs-table\" aria-label=\"Filter certificates\"></div>\n";
    let _ = writeln!(s, "<details{}><summary>All {total} certificates</summary>", if total > FOLD_OVER { "" } else { " open" });
    *s += "<div class=\"tablebox\"><table id=\"certs-table\"><thead><tr><th>Org</th><th>Common name</th><th>Kind</th><th>Expires</th><th class=\"num\">Days left</th><th>Status</th><th>Certificate</th></tr></thead><tbody>\n";
    for (org, c) in &o.certs {
        let (class, tag) = if c.not_after <= now {
            (" class=\"due expired\"", "<span class=\"tag expired\">expired</span>")
        } else if due(c, now, within) {
            (" class=\"due\"", "<span class=\"tag due\">renew</span>")
        } else {
            ("", "<span class=\"tag ok\">ok</span>")
        };
        let _ = writeln!(
            s,
            "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{tag}</td><td class=\"path\">{}</td></tr>",
            esc(org),
            esc(&c.common_name),
            if c.is_ca { "CA" } else { "leaf" },
            day(c.not_after),
            c.days_left(now),
            esc(&c.path)
        );
    }
    *s += "</tbody></table></div></details></section>\n";
}

/// One row per org on a time axis: a dot per expiry day (its size grows with the count),
/// amber when due, red when expired; the due window and the past shaded.
fn timeline(o: &Overview, now: OffsetDateTime, within: i64) -> String {
    const W: f64 = super::diagram::WIDTH;
    const LEFT: f64 = 170.0;
    const RIGHT: f64 = 215.0;
    const ROW: f64 = 25.0;
    const TOP: f64 = 34.0;
    // Groups in the plan's org order, then any other folder of the store.
    let mut groups: Vec<(String, Vec<&CertInfo>)> = o.orgs.iter().map(|x| (x.name.clone(), vec![])).collect();
    for (org, c) in &o.certs {
        match groups.iter_mut().find(|(n, _)| n == org) {
            Some(g) => g.1.push(c),
            None => groups.push((org.clone(), vec![c])),
        }
    }
    groups.retain(|(_, v)| !v.is_empty());
    let window_end = now + time::Duration::days(within.max(0));
    let first = o.certs.iter().map(|(_, c)| c.not_after).min().unwrap_or(now).min(now);
    let last = o.certs.iter().map(|(_, c)| c.not_after).max().unwrap_or(now).max(window_end);
    let span = (last - first).whole_seconds().max(86_400) as f64;
    let (t0, t1) = (first.unix_timestamp() as f64 - span * 0.03, last.unix_timestamp() as f64 + span * 0.03);
    let plot = W - LEFT - RIGHT;
    let x = |t: OffsetDateTime| LEFT + (t.unix_timestamp() as f64 - t0) / (t1 - t0) * plot;
    let height = TOP + groups.len() as f64 * ROW + 56.0;
    let bottom = TOP + groups.len() as f64 * ROW;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg class="timeline" viewBox="0 0 {W} {height}" width="{W}" height="{height}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" role="img" aria-label="certificate expiry per org"><title>Certificate expiry per org</title>"##
    );
    for i in (1..groups.len()).step_by(2) {
        let _ = write!(s, r##"<rect x="0" y="{:.1}" width="{W}" height="{ROW}" fill="#f8fafc"/>"##, TOP + i as f64 * ROW);
    }
    // The past (expired) and the due window.
    let (xn, xw) = (x(now), x(window_end));
    if xn > LEFT {
        let _ = write!(
            s,
            r##"<rect x="{LEFT:.1}" y="{TOP}" width="{:.1}" height="{:.1}" fill="#fecaca" fill-opacity="0.45"><title>expired: before {}</title></rect>"##,
            (xn - LEFT).max(0.0),
            bottom - TOP,
            day(now)
        );
    }
    let _ = write!(
        s,
        r##"<rect x="{xn:.1}" y="{TOP}" width="{:.1}" height="{:.1}" fill="#fde68a" fill-opacity="0.55"><title>due: expiring within {within} days (until {})</title></rect>"##,
        (xw - xn).max(2.0),
        bottom - TOP,
        day(window_end)
    );
    // Ticks.
    for (t, label) in ticks(OffsetDateTime::from_unix_timestamp(t0 as i64).unwrap_or(first), OffsetDateTime::from_unix_timestamp(t1 as i64).unwrap_or(last)) {
        let tx = x(t);
        if !(LEFT..=W - RIGHT).contains(&tx) {
            continue;
        }
        let _ = write!(
            s,
            r##"<line x1="{tx:.1}" y1="{TOP}" x2="{tx:.1}" y2="{bottom:.1}" stroke="#e2e8f0"/><text x="{tx:.1}" y="{:.1}" font-size="12" fill="#475569" text-anchor="middle">{label}</text>"##,
            bottom + 18.0
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{xn:.1}" y1="{:.1}" x2="{xn:.1}" y2="{bottom:.1}" stroke="#0f172a" stroke-width="1.5"/><text x="{xn:.1}" y="{:.1}" font-size="12" font-weight="600" fill="#0f172a" text-anchor="{}">now {}</text>"##,
        TOP - 14.0,
        TOP - 18.0,
        if xn > W - RIGHT - 60.0 { "end" } else { "middle" },
        day(now)
    );
    let _ = write!(
        s,
        r##"<text x="0" y="{:.1}" font-size="12" font-weight="600" fill="#475569">org</text><text x="{W}" y="{:.1}" font-size="12" font-weight="600" fill="#475569" text-anchor="end">certificates</text>"##,
        TOP - 8.0,
        TOP - 8.0
    );
    for (i, (org, certs)) in groups.iter().enumerate() {
        let cy = TOP + i as f64 * ROW + ROW / 2.0;
        let _ = write!(s, r##"<line x1="{LEFT}" y1="{cy:.1}" x2="{:.1}" y2="{cy:.1}" stroke="#cbd5e1"/>"##, W - RIGHT);
        let _ = write!(
            s,
            r##"<text x="0" y="{:.1}" font-size="13" font-weight="600" fill="#0f172a">{}<title>{}</title></text>"##,
            cy + 4.5,
            esc(&fit(org, LEFT - 12.0, 13.0)),
            esc(org)
        );
        let mut buckets: BTreeMap<Date, Bucket> = BTreeMap::new();
        for c in certs {
            let b = buckets.entry(c.not_after.date()).or_insert(Bucket { at: c.not_after, count: 0, due: 0, expired: 0, ca: 0 });
            b.at = b.at.min(c.not_after);
            b.count += 1;
            b.due += usize::from(due(c, now, within));
            b.expired += usize::from(c.not_after <= now);
            b.ca += usize::from(c.is_ca);
        }
        for b in buckets.values() {
            let (class, fill) = if b.expired > 0 {
                ("mark due expired", "#dc2626")
            } else if b.due > 0 {
                ("mark due", "#f59e0b")
            } else {
                ("mark", "#2563eb")
            };
            let r = 5.0 + (b.count as f64).log2().min(6.0);
            let _ = write!(
                s,
                r##"<circle class="{class}" cx="{:.1}" cy="{cy:.1}" r="{r:.1}" fill="{fill}" fill-opacity="0.85" stroke="#ffffff" stroke-width="1.5"><title>{}: {} certificate{} expire{} on {} ({} CA){}</title></circle>"##,
                x(b.at),
                esc(org),
                b.count,
                if b.count == 1 { "" } else { "s" },
                if b.count == 1 { "s" } else { "" },
                day(b.at),
                b.ca,
                if b.expired > 0 {
                    format!(", {} expired", b.expired)
                } else if b.due > 0 {
                    format!(", {} due", b.due)
                } else {
                    String::new()
                }
            );
        }
        let d = certs.iter().filter(|c| due(c, now, within)).count();
        let next = certs.iter().map(|c| c.not_after).min().map(day).unwrap_or_default();
        let summary = format!("{} cert{} · first {next}", certs.len(), if certs.len() == 1 { "" } else { "s" });
        let _ = write!(
            s,
            r##"<text x="{W}" y="{:.1}" font-size="12.5" fill="#334155" text-anchor="end">{summary}{}</text>"##,
            cy + 4.5,
            if d > 0 { format!(r##" · <tspan fill="#b91c1c" font-weight="700">{d} due</tspan>"##) } else { String::new() }
        );
    }
    // Legend.
    let ly = bottom + 40.0;
    let mut lx = LEFT;
    let items: [(&str, &str, String); 5] = [
        ("rect", "#fecaca", "expired (before now)".to_string()),
        ("rect", "#fde68a", format!("due window ({within} days)")),
        ("circle", "#2563eb", "certificates expiring that day (size: how many)".to_string()),
        ("circle", "#f59e0b", "due".to_string()),
        ("circle", "#dc2626", "expired".to_string()),
    ];
    for (shape, fill, label) in items {
        if shape == "rect" {
            let _ = write!(s, r##"<rect x="{lx:.1}" y="{:.1}" width="14" height="14" fill="{fill}"/>"##, ly - 11.0);
        } else {
            let _ = write!(s, r##"<circle cx="{:.1}" cy="{:.1}" r="6" fill="{fill}"/>"##, lx + 7.0, ly - 4.0);
        }
        let _ = write!(s, r##"<text x="{:.1}" y="{ly:.1}" font-size="12" fill="#334155">{}</text>"##, lx + 20.0, esc(&label));
        lx += 20.0 + super::text_width(&label, 12.0) + 22.0;
    }
    s.push_str("</svg>\n");
    s
}

/// Axis ticks between `a` and `b`: years, or months, or days, at most about a dozen.
fn ticks(a: OffsetDateTime, b: OffsetDateTime) -> Vec<(OffsetDateTime, String)> {
    let days = (b - a).whole_days();
    let at = |d: Date| d.midnight().assume_utc();
    let mut out = vec![];
    if days > 3 * 365 {
        let step = ((b.year() - a.year()) / 12 + 1).max(1);
        let mut y = a.year() + 1;
        while y <= b.year() {
            if let Ok(d) = Date::from_calendar_date(y, Month::January, 1) {
                out.push((at(d), y.to_string()));
            }
            y += step;
        }
    } else if days > 60 {
        let months = (days / 30) as i32;
        let step = (months / 12 + 1).max(1);
        let (mut y, mut m) = (a.year(), a.month() as i32);
        for _ in 0..(months + 2) {
            m += 1;
            if m > 12 {
                m = 1;
                y += 1;
            }
            if (m - 1) % step != 0 {
                continue;
            }
            if let Ok(d) = Date::from_calendar_date(y, Month::try_from(m as u8).unwrap_or(Month::January), 1) {
                if at(d) > b {
                    break;
                }
                out.push((at(d), format!("{y}-{m:02}")));
            }
        }
    } else {
        let step = (days / 10).max(1);
        let mut d = a.date();
        while at(d) <= b {
            d = d.next_day().unwrap_or(d);
            if (d.to_julian_day() as i64) % step == 0 {
                out.push((at(d), d.to_string()));
            }
        }
    }
    out
}

fn releases(s: &mut String, o: &Overview) {
    let limit = crate::emit::RELEASE_LIMIT;
    let _ = writeln!(
        s,
        "<section id=\"releases\"><h2>Release sizes<small>estimated size of the Secret in which Helm stores each release, against Kubernetes' 1 MiB limit</small></h2>"
    );
    let umbrella = o.releases.first().and_then(|r| r.bytes);
    match umbrella {
        Some(u) if u > limit => {
            let _ = writeln!(
                s,
                "<div class=\"banner bad\"><b>The umbrella release ({}) is over the 1 MiB limit</b>: install one release per org (<code>helm install ORG {}/charts/ORG -f {}/secrets/ORG-crypto.yaml</code>).</div>",
                kib(u),
                esc(&o.out.join(&o.network.chart_name).display().to_string()),
                esc(&o.out.display().to_string())
            );
        }
        Some(u) if u > limit * 9 / 10 => {
            let _ = writeln!(s, "<div class=\"banner warn\">The umbrella release ({}) is near the 1 MiB limit.</div>", kib(u));
        }
        Some(u) => {
            let _ =
                writeln!(s, "<div class=\"banner ok\">The umbrella release ({}, {}% of the limit) fits: the whole network installs as one release.</div>", kib(u), u * 100 / limit);
        }
        None => {}
    }
    let missing: Vec<&str> = o.releases.iter().filter_map(|r| r.note.as_deref()).collect();
    if let Some(first) = missing.first() {
        let _ = writeln!(
            s,
            "<div class=\"banner warn\">{} of {} releases cannot be estimated ({}{}): the estimate measures the chart and the crypto values files of OUT/secrets.</div>",
            missing.len(),
            o.releases.len(),
            esc(first),
            if missing.len() > 1 { ", …" } else { "" }
        );
    }
    let max = o.releases.iter().filter_map(|r| r.bytes).max().unwrap_or(0).max(limit) as f64 * 1.08;
    let pct = |b: usize| b as f64 / max * 100.0;
    *s += "<div class=\"bars\"><div class=\"head\">release</div><div class=\"head\">size (dashed line: 1 MiB)</div><div class=\"head\">estimate</div>\n";
    for r in &o.releases {
        let label = match &r.org {
            None => format!("umbrella ({})", o.network.chart_name),
            Some(org) => format!("{org} ({})", r.label),
        };
        let _ = write!(s, "<div class=\"label\" title=\"{}\">{}</div>", esc(&label), esc(&label));
        match r.bytes {
            Some(b) => {
                let class = if b > limit {
                    "bad"
                } else if b > limit * 9 / 10 {
                    "warn"
                } else {
                    "ok"
                };
                let _ = writeln!(
                    s,
                    "<div class=\"track\"><div class=\"fill {class}\" style=\"width:{:.2}%\"></div><div class=\"limit\" style=\"left:{:.2}%\"></div></div><div class=\"value\">{} · {}%</div>",
                    pct(b),
                    pct(limit),
                    kib(b),
                    b * 100 / limit
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "<div class=\"track\"><div class=\"limit\" style=\"left:{:.2}%\"></div></div><div class=\"value\" title=\"{}\">unknown</div>",
                    pct(limit),
                    esc(r.note.as_deref().unwrap_or(""))
                );
            }
        }
    }
    *s += "</div>\n<p class=\"note\" style=\"margin-top:10px\">fabchart's estimate of base64(gzip(release)): the chart, its values and the rendered manifests, measured on the chart and the crypto values files in OUT (the umbrella's figure can differ from the one <code>fabchart build</code> printed by about 1%). The build warns above 90%.</p></section>\n";
}

/// The CHANGELOG's Markdown as HTML: `##` headings, `-` lists, paragraphs, `code`.
fn markdown(text: &str) -> String {
    let mut s = String::new();
    let mut in_list = false;
    let inline = |t: &str| -> String {
        let mut o = String::new();
        for (i, part) in t.split('`').enumerate() {
            if i % 2 == 1 {
                let _ = write!(o, "<code>{}</code>", esc(part));
            } else {
                o.push_str(&esc(part));
            }
        }
        o
    };
    for line in text.lines() {
        let l = line.trim_end();
        if let Some(item) = l.strip_prefix("- ") {
            if !in_list {
                s += "<ul>";
                in_list = true;
            }
            let _ = write!(s, "<li>{}</li>", inline(item));
            continue;
        }
        if in_list {
            s += "</ul>\n";
            in_list = false;
        }
        if l.is_empty() || l.starts_with("# ") {
            continue;
        }
        if let Some(h) = l.strip_prefix("## ") {
            let _ = writeln!(s, "<h3>{}</h3>", inline(h));
        } else {
            let _ = writeln!(s, "<p>{}</p>", inline(l));
        }
    }
    if in_list {
        s += "</ul>\n";
    }
    s
}
