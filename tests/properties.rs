//! Properties of NodePort assignment over random valid topologies, and robustness of the
//! loader over random input.

use std::collections::{BTreeMap, HashSet};

use fabchart::topology::Source;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct PeerOrg {
    count: u32,
    start: u32,
    /// Specs entries named `anchor<i>` (NodePort index allocated from the top of the block).
    anchors: u32,
    users: u32,
}

#[derive(Debug, Clone)]
struct Net {
    base: u32,
    stride: u32,
    orderers: Vec<u32>,
    peer_orgs: Vec<PeerOrg>,
}

fn yaml(n: &Net) -> String {
    let mut s = format!(
        "Network:\n  Name: prop\n  NodePorts: {{Base: {}, OrgStride: {}, OrdererBase: 32700}}\nOrdererOrgs:\n",
        n.base, n.stride
    );
    for (i, c) in n.orderers.iter().enumerate() {
        s += &format!("  - {{Name: Ord{i}, Domain: ord{i}.example.com, Template: {{Count: {c}}}}}\n");
    }
    s += "PeerOrgs:\n";
    for (i, o) in n.peer_orgs.iter().enumerate() {
        s += &format!("  - Name: Org{i}\n    Domain: org{i}.example.com\n");
        if o.anchors > 0 {
            s += "    Specs:\n";
            for a in 0..o.anchors {
                s += &format!("      - Hostname: anchor{a}\n");
            }
        }
        s += &format!("    Template: {{Count: {}, Start: {}}}\n    Users: {{Count: {}}}\n", o.count, o.start, o.users);
    }
    s
}

fn peer_org() -> impl Strategy<Value = PeerOrg> {
    (0..12u32, 0..6u32, 0..3u32, 0..3u32).prop_map(|(count, start, anchors, users)| PeerOrg { count, start, anchors, users })
}

fn net() -> impl Strategy<Value = Net> {
    (30000..30300u32, 60..160u32, prop::collection::vec(1..5u32, 1..4), prop::collection::vec(peer_org(), 1..9))
        .prop_map(|(base, stride, orderers, peer_orgs)| Net { base, stride, orderers, peer_orgs })
}

/// (org, node, container port) → NodePort, or the rendered diagnostics.
fn ports(n: &Net) -> Result<BTreeMap<(String, String, u16), u16>, String> {
    let c = fabchart::compile(Source { name: "prop.yaml".into(), text: yaml(n) });
    let plan = c.plan.as_ref().ok_or_else(|| c.render())?;
    Ok(fabchart::report::port_rows(plan, false)
        .into_iter()
        .map(|r| ((r.org, r.node, r.port), r.node_port.expect("listed rows have NodePorts")))
        .collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn nodeports_unique_in_range_and_stable_when_appending(n in net(), extra in peer_org(), grow in 0usize..9) {
        let before = ports(&n).map_err(TestCaseError::fail)?;
        // Unique and inside the default range.
        let values: HashSet<u16> = before.values().copied().collect();
        prop_assert_eq!(values.len(), before.len(), "duplicate NodePorts");
        prop_assert!(before.values().all(|p| (30000..=32767).contains(p)));
        // Every org and node got its ports: CA + 2 per peer + 1 per orderer.
        let want: usize = n.peer_orgs.iter().map(|o| 1 + 2 * (o.count + o.anchors) as usize).sum::<usize>()
            + n.orderers.iter().sum::<u32>() as usize;
        prop_assert_eq!(before.len(), want);

        let check_stable = |after: &BTreeMap<(String, String, u16), u16>, what: &str| -> Result<(), TestCaseError> {
            for (k, v) in &before {
                prop_assert_eq!(after.get(k), Some(v), "{} moved {:?}", what, k);
            }
            Ok(())
        };
        // Appending an org at the end of PeerOrgs.
        let mut more = n.clone();
        more.peer_orgs.push(extra);
        check_stable(&ports(&more).map_err(TestCaseError::fail)?, "appending an org")?;
        // Adding a peer to an org's template.
        let mut more = n.clone();
        let i = grow % more.peer_orgs.len();
        more.peer_orgs[i].count += 1;
        check_stable(&ports(&more).map_err(TestCaseError::fail)?, "adding a peer")?;
        // Appending an orderer to the last orderer org, or a new orderer org.
        let mut more = n.clone();
        *more.orderers.last_mut().unwrap() += 1;
        check_stable(&ports(&more).map_err(TestCaseError::fail)?, "adding an orderer")?;
        let mut more = n.clone();
        more.orderers.push(1);
        check_stable(&ports(&more).map_err(TestCaseError::fail)?, "appending an orderer org")?;
    }

    /// Whatever the bytes, the loader answers with diagnostics, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let c = fabchart::compile(Source::from_bytes("fuzz.yaml".into(), bytes));
        let _ = c.render();
    }

    /// Valid examples with random damage: an error or a plan, never a panic.
    #[test]
    fn damaged_examples_never_panic(which in 0usize..5, at in any::<prop::sample::Index>(), junk in "[ -~\t\n:{}\\[\\]&*!|>'\"#-]{1,12}") {
        let (_, _, text) = fabchart::examples::EXAMPLES[which];
        let cut = at.index(text.len());
        let cut = (0..=cut).rev().find(|i| text.is_char_boundary(*i)).unwrap();
        let damaged = format!("{}{}{}", &text[..cut], junk, &text[cut..]);
        let c = fabchart::compile(Source { name: "damaged.yaml".into(), text: damaged });
        let _ = c.render();
    }
}

#[test]
fn pathological_inputs_are_errors_not_crashes() {
    let deep = "[".repeat(100_000);
    let deep_maps = "a: ".repeat(50_000) + "1";
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..12 {
        let prev = if i == 0 { "a".to_string() } else { format!("b{}", i - 1) };
        bomb += &format!("b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n");
    }
    let huge = "PeerOrgs:\n  - {Name: Org1, Domain: org1, Template: {Count: 4000000000}}\n".to_string();
    for (name, text) in [("deep", deep), ("deep-maps", deep_maps), ("bomb", bomb), ("huge", huge)] {
        let c = fabchart::compile(Source { name: format!("{name}.yaml"), text });
        assert!(c.diags.has_errors(), "{name}: expected an error");
        assert!(c.plan.is_none());
        let text = c.render();
        assert!(text.contains(&format!("{name}.yaml")), "{name}: {text}");
    }
}
