//! Embeds every conformance vector file (for the handbook's worked examples) and every guide
//! (`spec/guides`, the handbook's prose pages), so the binary needs no spec folder at run time.
use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        println!("cargo:rerun-if-changed={}", dir.path().display());
        for file in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "json") {
                let kpi = dir.file_name().to_string_lossy().into_owned();
                let stem = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                files.push((kpi, stem, path.canonicalize().unwrap_or(path)));
            }
        }
    }
    files.sort();
    let mut out = String::from("/// (kpi, file stem, text) of every vector file in spec/vectors.\npub const VECTORS: &[(&str, &str, &str)] = &[\n");
    for (kpi, stem, path) in files {
        let _ = writeln!(
            out,
            "    ({kpi:?}, {stem:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    let guides_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/guides");
    println!("cargo:rerun-if-changed={}", guides_dir.display());
    let mut guides: Vec<_> = std::fs::read_dir(&guides_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|f| f.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    guides.sort();
    out.push_str("/// The text of every guide in spec/guides, by file name.\npub const GUIDES: &[&str] = &[\n");
    for path in guides {
        let path = path.canonicalize().unwrap_or(path);
        let _ = writeln!(out, "    include_str!({:?}),", path.display().to_string());
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("vectors.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        println!("cargo:warning=cannot write {}: {e}", dest.display());
    }
}
