//! Every `unsafe` block or impl in this crate's sources carries a
//! `// SAFETY:` comment right above it (a run of `unsafe impl` lines may
//! share one), saying why the call, launch or impl is sound.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_unsafe_has_a_safety_comment() {
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let mut missing = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let code = l.split("//").next().unwrap();
            if !(code.contains("unsafe {") || code.contains("unsafe impl")) {
                continue;
            }
            // Walk up over the statement's own earlier lines (none start a
            // new statement with `;`), sibling `unsafe impl` lines and the
            // comment block, looking for SAFETY.
            let mut j = i;
            let mut found = false;
            while j > 0 {
                j -= 1;
                let p = lines[j].trim();
                if p.starts_with("// SAFETY:") {
                    found = true;
                    break;
                }
                let continues =
                    p.starts_with("//") || p.starts_with("unsafe impl") || !(p.ends_with(';') || p.ends_with('}') || p.ends_with('{'));
                if !continues || p.is_empty() {
                    break;
                }
            }
            if !found {
                missing.push(format!("{}:{}: {}", f.display(), i + 1, l.trim()));
            }
        }
    }
    assert!(missing.is_empty(), "unsafe without a `// SAFETY:` comment above it:\n{}", missing.join("\n"));
}
