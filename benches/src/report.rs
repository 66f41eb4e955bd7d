//! Output: Markdown tables for the terminal and `results/*.md`, a small JSON
//! value written by hand (no serde), and a description of the machine.

use std::fmt::{self, Write as _};
use std::path::PathBuf;
use std::process::Command;

// ---- Markdown --------------------------------------------------------------

/// A Markdown table; columns are right-aligned except the first `left` ones.
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub left: usize,
}

impl Table {
    pub fn new(headers: &[&str], left: usize) -> Self {
        Table { headers: headers.iter().map(|s| s.to_string()).collect(), rows: Vec::new(), left }
    }
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cols = self.headers.len();
        let mut w: Vec<usize> = self.headers.iter().map(|h| h.chars().count().max(3)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(cols) {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let cell = |i: usize, s: &str| {
            let pad = w[i] - s.chars().count();
            if i < self.left {
                format!(" {s}{} ", " ".repeat(pad))
            } else {
                format!(" {}{s} ", " ".repeat(pad))
            }
        };
        let line = |cells: &[String]| {
            let mut s = String::from("|");
            for i in 0..cols {
                s += &cell(i, cells.get(i).map(String::as_str).unwrap_or(""));
                s.push('|');
            }
            s
        };
        writeln!(f, "{}", line(&self.headers))?;
        let mut sep = String::from("|");
        for (i, &wi) in w.iter().enumerate() {
            if i < self.left {
                let _ = write!(sep, " {} |", "-".repeat(wi));
            } else {
                let _ = write!(sep, " {}: |", "-".repeat(wi - 1));
            }
        }
        writeln!(f, "{sep}")?;
        for r in &self.rows {
            writeln!(f, "{}", line(r))?;
        }
        Ok(())
    }
}

// ---- JSON ------------------------------------------------------------------

/// A JSON value. Non-finite numbers are written as `null`.
#[derive(Debug, Clone)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub fn obj(fields: Vec<(&str, Json)>) -> Json {
        Json::Obj(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
    pub fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }
    pub fn num(x: f64) -> Json {
        Json::Num(x)
    }
    pub fn opt(x: Option<f64>) -> Json {
        x.map_or(Json::Null, Json::Num)
    }

    fn write(&self, out: &mut String, indent: usize) {
        let pad = |n: usize| "  ".repeat(n);
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(x) if !x.is_finite() => out.push_str("null"),
            Json::Num(x) if x.fract() == 0.0 && x.abs() < 1e15 => {
                let _ = write!(out, "{}", *x as i64);
            }
            Json::Num(x) => {
                let _ = write!(out, "{x:e}");
            }
            Json::Str(s) => escape(s, out),
            Json::Arr(v) if v.is_empty() => out.push_str("[]"),
            Json::Arr(v) => {
                // Arrays of scalars stay on one line.
                let flat = v.iter().all(|x| !matches!(x, Json::Arr(_) | Json::Obj(_)));
                out.push('[');
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if flat {
                        if i > 0 {
                            out.push(' ');
                        }
                    } else {
                        out.push('\n');
                        out.push_str(&pad(indent + 1));
                    }
                    x.write(out, indent + 1);
                }
                if !flat {
                    out.push('\n');
                    out.push_str(&pad(indent));
                }
                out.push(']');
            }
            Json::Obj(v) if v.is_empty() => out.push_str("{}"),
            Json::Obj(v) => {
                out.push('{');
                for (i, (k, x)) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push('\n');
                    out.push_str(&pad(indent + 1));
                    escape(k, out);
                    out.push_str(": ");
                    x.write(out, indent + 1);
                }
                out.push('\n');
                out.push_str(&pad(indent));
                out.push('}');
            }
        }
    }
}

fn escape(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write(&mut s, 0);
        f.write_str(&s)
    }
}

// ---- the machine and the files ---------------------------------------------

/// What the numbers were measured on.
pub struct Machine {
    pub cpu: String,
    pub logical_cpus: usize,
    pub rayon_threads: usize,
    pub rustc: String,
    pub date_utc: String,
    /// The commit measured (`git rev-parse HEAD`), with `+dirty` when the
    /// working tree has uncommitted changes to tracked files.
    pub commit: String,
    /// This process's nice value (benchmarks may be run with `nice -n -20`).
    pub nice: Option<i64>,
}

impl Machine {
    pub fn detect() -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string()))
            .unwrap_or_else(|| "unknown".into());
        let rustc = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
            .arg("--version")
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "unknown".into());
        Machine {
            cpu,
            logical_cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            rayon_threads: rayon::current_num_threads(),
            rustc,
            date_utc: utc_now(),
            commit: git_commit(),
            nice: std::fs::read_to_string("/proc/self/stat")
                .ok()
                .and_then(|s| s.rsplit_once(')').and_then(|(_, r)| r.split_whitespace().nth(16).and_then(|v| v.parse().ok()))),
        }
    }

    pub fn markdown(&self) -> String {
        format!(
            "- CPU: {} ({} logical CPUs; rayon pool: {} threads)\n- Compiler: {}, `--release`, no `target-cpu` flags (matrixmultiply picks its AVX-512 or AVX2/FMA kernel at run time)\n- Commit: {}\n- Date: {}; nice value: {}\n",
            self.cpu,
            self.logical_cpus,
            self.rayon_threads,
            self.rustc,
            self.commit,
            self.date_utc,
            self.nice.map_or("unknown".into(), |n| n.to_string())
        )
    }

    pub fn json(&self) -> Json {
        Json::obj(vec![
            ("cpu", Json::str(&self.cpu)),
            ("logical_cpus", Json::num(self.logical_cpus as f64)),
            ("rayon_threads", Json::num(self.rayon_threads as f64)),
            ("rustc", Json::str(&self.rustc)),
            ("date_utc", Json::str(&self.date_utc)),
            ("commit", Json::str(&self.commit)),
            ("nice", Json::opt(self.nice.map(|n| n as f64))),
        ])
    }
}

/// The checked-out commit, `+dirty` when tracked files have uncommitted
/// changes, or why it is unknown (a tarball without `.git`, no `git`).
pub fn git_commit() -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "HEAD"]) {
        Some(hash) if !hash.is_empty() => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{hash}+dirty")
            } else {
                hash
            }
        }
        _ => "unknown (not a git checkout, or git is missing)".into(),
    }
}

/// Per-call statistics as a JSON object (seconds).
pub fn stats_json(s: &crate::timing::Stats) -> Json {
    Json::obj(vec![
        ("median_s", Json::num(s.median)),
        ("min_s", Json::num(s.min)),
        ("max_s", Json::num(s.max)),
        ("q1_s", Json::num(s.q1)),
        ("q3_s", Json::num(s.q3)),
        ("samples", Json::num(s.samples as f64)),
        ("calls_per_sample", Json::num(s.iters as f64)),
        ("others_busy_cpus", Json::opt(s.others_busy)),
        ("cpu_wait", Json::opt(s.cpu_wait)),
    ])
}

/// The current time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `benches/results/`, or the folder `RECON_BENCH_RESULTS` names (a
/// scratch run, or a test, that must not overwrite the committed results);
/// created if missing.
pub fn results_dir() -> PathBuf {
    let dir = std::env::var_os("RECON_BENCH_RESULTS")
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results"), PathBuf::from);
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Writes `results/<name>`; a failure is reported, never fatal.
pub fn write_result(name: &str, contents: &str) {
    let path = results_dir().join(name);
    match std::fs::write(&path, contents) {
        Ok(()) => eprintln!("wrote {}", path.display()),
        Err(e) => eprintln!("could not write {}: {e}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_and_nests() {
        let j = Json::obj(vec![("a\"b", Json::Arr(vec![Json::num(1.0), Json::num(0.5), Json::num(f64::NAN)])), ("s", Json::str("x\ny"))]);
        assert_eq!(j.to_string(), "{\n  \"a\\\"b\": [1, 5e-1, null],\n  \"s\": \"x\\ny\"\n}");
    }

    #[test]
    fn table_aligns() {
        let mut t = Table::new(&["op", "time"], 1);
        t.row(vec!["add".into(), "1 ms".into()]);
        let s = t.to_string();
        assert!(s.starts_with("| op  | time |\n| --- | ---: |\n| add | 1 ms |"));
    }

    #[test]
    fn date_is_iso() {
        let d = utc_now();
        assert_eq!(d.len(), 20);
        assert!(d.starts_with("20") && d.ends_with('Z'));
    }
}
