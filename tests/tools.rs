//! The real tools later stages test with are installed, pinned, and runnable. These fail
//! (never skip) when scripts/install-tools.sh has not run.

mod common;
use common::*;
use std::process::Command;

fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(common::tool(tool)).args(args).output().unwrap_or_else(|e| panic!("{tool}: {e}"));
    assert!(out.status.success(), "{tool} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn pinned_tools_are_installed() {
    assert!(run("helm3", &["version", "--short"]).starts_with("v3.18.0"));
    assert!(run("helm4", &["version", "--short"]).starts_with("v4.1.4"));
    assert!(run("kubectl", &["version", "--client"]).contains("v1.33"));
    assert!(run("kubernetes-validate", &["--version"]).contains("1.37.0"));
}

/// kubernetes-validate really validates: a Service with the NodePort fabchart plans passes,
/// one with an unknown field fails.
#[test]
fn kubernetes_validate_checks_a_planned_service() {
    let c = fabchart::compile_file(&repo().join("values-examples/talk.yaml")).unwrap();
    let plan = c.plan.unwrap();
    let org1 = plan.org("Org1").unwrap();
    let peer = &org1.nodes[0].endpoint;
    let ports: Vec<String> = peer
        .ports
        .iter()
        .filter(|p| p.service)
        .map(|p| {
            let np = p.node_port.map(|n| format!(", nodePort: {n}")).unwrap_or_default();
            format!("    - {{name: {}, port: {}, targetPort: {}{np}}}", p.name, p.container_port, p.container_port)
        })
        .collect();
    let svc = format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: {}, namespace: {}}}\nspec:\n  type: NodePort\n  selector: {{app: peer0}}\n  ports:\n{}\n",
        peer.service,
        peer.namespace,
        ports.join("\n")
    );
    let validate = |text: &str| {
        let mut child = Command::new(tool("kubernetes-validate"))
            .args(["--strict", "--quiet", "-k", "1.33.0", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let ok = validate(&svc);
    assert!(ok.status.success(), "{svc}\n{}", String::from_utf8_lossy(&ok.stdout));
    let bad = validate(&svc.replace("  type: NodePort", "  type: NodePort\n  nodePorts: 1"));
    assert!(!bad.status.success(), "kubernetes-validate --strict accepted an unknown field");
}
