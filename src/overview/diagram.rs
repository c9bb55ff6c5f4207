//! The network as one SVG: a card per org (its namespace: CA, peers or orderers, CouchDB,
//! Kafka and ZooKeeper, chaincode servers), and below them one horizontal lane per channel
//! with a dot at each member org (a square at the orgs that order it).
//!
//! It stays readable at any size: more than [`GROUP_OVER`] nodes of a kind become one
//! grouped block (`20 peers: peer0 … peer19`); up to [`ROW_MAX`] cards stand in one row,
//! aligned with the lanes' columns (rails drop from each card to its dots); more make a grid,
//! and the lanes get a header of org names instead. Every text is at least 11.5 px at 1:1
//! scale in a 1300 px wide drawing, and every element has a tooltip (`<title>`).

use std::fmt::Write as _;

use super::{Overview, esc, fit, text_width};

/// The drawing's width in pixels (the page shows it 1:1).
pub const WIDTH: f64 = 1300.0;
/// More nodes of one kind than this in an org are drawn as one block.
pub const GROUP_OVER: usize = 6;
/// Up to this many cards stand in one row above the lanes.
pub const ROW_MAX: usize = 6;

const GAP: f64 = 16.0;
const PAD: f64 = 12.0;
const HEAD: f64 = 48.0;
const CHIP_H: f64 = 24.0;
const CHIP_H2: f64 = 40.0;
const CHIP_GAP: f64 = 6.0;
const GUTTER: f64 = 180.0;
const LANE_H: f64 = 44.0;
const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const LANE_COLOURS: [&str; 8] = ["#2563eb", "#059669", "#c2410c", "#db2777", "#7c3aed", "#0e7490", "#4d7c0f", "#b91c1c"];
const ORDERER_COLOUR: &str = "#5b21b6";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Ca,
    Peer,
    Orderer,
    CouchDb,
    Kafka,
    ZooKeeper,
    Chaincode,
}

impl Style {
    /// (fill, stroke, text)
    fn colours(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Style::Ca => ("#fef3c7", "#d97706", "#78350f"),
            Style::Peer => ("#dbeafe", "#3b82f6", "#1e3a8a"),
            Style::Orderer => ("#ede9fe", "#8b5cf6", "#4c1d95"),
            Style::CouchDb => ("#fee2e2", "#ef4444", "#7f1d1d"),
            Style::Kafka => ("#ffedd5", "#f97316", "#7c2d12"),
            Style::ZooKeeper => ("#dcfce7", "#22c55e", "#14532d"),
            Style::Chaincode => ("#ccfbf1", "#14b8a6", "#134e4a"),
        }
    }
}

struct Chip {
    label: String,
    sub: Option<String>,
    tip: String,
    style: Style,
    /// Starts a new line of chips.
    wrap: bool,
}

impl Chip {
    fn new(label: impl Into<String>, tip: impl Into<String>, style: Style) -> Chip {
        Chip { label: label.into(), sub: None, tip: tip.into(), style, wrap: false }
    }
    fn height(&self) -> f64 {
        if self.sub.is_some() { CHIP_H2 } else { CHIP_H }
    }
    fn width(&self, max: f64) -> f64 {
        // Labels are bold: about 8% wider than text_width's regular estimate.
        let w = (text_width(&self.label, 12.5) * 1.08).max(self.sub.as_deref().map_or(0.0, |s| text_width(s, 11.5))) + 18.0;
        w.min(max)
    }
}

struct Card {
    /// The org's name (channels link to it); None for a Kafka cluster of its own.
    org: Option<String>,
    title: String,
    meta: String,
    kind: &'static str,
    accent: (&'static str, &'static str),
    chips: Vec<Chip>,
    footer: Option<String>,
}

/// Chips for a list of nodes of one kind: one each, or one block beyond GROUP_OVER.
fn node_chips(chips: &mut Vec<Chip>, hosts: &[String], singular: &str, plural: &str, style: Style, ns: &str) {
    if hosts.len() > GROUP_OVER {
        chips.push(Chip {
            label: format!("{} {plural}", hosts.len()),
            sub: Some(format!("{} … {}", hosts[0], hosts[hosts.len() - 1])),
            tip: format!("{} {plural} in namespace {ns}: {}", hosts.len(), hosts.join(", ")),
            style,
            wrap: false,
        });
    } else {
        for h in hosts {
            chips.push(Chip::new(h.clone(), format!("{singular} {h} in namespace {ns}"), style));
        }
    }
}

fn cards(o: &Overview, grid: bool) -> Vec<Card> {
    let mut cards = vec![];
    let kafka_home = o.kafka.as_ref().and_then(|k| o.orgs.iter().position(|x| x.namespace == k.namespace));
    for (i, org) in o.orgs.iter().enumerate() {
        let mut chips = vec![Chip::new("CA", format!("Fabric CA server {} of {} ({})", org.ca, org.name, org.msp_id), Style::Ca)];
        let hosts: Vec<String> = org.nodes.iter().map(|n| n.hostname.clone()).collect();
        if org.orderer {
            node_chips(&mut chips, &hosts, "orderer", "orderers", Style::Orderer, &org.namespace);
        } else {
            node_chips(&mut chips, &hosts, "peer", "peers", Style::Peer, &org.namespace);
        }
        let couch: Vec<&str> = org.nodes.iter().filter(|n| n.couchdb).map(|n| n.hostname.as_str()).collect();
        if !couch.is_empty() {
            let label = if couch.len() == 1 { "CouchDB".to_string() } else { format!("CouchDB ×{}", couch.len()) };
            chips.push(Chip::new(label, format!("CouchDB state database beside {}", couch.join(", ")), Style::CouchDb));
        }
        if let (Some(k), Some(true)) = (&o.kafka, kafka_home.map(|h| h == i)) {
            let first = chips.len();
            node_chips(&mut chips, &k.brokers, "Kafka broker", "Kafka brokers", Style::Kafka, &k.namespace);
            if let Some(c) = chips.get_mut(first) {
                c.wrap = true;
            }
            node_chips(&mut chips, &k.zookeepers, "ZooKeeper server", "ZooKeeper servers", Style::ZooKeeper, &k.namespace);
        }
        for cc in &o.chaincodes {
            if let Some((_, host)) = cc.servers.iter().find(|(org_name, _)| *org_name == org.name) {
                let on: Vec<&str> = cc.channels.iter().filter(|(_, orgs, _)| orgs.contains(&org.name)).map(|(c, _, _)| c.as_str()).collect();
                chips.push(Chip::new(
                    format!("chaincode {}", cc.name),
                    format!("chaincode {} {} as a service: server {host}:{} in namespace {}; channels: {}", cc.name, cc.version, cc.port, org.namespace, on.join(", ")),
                    Style::Chaincode,
                ));
            }
        }
        let channels: Vec<&str> = o.channels.iter().filter(|c| c.orgs.contains(&org.name) || c.orderer_orgs.contains(&org.name)).map(|c| c.name.as_str()).collect();
        cards.push(Card {
            org: Some(org.name.clone()),
            title: org.name.clone(),
            meta: format!("ns {} · {}", org.namespace, org.msp_id),
            kind: if org.orderer { "orderer org" } else { "peer org" },
            accent: if org.orderer { ("#f5f3ff", "#7c3aed") } else { ("#eff6ff", "#2563eb") },
            chips,
            footer: grid.then(|| if channels.is_empty() { "no channel".to_string() } else { format!("channels: {}", channels.join(", ")) }),
        });
    }
    if let (Some(k), None) = (&o.kafka, kafka_home) {
        let mut chips = vec![];
        node_chips(&mut chips, &k.brokers, "Kafka broker", "Kafka brokers", Style::Kafka, &k.namespace);
        node_chips(&mut chips, &k.zookeepers, "ZooKeeper server", "ZooKeeper servers", Style::ZooKeeper, &k.namespace);
        cards.push(Card { org: None, title: "Kafka".into(), meta: format!("ns {}", k.namespace), kind: "ordering", accent: ("#fff7ed", "#ea580c"), chips, footer: None });
    }
    cards
}

/// A chip's place in its card: x, y (relative to the card) and width.
type Place = (f64, f64, f64);

/// Chip positions inside a card of width `w`, and the height used below the header.
fn flow(chips: &[Chip], w: f64) -> (Vec<Place>, f64) {
    let inner = w - 2.0 * PAD;
    let (mut x, mut y, mut row_h) = (PAD, HEAD + 8.0, 0.0f64);
    let mut at = vec![];
    for c in chips {
        let cw = c.width(inner);
        if x > PAD && (c.wrap || x + cw > w - PAD) {
            x = PAD;
            y += row_h + CHIP_GAP;
            row_h = 0.0;
        }
        at.push((x, y, cw));
        x += cw + CHIP_GAP;
        row_h = row_h.max(c.height());
    }
    (at, y + row_h)
}

fn chip_svg(s: &mut String, c: &Chip, x: f64, y: f64, w: f64) {
    let (fill, stroke, text) = c.style.colours();
    let h = c.height();
    let _ = write!(s, r##"<g><title>{}</title><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="1"/>"##, esc(&c.tip));
    let label = fit(&c.label, (w - 14.0) / 1.08, 12.5);
    let _ = write!(s, r##"<text x="{:.1}" y="{:.1}" font-size="12.5" font-weight="600" fill="{text}" text-anchor="middle">{}</text>"##, x + w / 2.0, y + 16.5, esc(&label));
    if let Some(sub) = &c.sub {
        let _ = write!(s, r##"<text x="{:.1}" y="{:.1}" font-size="11.5" fill="{text}" text-anchor="middle">{}</text>"##, x + w / 2.0, y + 32.5, esc(&fit(sub, w - 14.0, 11.5)));
    }
    s.push_str("</g>");
}

/// The diagram. `standalone`: a file of its own (with the SVG namespace and a background);
/// otherwise markup to put inside an HTML page.
pub fn svg(o: &Overview, standalone: bool) -> String {
    let grid = o.orgs.len() + usize::from(o.kafka.as_ref().is_some_and(|k| !o.orgs.iter().any(|x| x.namespace == k.namespace))) > ROW_MAX;
    let cards = cards(o, grid);
    let lanes = !o.channels.is_empty();
    let mut body = String::new();

    // Cards: one row aligned with the lanes' columns (right of the lane labels), or a grid.
    let n = cards.len().max(1);
    let (cols, x0, bw) = if grid {
        let rows = n.div_ceil(ROW_MAX);
        let cols = n.div_ceil(rows);
        (cols, 0.0, (WIDTH - (cols as f64 - 1.0) * GAP) / cols as f64)
    } else {
        let left = if lanes { GUTTER } else { 0.0 };
        let avail = WIDTH - left;
        let bw = ((avail - (n as f64 - 1.0) * GAP) / n as f64).min(340.0);
        let total = n as f64 * bw + (n as f64 - 1.0) * GAP;
        (n, left + (avail - total) / 2.0, bw)
    };
    let laid: Vec<(Vec<Place>, f64)> = cards.iter().map(|c| flow(&c.chips, bw)).collect();
    let mut y = 8.0;
    let mut centres: Vec<(String, f64, f64)> = vec![]; // (org, x centre, card bottom)
    for (r, row) in cards.chunks(cols).enumerate() {
        let heights: Vec<f64> = row.iter().enumerate().map(|(i, c)| laid[r * cols + i].1 + if c.footer.is_some() { 26.0 } else { 0.0 } + PAD).collect();
        let h = heights.iter().cloned().fold(0.0, f64::max);
        for (i, c) in row.iter().enumerate() {
            let (at, used) = &laid[r * cols + i];
            let x = x0 + i as f64 * (bw + GAP);
            let (tint, accent) = c.accent;
            let _ = write!(body, r##"<g class="org"><title>{} ({}): {}</title>"##, esc(&c.title), c.kind, esc(&c.meta));
            let _ = write!(body, r##"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{h:.1}" rx="10" fill="#ffffff" stroke="#cbd5e1" stroke-width="1.2"/>"##);
            let _ = write!(
                body,
                r##"<path d="M{x:.1},{:.1} V{:.1} Q{x:.1},{y:.1} {:.1},{y:.1} H{:.1} Q{:.1},{y:.1} {:.1},{:.1} V{:.1} Z" fill="{tint}"/>"##,
                y + HEAD,
                y + 10.0,
                x + 10.0,
                x + bw - 10.0,
                x + bw,
                x + bw,
                y + 10.0,
                y + HEAD
            );
            let _ = write!(body, r##"<rect x="{x:.1}" y="{y:.1}" width="5" height="{h:.1}" rx="2" fill="{accent}"/>"##);
            let kind_w = text_width(c.kind, 11.0);
            let _ = write!(body, r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="{accent}" text-anchor="end">{}</text>"##, x + bw - PAD, y + 20.0, c.kind);
            let _ = write!(
                body,
                r##"<text x="{:.1}" y="{:.1}" font-size="15" font-weight="700" fill="#0f172a">{}</text>"##,
                x + PAD + 2.0,
                y + 21.0,
                esc(&fit(&c.title, (bw - 2.0 * PAD - kind_w - 12.0) / 1.12, 15.0))
            );
            let _ = write!(body, r##"<text x="{:.1}" y="{:.1}" font-size="12" fill="#475569">{}</text>"##, x + PAD + 2.0, y + 39.0, esc(&fit(&c.meta, bw - 2.0 * PAD, 12.0)));
            for (chip, (cx, cy, cw)) in c.chips.iter().zip(at) {
                chip_svg(&mut body, chip, x + cx, y + cy, *cw);
            }
            if let Some(f) = &c.footer {
                let _ = write!(body, r##"<text x="{:.1}" y="{:.1}" font-size="12" fill="#334155">{}</text>"##, x + PAD + 2.0, y + used + 20.0, esc(&fit(f, bw - 2.0 * PAD, 12.0)));
            }
            body.push_str("</g>");
            if let Some(org) = &c.org {
                centres.push((org.clone(), x + bw / 2.0, y + h));
            }
        }
        y += h + GAP;
    }

    // Channel lanes.
    if lanes {
        y += 12.0;
        let cols_x: Vec<(String, f64)> = if grid {
            // A header of org names, evenly spaced right of the lane labels.
            let orgs: Vec<&str> = o.orgs.iter().map(|x| x.name.as_str()).collect();
            let colw = (WIDTH - GUTTER) / orgs.len() as f64;
            let widest = orgs.iter().map(|n| text_width(&fit(n, 140.0, 12.0), 12.0)).fold(0.0, f64::max);
            let rotate = widest > colw - 6.0;
            let head = if rotate { widest * 0.72 + 16.0 } else { 22.0 };
            let _ = write!(body, r##"<text x="0" y="{:.1}" font-size="12" font-weight="600" fill="#475569">channels ↓ / orgs →</text>"##, y + head - 6.0);
            let xs: Vec<(String, f64)> = orgs.iter().enumerate().map(|(i, n)| (n.to_string(), GUTTER + colw * (i as f64 + 0.5))).collect();
            for (name, x) in &xs {
                let label = esc(&fit(name, 140.0, 12.0));
                if rotate {
                    let _ = write!(
                        body,
                        r##"<text x="{x:.1}" y="{:.1}" font-size="12" fill="#0f172a" transform="rotate(-45 {x:.1} {:.1})">{label}<title>{}</title></text>"##,
                        y + head - 6.0,
                        y + head - 6.0,
                        esc(name)
                    );
                } else {
                    let _ = write!(
                        body,
                        r##"<text x="{x:.1}" y="{:.1}" font-size="12" fill="#0f172a" text-anchor="middle">{label}<title>{}</title></text>"##,
                        y + head - 6.0,
                        esc(name)
                    );
                }
            }
            y += head;
            let bottom = y + LANE_H * o.channels.len() as f64;
            for (_, x) in &xs {
                let _ = write!(body, r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#e2e8f0" stroke-width="1"/>"##, y, bottom - LANE_H / 2.0 + 10.0);
            }
            xs
        } else {
            centres.iter().map(|(n, x, _)| (n.clone(), *x)).collect()
        };
        let first_lane = y + LANE_H / 2.0;
        if !grid {
            // Rails from each card down to its last lane.
            for (name, x, bottom) in &centres {
                let last = o.channels.iter().rposition(|c| c.orgs.contains(name) || c.orderer_orgs.contains(name));
                if let Some(l) = last {
                    let _ = write!(
                        body,
                        r##"<line x1="{x:.1}" y1="{bottom:.1}" x2="{x:.1}" y2="{:.1}" stroke="#94a3b8" stroke-width="1.5" stroke-dasharray="3 4"/>"##,
                        first_lane + l as f64 * LANE_H
                    );
                }
            }
        }
        for (i, ch) in o.channels.iter().enumerate() {
            let ly = first_lane + i as f64 * LANE_H;
            let colour = LANE_COLOURS[i % LANE_COLOURS.len()];
            let ccs: Vec<String> = o.chaincodes.iter().filter(|c| c.channels.iter().any(|(n, _, _)| *n == ch.name)).map(|c| c.name.clone()).collect();
            let sub = if ccs.is_empty() { format!("{} org{}", ch.orgs.len(), if ch.orgs.len() == 1 { "" } else { "s" }) } else { format!("chaincode {}", ccs.join(", ")) };
            let _ = write!(
                body,
                r##"<g class="channel"><title>channel {}: {}; ordered by {}{}</title>"##,
                esc(&ch.name),
                esc(&ch.orgs.join(", ")),
                esc(&ch.orderer_orgs.join(", ")),
                if ccs.is_empty() { String::new() } else { esc(&format!("; chaincodes: {}", ccs.join(", "))) }
            );
            let _ = write!(body, r##"<text x="0" y="{:.1}" font-size="13.5" font-weight="700" fill="{colour}">{}</text>"##, ly - 2.0, esc(&fit(&ch.name, GUTTER - 16.0, 13.5)));
            let _ = write!(body, r##"<text x="0" y="{:.1}" font-size="11.5" fill="#475569">{}</text>"##, ly + 13.0, esc(&fit(&sub, GUTTER - 16.0, 11.5)));
            let members: Vec<(f64, bool, &str)> = cols_x
                .iter()
                .filter_map(|(n, x)| {
                    if ch.orderer_orgs.contains(n) {
                        Some((*x, true, n.as_str()))
                    } else if ch.orgs.contains(n) {
                        Some((*x, false, n.as_str()))
                    } else {
                        None
                    }
                })
                .collect();
            let lo = members.iter().map(|m| m.0).fold(f64::MAX, f64::min);
            let hi = members.iter().map(|m| m.0).fold(f64::MIN, f64::max);
            if members.len() > 1 {
                let _ =
                    write!(body, r##"<line x1="{lo:.1}" y1="{ly:.1}" x2="{hi:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="3" stroke-opacity="0.6" stroke-linecap="round"/>"##);
            }
            for (x, orderer, name) in members {
                if orderer {
                    let _ = write!(
                        body,
                        r##"<rect class="member" x="{:.1}" y="{:.1}" width="14" height="14" rx="2" fill="{ORDERER_COLOUR}" stroke="#ffffff" stroke-width="2"><title>{} orders {}</title></rect>"##,
                        x - 7.0,
                        ly - 7.0,
                        esc(name),
                        esc(&ch.name)
                    );
                } else {
                    let _ = write!(
                        body,
                        r##"<circle class="member" cx="{x:.1}" cy="{ly:.1}" r="7.5" fill="{colour}" stroke="#ffffff" stroke-width="2"><title>{} is a member of {}</title></circle>"##,
                        esc(name),
                        esc(&ch.name)
                    );
                }
            }
            body.push_str("</g>");
        }
        y = first_lane + (o.channels.len() as f64 - 0.5) * LANE_H + 10.0;
    }

    // Legend.
    y += 14.0;
    let mut x = 0.0;
    let legend = [
        (Style::Ca, "CA"),
        (Style::Peer, "peer"),
        (Style::Orderer, "orderer"),
        (Style::CouchDb, "CouchDB"),
        (Style::Kafka, "Kafka broker"),
        (Style::ZooKeeper, "ZooKeeper"),
        (Style::Chaincode, "chaincode server"),
    ];
    let present = |st: Style| cards.iter().any(|c| c.chips.iter().any(|ch| ch.style == st));
    for (style, label) in legend.into_iter().filter(|(st, _)| present(*st)) {
        let (fill, stroke, _) = style.colours();
        let _ = write!(
            body,
            r##"<rect x="{x:.1}" y="{:.1}" width="14" height="14" rx="3" fill="{fill}" stroke="{stroke}"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#334155">{label}</text>"##,
            y,
            x + 20.0,
            y + 11.5
        );
        x += 20.0 + text_width(label, 12.0) + 18.0;
    }
    if lanes {
        let _ = write!(
            body,
            r##"<circle cx="{:.1}" cy="{:.1}" r="7" fill="#2563eb"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#334155">member of the channel</text>"##,
            x + 7.0,
            y + 7.0,
            x + 20.0,
            y + 11.5
        );
        x += 20.0 + text_width("member of the channel", 12.0) + 18.0;
        let _ = write!(
            body,
            r##"<rect x="{x:.1}" y="{y:.1}" width="14" height="14" rx="2" fill="{ORDERER_COLOUR}"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#334155">orders the channel</text>"##,
            x + 20.0,
            y + 11.5
        );
        x += 20.0 + text_width("orders the channel", 12.0) + 18.0;
    }
    let _ = x;
    if o.orgs.iter().any(|org| org.nodes.len() > GROUP_OVER) {
        y += 22.0;
        let _ = write!(
            body,
            r##"<text x="0" y="{:.1}" font-size="12" fill="#475569">More than {GROUP_OVER} nodes of a kind are drawn as one block; hover over any element for its names.</text>"##,
            y + 11.5
        );
    }
    let height = (y + 24.0).ceil();

    let label = format!("Network {}: {} orgs, {} channels", o.network.name, o.orgs.len(), o.channels.len());
    let mut s = String::new();
    if standalone {
        let _ = write!(
            s,
            r##"<?xml version="1.0" encoding="UTF-8"?>{}<svg xmlns="http://www.w3.org/2000/svg" viewBox="-16 -16 {} {}" width="{}" height="{}" font-family="{FONT}" role="img" aria-label="{}">"##,
            "\n",
            WIDTH + 32.0,
            height + 32.0,
            WIDTH + 32.0,
            height + 32.0,
            esc(&label)
        );
        let _ = write!(s, r##"<rect x="-16" y="-16" width="{}" height="{}" fill="#ffffff"/>"##, WIDTH + 32.0, height + 32.0);
    } else {
        let _ =
            write!(s, r##"<svg class="diagram" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" font-family="{FONT}" role="img" aria-label="{}">"##, esc(&label));
    }
    let _ = write!(s, "<title>{}</title>", esc(&label));
    s.push_str(&body);
    s.push_str("</svg>\n");
    s
}
