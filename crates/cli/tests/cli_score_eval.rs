//! End-to-end tests of `recon score`, `recon eval` and `recon demo` on a model
//! trained from the command line.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::*;
use serde_json::Value;

/// A temporary folder with an `ae` trained 3 epochs on the breast cancer table in `run/`.
fn trained(tag: &str) -> (TempDir, PathBuf) {
    let tmp = TempDir::new(tag);
    let run = tmp.join("run");
    train_table(&run, "ae", 3, &[]);
    (tmp, run)
}

fn threshold(run: &Path) -> f64 {
    let v: Value = serde_json::from_slice(&read(&run.join("threshold.json"))).expect("threshold.json");
    v["value"].as_f64().expect("a threshold value")
}

#[test]
fn score_prints_one_line_per_row_with_the_saved_threshold() {
    let (_tmp, run) = trained("score");
    let out = ok(&strings(&["score", "--model", &p(&run), "--data", &p(&table())]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "row,score,is_anomaly");
    assert_eq!(lines.len(), 1 + 569, "header + one line per row");
    let t = threshold(&run);
    let mut flagged = 0;
    for (i, line) in lines[1..].iter().enumerate() {
        let f = csv_fields(line);
        assert_eq!(f.len(), 3, "{line}");
        assert_eq!(f[0], i.to_string(), "rows are numbered from 0 in order");
        let s: f64 = f[1].parse().unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(s.is_finite() && s >= 0.0, "{line}");
        assert!(f[2] == "0" || f[2] == "1", "is_anomaly is 0 or 1: {line}");
        assert_eq!(f[2] == "1", s > t, "is_anomaly follows the saved threshold {t}: {line}");
        flagged += usize::from(f[2] == "1");
    }
    // Malignant rows are 37% of the table: a trained model flags some rows, not all.
    assert!(flagged > 0 && flagged < 569, "{flagged} rows flagged");
}

#[test]
fn score_per_feature_adds_top_features_and_an_error_column_per_feature() {
    let (_tmp, run) = trained("per-feature");
    let out = ok(&strings(&["score", "--model", &p(&run), "--data", &p(&table()), "--per-feature"]));
    let mut lines = out.lines();
    let header = csv_fields(lines.next().unwrap());
    assert_eq!(&header[..4], ["row", "score", "is_anomaly", "top_features"]);
    assert_eq!(header.len(), 4 + 30, "{header:?}");
    assert_eq!(header[4], "err_mean radius");
    assert_eq!(header[33], "err_worst fractal dimension");
    let rows: Vec<Vec<String>> = lines.map(csv_fields).collect();
    assert_eq!(rows.len(), 569);
    for r in &rows {
        assert_eq!(r.len(), header.len(), "{r:?}");
        let score: f64 = r[1].parse().unwrap();
        let errs: Vec<f64> = r[4..].iter().map(|e| e.parse::<f64>().unwrap()).collect();
        assert!(errs.iter().all(|e| e.is_finite() && *e >= 0.0), "{r:?}");
        // The score is the mean of the per-feature squared errors.
        let mean = errs.iter().sum::<f64>() / errs.len() as f64;
        assert!((mean - score).abs() <= 1e-3 * score.max(1.0), "score {score} against mean error {mean}");
        if r[2] == "1" {
            let named: Vec<&str> = r[3].split(';').collect();
            assert_eq!(named.len(), 3, "three top features for a flagged row: {}", r[3]);
            // The first named feature has the largest error.
            let (name, _) = named[0].rsplit_once(':').expect("name:error");
            let largest = (0..30).max_by(|&a, &b| errs[a].total_cmp(&errs[b])).unwrap();
            assert_eq!(format!("err_{name}"), header[4 + largest], "{r:?}");
        } else {
            assert_eq!(r[3], "", "no top features for an unflagged row");
        }
    }
}

#[test]
fn score_out_writes_the_file_atomically_and_keeps_it_on_failure() {
    let (tmp, run) = trained("score-out");
    let dest = tmp.join("scores.csv");
    std::fs::write(&dest, "old contents\n").unwrap();
    let out = recon(&strings(&["score", "--model", &p(&run), "--data", &p(&table()), "--out", &p(&dest)]));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&[], &out));
    assert!(out.stdout.is_empty(), "with --out nothing goes to stdout");
    let text = String::from_utf8(read(&dest)).unwrap();
    assert_eq!(text.lines().count(), 570);
    assert!(text.starts_with("row,score,is_anomaly\n"));
    assert_eq!(listing(tmp.path()), ["run", "scores.csv"], "no temporary file is left beside the output");

    // A failing score (wrong data) leaves the file as it was.
    let args = strings(&["score", "--model", &p(&run), "--data", &p(&corpus("nan.csv")), "--out", &p(&dest)]);
    assert_bad_input(&args, &recon(&args), &["nan.csv"]);
    assert_eq!(String::from_utf8(read(&dest)).unwrap(), text, "a failed score changed the output file");
    assert_eq!(listing(tmp.path()), ["run", "scores.csv"]);
}

/// The breast-cancer table repeated until it spans several of `recon score`'s
/// 4096-row chunks, optionally with one bad cell on line `bad_line`.
fn long_table(dest: &Path, copies: usize, bad_line: Option<usize>) -> usize {
    let text = String::from_utf8(read(&table())).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let body: Vec<&str> = lines.collect();
    let mut out = format!("{header}\n");
    let mut line = 1;
    for _ in 0..copies {
        for row in &body {
            line += 1;
            if Some(line) == bad_line {
                // The first cell becomes text; the row keeps its cell count.
                let rest = &row[row.find(',').unwrap()..];
                out += &format!("oops{rest}");
            } else {
                out += row;
            }
            out += "\n";
        }
    }
    std::fs::write(dest, out).unwrap();
    body.len() * copies
}

#[test]
fn score_streams_a_file_of_many_chunks_with_the_scores_of_a_whole_read() {
    let (tmp, run) = trained("stream");
    let long = tmp.join("long.csv");
    let n = long_table(&long, 16, None); // 569 x 16 = 9104 rows: three chunks
    let streamed = ok(&strings(&["score", "--model", &p(&run), "--data", &p(&long)]));
    let one = ok(&strings(&["score", "--model", &p(&run), "--data", &p(&table())]));
    let scores = |text: &str| text.lines().skip(1).map(|l| csv_fields(l)[1].clone()).collect::<Vec<_>>();
    let (streamed, one) = (scores(&streamed), scores(&one));
    assert_eq!(streamed.len(), n);
    for (i, s) in streamed.iter().enumerate() {
        assert_eq!(s, &one[i % one.len()], "row {i}: a copy of a row scored differently in another chunk");
    }

    // A bad cell in the third chunk: the message names its line, and the
    // output file keeps its old content, with no temporary left beside it.
    let bad = tmp.join("bad.csv");
    long_table(&bad, 16, Some(9000));
    let dest = tmp.join("scores.csv");
    std::fs::write(&dest, "old contents\n").unwrap();
    let args = strings(&["score", "--model", &p(&run), "--data", &p(&bad), "--out", &p(&dest)]);
    assert_bad_input(&args, &recon(&args), &["bad.csv", "line 9000", "oops"]);
    assert_eq!(read(&dest), b"old contents\n");
    assert_eq!(listing(tmp.path()), ["bad.csv", "long.csv", "run", "scores.csv"]);
}

#[test]
fn score_into_a_closed_pipe_does_not_panic() {
    let (_tmp, run) = trained("pipe");
    // --per-feature makes some 400 kB, more than a pipe holds: recon must meet the closed pipe.
    let args = strings(&["score", "--model", &p(&run), "--data", &p(&table()), "--per-feature"]);
    let mut child = recon_cmd(&args, None).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn recon");
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 10];
    stdout.read_exact(&mut first).expect("the first bytes of the output");
    assert_eq!(&first, b"row,score,");
    drop(stdout); // like `recon score ... | head -c 10`
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "a panic on a closed pipe:\n{err}");
    assert_eq!(status.code(), Some(0), "a closed pipe is not a failure; stderr:\n{err}");
}

/// Runs `eval --json` and checks the object's shape; returns it.
fn eval_json(run: &Path, data: &Path, extra: &[&str]) -> Value {
    let mut args = strings(&["eval", "--model", &p(run), "--data", &p(data), "--json"]);
    args.extend(strings(extra));
    let out = ok(&args);
    assert_eq!(out.trim_end().lines().count(), 1, "one line of JSON on stdout:\n{out}");
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}):\n{out}"));
    assert!(v.is_object());
    for key in ["roc_auc", "pr_auc"] {
        let x = v[key].as_f64().unwrap_or_else(|| panic!("{key} missing in {v}"));
        assert!((0.0..=1.0).contains(&x), "{key} = {x}");
    }
    let n = v["n"].as_u64().expect("n, the number of rows evaluated");
    let thresholds = v["thresholds"].as_array().expect("a thresholds array");
    assert!(!thresholds.is_empty());
    for t in thresholds {
        assert!(t["threshold"].as_f64().is_some_and(f64::is_finite), "{t}");
        for key in ["precision", "recall", "f1"] {
            let x = t[key].as_f64().unwrap_or_else(|| panic!("{key} missing in {t}"));
            assert!((0.0..=1.0).contains(&x), "{key} = {x}");
        }
        let c = t["confusion"].as_array().expect("a confusion matrix");
        assert_eq!(c.len(), 2, "2x2: {t}");
        let cells: Vec<u64> = c.iter().flat_map(|r| r.as_array().expect("rows").iter().map(|x| x.as_u64().unwrap())).collect();
        assert_eq!(cells.len(), 4, "2x2: {t}");
        assert_eq!(cells.iter().sum::<u64>(), n, "the confusion matrix counts every row: {t}");
    }
    v
}

#[test]
fn eval_json_on_the_training_file_uses_the_held_out_rows() {
    let (_tmp, run) = trained("eval");
    let v = eval_json(&run, &table(), &[]);
    // 20% of each class held out: 71 of 357 benign, 42 of 212 malignant.
    assert_eq!(v["n"].as_u64(), Some(113), "{}", v["rows"]);
    assert_eq!(v["n_anomaly"].as_u64(), Some(42));
    let first = &v["thresholds"][0];
    assert!((first["threshold"].as_f64().unwrap() - threshold(&run)).abs() < 1e-9, "the saved threshold comes first: {first}");
    assert!(v["roc_auc"].as_f64().unwrap() > 0.7, "an autoencoder separates the classes: {}", v["roc_auc"]);

    let all = eval_json(&run, &table(), &["--all-rows", "--thresholds", "1,5"]);
    assert_eq!(all["n"].as_u64(), Some(569));
    assert_eq!(all["n_anomaly"].as_u64(), Some(212));
    let values: Vec<f64> = all["thresholds"].as_array().unwrap().iter().map(|t| t["threshold"].as_f64().unwrap()).collect();
    assert!(values.contains(&1.0) && values.contains(&5.0), "the fixed thresholds are reported: {values:?}");

    // Another file with the same columns (here a copy) is evaluated whole.
    let copy = run.parent().unwrap().join("copy.csv");
    std::fs::copy(table(), &copy).unwrap();
    assert_eq!(eval_json(&run, &copy, &[])["n"].as_u64(), Some(569));
}

#[test]
fn eval_out_writes_the_report_and_eval_json() {
    let (tmp, run) = trained("eval-out");
    let dir = tmp.join("report");
    let stdout = ok(&strings(&["eval", "--model", &p(&run), "--data", &p(&table()), "--out", &p(&dir)]));
    assert!(stdout.contains("ROC AUC"), "the text report goes to stdout:\n{stdout}");
    let html = String::from_utf8(read(&dir.join("report.html"))).unwrap();
    assert!(html.contains("<svg") && html.contains("</html>"), "report.html holds the plots");
    let ev: Value = serde_json::from_slice(&read(&dir.join("eval.json"))).expect("eval.json is JSON");
    assert!(ev["roc_auc"].as_f64().is_some_and(|a| (0.0..=1.0).contains(&a)), "{ev}");
    assert_eq!(listing(&dir), ["eval.json", "report.html"]);

    // --json and --out together: stdout stays one JSON object.
    let dir2 = tmp.join("report2");
    let out = ok(&strings(&["eval", "--model", &p(&run), "--data", &p(&table()), "--json", "--out", &p(&dir2)]));
    assert!(serde_json::from_str::<Value>(out.trim()).is_ok(), "stdout is JSON only:\n{out}");
    assert!(dir2.join("report.html").is_file());
}

#[test]
fn bom_crlf_and_quoted_commas_in_a_dropped_column_work_end_to_end() {
    let tmp = TempDir::new("bom");
    let run = tmp.join("run");
    let data = corpus("bom_crlf_quoted.csv");
    let args = words("train --label-col label --normal-label normal --drop note --epochs 3 --quiet");
    let args = with_paths(args, &[("--data", &data), ("--out", &run)]);
    ok(&args);
    let config: Value = serde_json::from_slice(&read(&run.join("config.json"))).unwrap();
    assert_eq!(config["feature_names"], serde_json::json!(["x1", "x2", "x3"]), "the BOM is not part of the first name");
    assert!(losses(&run).iter().all(|l| l.is_finite()));
    let out = ok(&strings(&["score", "--model", &p(&run), "--data", &p(&data)]));
    assert_eq!(out.lines().count(), 41);
    let v = eval_json(&run, &data, &["--all-rows"]);
    assert_eq!((v["n"].as_u64(), v["n_anomaly"].as_u64()), (Some(40), Some(10)));
}

#[test]
fn a_constant_feature_gives_finite_scores() {
    let tmp = TempDir::new("constant");
    let run = tmp.join("run");
    let data = corpus("constant_feature.csv");
    let args = words("train --label-col target --normal-label 1 --epochs 3 --quiet");
    ok(&with_paths(args, &[("--data", &data), ("--out", &run)]));
    assert!(losses(&run).iter().all(|l| l.is_finite()), "{:?}", losses(&run));
    let out = ok(&strings(&["score", "--model", &p(&run), "--data", &p(&data), "--per-feature"]));
    assert_eq!(out.lines().count(), 41);
    for line in out.lines().skip(1) {
        let f = csv_fields(line);
        for (i, x) in f.iter().enumerate().filter(|(i, _)| *i != 3) {
            let x: f64 = x.parse().unwrap_or_else(|e| panic!("field {i} of {line}: {e}"));
            assert!(x.is_finite(), "a non-finite value in {line}");
        }
    }
    let t = threshold(&run);
    assert!(t.is_finite(), "threshold {t}");
}

#[test]
fn demo_writes_three_reports() {
    let tmp = TempDir::new("demo");
    let out_dir = tmp.join("demo");
    let started = std::time::Instant::now();
    let stdout = ok(&strings(&["demo", "--out", &p(&out_dir), "--epochs", "1", "--data-dir", &p(&repo().join("data"))]));
    eprintln!("recon demo --epochs 1 took {:.1} s", started.elapsed().as_secs_f64());
    for model in ["ae", "vae", "conv-ae"] {
        let report = out_dir.join(model).join("report").join("report.html");
        let html = std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("{}: {e}", report.display()));
        assert!(html.contains("<svg"), "{} has no plots", report.display());
        assert!(out_dir.join(model).join("model.safetensors").is_file());
        assert!(stdout.contains(&format!("#### {model}")), "the demo announces {model}");
    }
    assert!(stdout.contains("demo finished"), "{stdout}");
}
