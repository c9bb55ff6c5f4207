//! README stays true to the code: every topology key is documented, and so is every
//! default image.

mod common;
use fabchart::topology::{Component, FabricVersion, decode::SECTIONS};

fn readme() -> String {
    std::fs::read_to_string(common::repo().join("README.md")).unwrap()
}

#[test]
fn every_topology_key_is_in_the_reference() {
    let text = readme();
    let reference = text.split("## Topology reference").nth(1).expect("a Topology reference section");
    let reference = reference.split("\n## NodePorts").next().unwrap();
    for (section, keys) in SECTIONS {
        for key in *keys {
            assert!(reference.contains(&format!("`{key}`")), "README's reference lacks `{key}` ({section})");
        }
    }
}

#[test]
fn default_images_are_documented() {
    let text = readme();
    let table = text.split("Default images:").nth(1).expect("a Default images table");
    let table = table.split("\n\n").nth(1).expect("the table after its title");
    for (v, version) in FabricVersion::ALL {
        for c in Component::ALL {
            if version == FabricVersion::V3_1 && matches!(c, Component::Kafka | Component::ZooKeeper) {
                continue; // no Kafka on 3.x
            }
            let img = fabchart::plan::defaults::image(version, c);
            let s = format!("`{}:{}`", img.repository, img.tag);
            let row = table.lines().find(|l| l.starts_with(&format!("| `{}` |", c.key()))).unwrap_or_else(|| panic!("no image row for {}", c.key()));
            assert!(row.contains(&s), "README's image row for {} (Fabric {v}) lacks {s}", c.key());
        }
    }
}
