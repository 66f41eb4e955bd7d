//! Helpers shared by the end-to-end tests of the `recon` binary: running it,
//! temporary folders, the bundled data and the bad-input corpus, reading a
//! run folder back.
//!
//! Each test file is its own crate and uses only some of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// The `recon` binary Cargo built for these tests.
pub const RECON: &str = env!("CARGO_BIN_EXE_recon");

/// The repository root (this crate is `crates/cli`).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file in the repository's `data/` folder, as an absolute path.
pub fn data(name: &str) -> PathBuf {
    let p = repo().join("data").join(name);
    p.canonicalize().unwrap_or_else(|e| panic!("bundled data file {}: {e}", p.display()))
}

/// The bundled breast cancer table (569 rows, 30 features, `target`: 1 = benign = normal).
pub fn table() -> PathBuf {
    data("breast_cancer.csv")
}

/// A file of the hand-written bad-input corpus in `tests/corpus/`.
pub fn corpus(name: &str) -> PathBuf {
    let p = repo().join("tests/corpus").join(name);
    p.canonicalize().unwrap_or_else(|e| panic!("corpus file {}: {e}", p.display()))
}

/// The flags that select the breast cancer table with benign rows as normal.
pub fn table_flags() -> Vec<String> {
    vec!["--data".into(), table().display().to_string(), "--label-col".into(), "target".into(), "--normal-label".into(), "1".into()]
}

/// A fresh folder under the system's temporary folder, removed when the test
/// passes and kept (with its path printed) when it fails.
pub struct TempDir(pub PathBuf);

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("recon-cli-{tag}-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept {} for inspection", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A `recon` command with the given arguments, run in `cwd` (the system's
/// temporary folder if none, so no test depends on where Cargo runs it).
pub fn recon_cmd<S: AsRef<std::ffi::OsStr>>(args: &[S], cwd: Option<&Path>) -> Command {
    let mut cmd = Command::new(RECON);
    cmd.args(args).current_dir(cwd.map_or_else(std::env::temp_dir, Path::to_path_buf));
    // A panic would then print a backtrace too, which the bad-input checks look for.
    cmd.env("RUST_BACKTRACE", "1");
    cmd.stdin(Stdio::null());
    cmd
}

/// Runs `recon` with `args` and returns what it did.
pub fn recon<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    recon_cmd(args, None).output().expect("run the recon binary")
}

/// Runs `recon` with `args` and an extra environment variable.
pub fn run_env<S: AsRef<std::ffi::OsStr>>(args: &[S], key: &str, value: &str) -> Output {
    recon_cmd(args, None).env(key, value).output().expect("run the recon binary")
}

pub fn describe(args: &[String], out: &Output) -> String {
    format!(
        "recon {}\nstatus: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        args.join(" "),
        out.status.code(),
        tail(&String::from_utf8_lossy(&out.stdout)),
        tail(&String::from_utf8_lossy(&out.stderr))
    )
}

fn tail(s: &str) -> String {
    let n = s.chars().count();
    if n > 3000 {
        format!("...{}", s.chars().skip(n - 3000).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Runs `recon` with `args`, asserts exit status 0 and no panic, and returns stdout.
pub fn ok(args: &[String]) -> String {
    let out = recon(args);
    assert_eq!(out.status.code(), Some(0), "expected success\n{}", describe(args, &out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "a panic\n{}", describe(args, &out));
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// Strings from string slices.
pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The words of `s` as arguments: `words("train --epochs 2")`.
pub fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

/// `args` followed by `flag path` pairs.
pub fn with_paths(mut args: Vec<String>, pairs: &[(&str, &Path)]) -> Vec<String> {
    for (flag, path) in pairs {
        args.push(flag.to_string());
        args.push(p(path));
    }
    args
}

pub fn p(path: &Path) -> String {
    path.display().to_string()
}

/// `recon train` of `model` for `epochs` epochs on the breast cancer table into `out`, plus `extra` flags.
pub fn train_table(out: &Path, model: &str, epochs: usize, extra: &[&str]) -> String {
    let mut args = strings(&["train", "--model", model, "--epochs", &epochs.to_string(), "--quiet", "--out", &p(out)]);
    args.extend(table_flags());
    args.extend(strings(extra));
    ok(&args)
}

/// The run folder's `metrics.jsonl`, one JSON object per line (each line must parse).
pub fn metrics(run: &Path) -> Vec<Value> {
    let path = run.join("metrics.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{} line {}: not JSON ({e}): {l}", path.display(), i + 1)))
        .collect()
}

/// The `loss` of every epoch in `metrics.jsonl`.
pub fn losses(run: &Path) -> Vec<f64> {
    metrics(run).iter().map(|m| m["loss"].as_f64().unwrap_or_else(|| panic!("no numeric loss in {m}"))).collect()
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The names in a folder, sorted (empty when it does not exist).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// Splits one CSV line into its fields, honouring double quotes.
pub fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

/// Writes the first `n` images of the bundled MNIST file and their labels,
/// uncompressed, as `DIR/sub-images-idx3-ubyte` and `DIR/sub-labels-idx1-ubyte`,
/// and returns the images path (a small set keeps the convolutional runs quick).
pub fn mnist_subset(dir: &Path, n: usize) -> PathBuf {
    let images = recon_data::read_idx_u8(data("mnist-10k-images-idx3-ubyte.gz")).expect("read the bundled MNIST images");
    let labels = recon_data::read_idx_u8(data("mnist-10k-labels-idx1-ubyte.gz")).expect("read the bundled MNIST labels");
    let d = images.dims[1] * images.dims[2];
    let img_path = dir.join("sub-images-idx3-ubyte");
    recon_data::write_idx_u8(&img_path, &images.data[..n * d], &[n, images.dims[1], images.dims[2]], false).expect("write images");
    recon_data::write_idx_u8(dir.join("sub-labels-idx1-ubyte"), &labels.data[..n], &[n], false).expect("write labels");
    img_path
}

/// Asserts the shape of a bad-input failure: exit status 2, exactly one
/// non-empty line on stderr that starts with `error:` and contains every
/// string in `needles`, and no panic or backtrace.
pub fn assert_bad_input(args: &[String], out: &Output, needles: &[&str]) {
    assert_failure(args, out, 2, needles);
}

/// Like [`assert_bad_input`] for any exit status.
pub fn assert_failure(args: &[String], out: &Output, status: i32, needles: &[&str]) {
    let why = describe(args, out);
    assert_eq!(out.status.code(), Some(status), "wrong exit status\n{why}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "a panic\n{why}");
    assert!(!err.to_lowercase().contains("backtrace"), "a backtrace\n{why}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "stderr should be one line\n{why}");
    assert!(lines[0].starts_with("error: "), "stderr should start with 'error: '\n{why}");
    for n in needles {
        assert!(lines[0].contains(n), "the message should mention {n:?}\n{why}");
    }
}
