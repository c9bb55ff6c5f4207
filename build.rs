// Rebuild when the embedded Helm templates change (include_dir! does not tell cargo).
fn main() {
    println!("cargo:rerun-if-changed=chart-skeleton");
}
