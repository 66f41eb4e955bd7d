//! `cargo xtask fuzz [SECONDS] [TARGET...]`: runs each fuzz target of
//! `fuzz/` (cargo-fuzz, libFuzzer) for a fixed time, then prints how long
//! each ran, how many inputs it executed and whether it crashed.
//!
//! Not part of `cargo xtask test`: it burns CPU for minutes, needs
//! `cargo install cargo-fuzz`, and builds with nightly-only flags (on a
//! stable toolchain `RUSTC_BOOTSTRAP=1` is set, as here). What it does:
//!
//! 1. writes each target's seeds (`fuzz/seeds/<target>/`) from the
//!    repository's files with `fuzz/examples/make_seeds.rs`;
//! 2. builds every target once (`cargo fuzz build`: optimised, with debug
//!    assertions and overflow checks, AddressSanitizer);
//! 3. runs each target for SECONDS (default 60) over its working corpus
//!    `fuzz/corpus/<target>/` (kept between runs, not in git), the seeds,
//!    and the inputs that once crashed it, `tests/corpus/fuzz/<target>/`
//!    (the stable tests of recon-data and recon-nn replay those);
//!    `-rss_limit_mb=2048` turns an allocation sized by a header's claims
//!    into a failure, and `-timeout=10` a hang;
//! 4. a crash leaves the input in `fuzz/artifacts/<target>/`: fix the
//!    reader, then copy the input into `tests/corpus/fuzz/<target>/`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

/// The targets, in the order they run (names of `fuzz/fuzz_targets/*.rs`).
pub const TARGETS: [&str; 5] = ["csv", "idx", "checkpoint", "checkpoint_header", "model_config"];

/// Seconds per target when none are given.
const DEFAULT_SECONDS: u64 = 60;

/// What one target's run came to.
struct Outcome {
    target: &'static str,
    seconds: Option<u64>,
    execs: Option<u64>,
    /// `None` when it ran clean, else what went wrong (and where the input is).
    failure: Option<String>,
}

/// Parses `[SECONDS] [TARGET...]`.
fn parse_args(args: &[&str]) -> Result<(u64, Vec<&'static str>), String> {
    let mut seconds = DEFAULT_SECONDS;
    let mut targets = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if let Some(t) = TARGETS.iter().find(|t| *t == a) {
            targets.push(*t);
        } else if i == 0 && a.parse::<u64>().is_ok_and(|s| s > 0) {
            seconds = a.parse().unwrap_or(DEFAULT_SECONDS);
        } else {
            return Err(format!("`{a}` is neither a number of seconds (first) nor a target ({})", TARGETS.join(", ")));
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    Ok((seconds, targets))
}

/// `cargo` in `fuzz/`, allowed nightly flags on a stable toolchain.
fn cargo_in(fuzz_dir: &Path, cargo: fn() -> Command) -> Command {
    let mut c = cargo();
    c.current_dir(fuzz_dir).env("RUSTC_BOOTSTRAP", "1");
    c
}

fn status(what: &str, cmd: &mut Command) -> Result<(), String> {
    eprintln!("xtask fuzz: {what}: {cmd:?}");
    match cmd.status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("{what} failed ({s})")),
        Err(e) => Err(format!("cannot run {what}: {e}")),
    }
}

/// Runs one target, passing its output through and reading libFuzzer's
/// closing line `Done N runs in S second(s)` and any crash report.
fn run_target(root: &Path, cargo: fn() -> Command, target: &'static str, seconds: u64) -> Outcome {
    let fuzz_dir = root.join("fuzz");
    let crashes = root.join("tests/corpus/fuzz").join(target);
    let mut cmd = cargo_in(&fuzz_dir, cargo);
    cmd.args(["fuzz", "run", target]).arg(format!("corpus/{target}")).arg(format!("seeds/{target}"));
    if crashes.is_dir() {
        cmd.arg(&crashes);
    }
    cmd.args(["--", &format!("-max_total_time={seconds}"), "-rss_limit_mb=2048", "-timeout=10", "-print_final_stats=1"]);
    let dict = fuzz_dir.join("dict").join(format!("{target}.dict"));
    if dict.is_file() {
        cmd.arg(format!("-dict={}", dict.display()));
    }
    let _ = std::fs::create_dir_all(fuzz_dir.join("corpus").join(target));
    eprintln!("xtask fuzz: {target} for {seconds} s: {cmd:?}");
    let mut outcome = Outcome { target, seconds: None, execs: None, failure: None };
    let mut child = match cmd.stderr(Stdio::piped()).spawn() {
        Ok(c) => c,
        Err(e) => {
            outcome.failure = Some(format!("cannot run cargo fuzz: {e}"));
            return outcome;
        }
    };
    let mut crash_lines = Vec::new();
    if let Some(err) = child.stderr.take() {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            eprintln!("{line}");
            // "Done 33533 runs in 21 second(s)"
            if let Some(rest) = line.strip_prefix("Done ") {
                let words: Vec<&str> = rest.split_whitespace().collect();
                outcome.execs = words.first().and_then(|w| w.parse().ok());
                outcome.seconds = words.get(3).and_then(|w| w.parse().ok());
            }
            if line.contains("==ERROR") || line.contains("panicked at") || line.contains("Test unit written to") {
                crash_lines.push(line.trim().to_string());
            }
            // -print_final_stats=1: "stat::number_of_executed_units: 33533"
            if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
                outcome.execs = outcome.execs.or(n.trim().parse().ok());
            }
        }
    }
    match child.wait() {
        Ok(s) if s.success() => {}
        Ok(s) => {
            let what = if crash_lines.is_empty() { format!("exited with {s}") } else { crash_lines.join(" | ") };
            outcome.failure = Some(what);
        }
        Err(e) => outcome.failure = Some(format!("cannot wait for cargo fuzz: {e}")),
    }
    outcome
}

/// The whole command; `Err` says why nothing could be fuzzed, `Ok(false)`
/// that some target crashed.
pub fn run(root: &Path, cargo: fn() -> Command, args: &[&str]) -> Result<bool, String> {
    let (seconds, targets) = parse_args(args)?;
    let fuzz_dir = root.join("fuzz");
    let has_cargo_fuzz = cargo().args(["fuzz", "--version"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    if !has_cargo_fuzz.is_ok_and(|s| s.success()) {
        return Err("cargo-fuzz is not installed: run `cargo install cargo-fuzz` (it needs a C++ compiler for libFuzzer)".into());
    }
    status(
        "writing the seeds",
        cargo().current_dir(root).args(["run", "--quiet", "--manifest-path", "fuzz/Cargo.toml", "--example", "make_seeds"]),
    )?;
    status("building the targets", cargo_in(&fuzz_dir, cargo).args(["fuzz", "build"]))?;
    let outcomes: Vec<Outcome> = targets.iter().map(|t| run_target(root, cargo, t, seconds)).collect();

    eprintln!("\nxtask fuzz: {seconds} s per target");
    eprintln!("{:<14} {:>8} {:>12}  result", "target", "seconds", "executions");
    for o in &outcomes {
        let num = |n: Option<u64>| n.map_or("?".to_string(), |n| n.to_string());
        let result = o.failure.as_deref().unwrap_or("no crash");
        eprintln!("{:<14} {:>8} {:>12}  {result}", o.target, num(o.seconds), num(o.execs));
    }
    let crashed = outcomes.iter().any(|o| o.failure.is_some());
    if crashed {
        eprintln!(
            "xtask fuzz: the crashing inputs are in fuzz/artifacts/<target>/; once the reader is fixed, copy each into \
             tests/corpus/fuzz/<target>/ so the stable tests replay it"
        );
    }
    Ok(!crashed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_seconds_then_targets() {
        assert_eq!(parse_args(&[]).unwrap(), (DEFAULT_SECONDS, TARGETS.to_vec()));
        assert_eq!(parse_args(&["240"]).unwrap(), (240, TARGETS.to_vec()));
        assert_eq!(parse_args(&["5", "idx", "csv"]).unwrap(), (5, vec!["idx", "csv"]));
        assert_eq!(parse_args(&["checkpoint"]).unwrap(), (DEFAULT_SECONDS, vec!["checkpoint"]));
        assert!(parse_args(&["0"]).is_err());
        assert!(parse_args(&["idx", "5"]).is_err());
        assert!(parse_args(&["png"]).unwrap_err().contains("csv, idx, checkpoint, checkpoint_header, model_config"));
    }

    #[test]
    fn every_target_file_is_listed() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/fuzz_targets");
        let mut files: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned()).collect();
        files.sort();
        let mut listed: Vec<String> = TARGETS.iter().map(|t| t.to_string()).collect();
        listed.sort();
        assert_eq!(files, listed);
    }
}
