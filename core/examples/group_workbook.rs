//! Writes `examples/group/group.xlsx`: the group sample's orders and touches as the sheets of
//! one workbook, as an order book and an analytics tool export them to Excel (float money,
//! Excel dates), read by `examples/group/pack-workbook.json`.
//!
//! Run: `cargo run -p omnikpi --features xlsx --example group_workbook`

#[path = "../tests/common/group_workbook.rs"]
mod group_workbook;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/group");
    let path = dir.join("group.xlsx");
    std::fs::write(&path, group_workbook::build(&dir)?)?;
    println!("wrote {}", path.display());
    Ok(())
}
