//! Bad input ends in exit status 2, one line on standard error that starts
//! with `error:` and says what is wrong, no panic, and no output written.
//! The malformed files are in `tests/corpus/` (see its README.md); the IDX
//! and checkpoint cases are made here from real files.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// Runs `args` and checks the bad-input shape, with `needles` in the message.
fn bad(args: &[String], needles: &[&str]) {
    assert_bad_input(args, &recon(args), needles);
}

/// `train` on `data` (with the corpus' `target` column) into a folder that must not appear.
fn bad_train(data: &Path, extra: &[&str], needles: &[&str]) {
    let tmp = TempDir::new("bad-train");
    let out = tmp.join("run");
    let args = words("train --label-col target --normal-label 1 --epochs 1");
    let mut args = with_paths(args, &[("--data", data), ("--out", &out)]);
    args.extend(strings(extra));
    bad(&args, needles);
    assert!(!out.exists(), "train created {} although it failed", out.display());
}

/// `train` on the breast cancer table with `extra` flags, into a folder that must not appear.
fn bad_train_table(extra: &[&str], needles: &[&str]) {
    let tmp = TempDir::new("bad-flags");
    let out = tmp.join("run");
    let mut args = strings(&["train", "--epochs", "1", "--out", &p(&out)]);
    args.extend(strings(extra));
    bad(&args, needles);
    assert!(!out.exists(), "train created {} although it failed", out.display());
}

#[test]
fn a_missing_data_file_is_refused() {
    bad_train(&repo().join("tests/corpus/no-such-file.csv"), &[], &["no-such-file.csv"]);
}

/// A good file in the corpus' layout (`a,b,c,target`): 40 rows, 8 of them
/// anomalies, written to `dir/good.csv`.
fn good_corpus_table(dir: &Path) -> PathBuf {
    let mut text = String::from("a,b,c,target\n");
    for i in 0..40 {
        let t = i as f64 * 0.3;
        let anomaly = i % 5 == 4;
        let shift = if anomaly { 4.0 } else { 0.0 };
        text += &format!("{:.4},{:.4},{:.4},{}\n", t.sin() + shift, t.cos(), (2.0 * t).sin(), if anomaly { 0 } else { 1 });
    }
    let path = dir.join("good.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// Every command on every malformed corpus file: `score` and `eval` with a
/// model trained on a good file of the same layout, `--out` paths that must
/// not appear.
#[test]
fn every_command_refuses_every_malformed_csv_file() {
    let tmp = TempDir::new("corpus-all");
    let run = tmp.join("run");
    ok(&with_paths(
        words("train --label-col target --normal-label 1 --epochs 2 --quiet"),
        &[("--data", &good_corpus_table(tmp.path())), ("--out", &run)],
    ));
    let cases: [(&str, &[&str]); 7] = [
        ("empty.csv", &["empty"]),
        ("header_only.csv", &["no data rows"]),
        ("ragged.csv", &["line 3"]),
        ("ragged_long.csv", &["line 3"]),
        ("non_numeric.csv", &["line 3", "\"b\"", "abc"]),
        ("nan.csv", &["line 3", "\"b\"", "NaN"]),
        ("inf.csv", &["line 3", "\"c\"", "inf"]),
    ];
    let scores = tmp.join("scores.csv");
    let report = tmp.join("report");
    for (file, needles) in cases {
        let data = corpus(file);
        let mut needles = needles.to_vec();
        needles.push(file);
        bad_train(&data, &[], &needles);
        bad(&with_paths(strings(&["score"]), &[("--model", &run), ("--data", &data), ("--out", &scores)]), &needles);
        bad(&with_paths(strings(&["score", "--per-feature"]), &[("--model", &run), ("--data", &data)]), &needles);
        bad(&with_paths(strings(&["eval"]), &[("--model", &run), ("--data", &data), ("--out", &report)]), &needles);
        assert!(!scores.exists() && !report.exists(), "{file}: an output was written although the command failed");
    }
    assert_eq!(listing(tmp.path()), ["good.csv", "run"], "nothing else was written");
}

#[test]
fn a_single_row_is_too_few_to_train_on_but_can_be_scored() {
    let tmp = TempDir::new("single-row");
    let one = tmp.join("one.csv");
    std::fs::write(&one, "a,b,c,target\n0.5,1.5,-2,1\n").unwrap();
    bad_train(&one, &[], &["one.csv", "1 normal row", "at least 2"]);
    let run = tmp.join("run");
    ok(&with_paths(
        words("train --label-col target --normal-label 1 --epochs 1 --quiet"),
        &[("--data", &good_corpus_table(tmp.path())), ("--out", &run)],
    ));
    let out = ok(&with_paths(strings(&["score"]), &[("--model", &run), ("--data", &one)]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "a header and one row: {out}");
    let score: f64 = csv_fields(lines[1])[1].parse().unwrap();
    assert!(score.is_finite() && score >= 0.0, "{out}");
}

#[test]
fn bad_labels_are_refused() {
    let table = p(&table());
    bad_train_table(&["--data", &table, "--label-col", "nope", "--normal-label", "1"], &["\"nope\"", "not in the header"]);
    bad_train_table(&["--data", &table, "--label-col", "target", "--normal-label", "7"], &["'7'", "normal label"]);
    bad_train_table(&["--data", &table, "--label-col", "target"], &["--normal-label"]);
    bad_train_table(&["--data", &table, "--label-col", "target", "--normal-label", "1", "--drop", "nope"], &["\"nope\""]);
}

#[test]
fn bad_flags_are_refused() {
    let cases: [(&[&str], &[&str]); 10] = [
        (&["--model", "transformer"], &["transformer", "ae"]),
        (&["--optimizer", "lbfgs"], &["lbfgs", "adam"]),
        (&["--lr", "0"], &["--lr"]),
        (&["--lr=-0.1"], &["--lr"]),
        (&["--lr", "NaN"], &["--lr"]),
        (&["--batch-size", "0"], &["--batch-size"]),
        (&["--device", "cuda"], &["cuda", "cpu"]),
        (&["--device", "tpu"], &["tpu"]),
        (&["--model", "conv-ae"], &["conv-ae", "image"]),
        (&["--test-fraction", "1.5"], &["1.5"]),
    ];
    let table = p(&table());
    for (extra, needles) in cases {
        let mut flags = vec!["--data", &table, "--label-col", "target", "--normal-label", "1"];
        flags.extend_from_slice(extra);
        bad_train_table(&flags, needles);
    }
    // No --data; no --out.
    bad_train_table(&[], &["--data"]);
    let mut args = strings(&["train"]);
    args.extend(table_flags());
    bad(&args, &["--out"]);
}

#[test]
fn score_and_eval_without_a_model_are_refused() {
    let tmp = TempDir::new("no-model");
    let empty = tmp.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let missing = tmp.join("missing");
    let scores = tmp.join("scores.csv");
    let report = tmp.join("report");
    for dir in [&empty, &missing] {
        bad(&strings(&["score", "--model", &p(dir), "--data", &p(&table()), "--out", &p(&scores)]), &[&p(dir)]);
        bad(&strings(&["eval", "--model", &p(dir), "--data", &p(&table()), "--out", &p(&report)]), &[&p(dir)]);
        bad(&strings(&["train", "--resume", &p(dir), "--epochs", "3"]), &[&p(dir)]);
    }
    assert_eq!(listing(tmp.path()), ["empty"], "nothing was written");
    assert!(listing(&empty).is_empty(), "nothing was written into the empty folder");
}

/// A temporary folder holding a trained `ae` run in `run/`.
fn trained(tag: &str) -> (TempDir, PathBuf) {
    let tmp = TempDir::new(tag);
    let run = tmp.join("run");
    train_table(&run, "ae", 2, &[]);
    (tmp, run)
}

#[test]
fn data_that_does_not_fit_the_model_is_refused() {
    let (tmp, run) = trained("mismatch");
    // One feature more: the table with an extra column.
    let text = std::fs::read_to_string(table()).unwrap();
    let wide: String = text.lines().enumerate().map(|(i, l)| if i == 0 { format!("{l},extra\n") } else { format!("{l},1.5\n") }).collect();
    let wide_path = tmp.join("wide.csv");
    std::fs::write(&wide_path, wide).unwrap();
    // The same number of features under another name.
    let renamed_path = tmp.join("renamed.csv");
    std::fs::write(&renamed_path, text.replacen("mean radius", "radius", 1)).unwrap();
    let scores = tmp.join("scores.csv");
    let report = tmp.join("report");
    bad(&strings(&["score", "--model", &p(&run), "--data", &p(&wide_path), "--out", &p(&scores)]), &["wide.csv", "31", "30"]);
    bad(&strings(&["eval", "--model", &p(&run), "--data", &p(&wide_path), "--out", &p(&report)]), &["wide.csv", "31", "30"]);
    bad(&strings(&["score", "--model", &p(&run), "--data", &p(&renamed_path)]), &["renamed.csv", "mean radius"]);
    bad(&strings(&["score", "--model", &p(&run), "--data", &p(&corpus("non_numeric.csv"))]), &["non_numeric.csv"]);
    // Images for a table model.
    let images = mnist_subset(tmp.path(), 20);
    bad(&strings(&["score", "--model", &p(&run), "--data", &p(&images)]), &["784", "30"]);
    assert!(!scores.exists() && !report.exists(), "an output was written although the command failed");
}

#[test]
fn score_and_eval_refuse_bad_flags() {
    let (tmp, run) = trained("score-flags");
    let data = p(&table());
    let nowhere = tmp.join("no-such-folder").join("scores.csv");
    bad(&strings(&["score", "--model", &p(&run), "--data", &data, "--out", &p(&nowhere)]), &["no-such-folder"]);
    assert!(!tmp.join("no-such-folder").exists(), "score created the missing folder");
    bad(&strings(&["score", "--model", &p(&run), "--data", &data, "--out", &p(&run)]), &["folder"]);
    bad(&strings(&["score", "--model", &p(&run), "--data", &data, "--metric", "rmse"]), &["rmse"]);
    bad(&strings(&["score", "--model", &p(&run), "--data", &data, "--device", "cuda"]), &["cuda"]);
    bad(&strings(&["eval", "--model", &p(&run), "--data", &data, "--device", "cuda"]), &["cuda"]);
    let file = tmp.join("a-file");
    std::fs::write(&file, "x").unwrap();
    bad(&strings(&["eval", "--model", &p(&run), "--data", &data, "--out", &p(&file)]), &["a-file"]);
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
    bad(&strings(&["eval", "--model", &p(&run), "--data", &data, "--thresholds=1,NaN"]), &["NaN"]);
    assert_eq!(listing(tmp.path()), ["a-file", "run"], "nothing else was written");
}

#[test]
fn eval_with_a_missing_label_column_names_it() {
    let (_tmp, run) = trained("eval-label");
    bad(&strings(&["eval", "--model", &p(&run), "--data", &p(&table()), "--label-col", "nope"]), &["\"nope\""]);
}

#[test]
fn eval_with_a_normal_label_that_never_occurs_is_refused() {
    let (_tmp, run) = trained("eval-normal");
    bad(&strings(&["eval", "--model", &p(&run), "--data", &p(&table()), "--normal-label", "7", "--json"]), &["'7'"]);
}

/// Copies the run folder `run` to `dest` (files only; the tensorboard folder is not needed).
fn copy_run(run: &Path, dest: &Path) {
    std::fs::create_dir_all(dest).unwrap();
    for name in listing(run) {
        let from = run.join(&name);
        if from.is_file() {
            std::fs::copy(&from, dest.join(&name)).unwrap();
        }
    }
}

/// Both checkpoints of a run folder (score and eval load best.safetensors, resume model.safetensors)
/// broken by `damage`; each command must refuse them and write nothing.
fn broken_checkpoint(tag: &str, damage: impl Fn(&[u8]) -> Vec<u8>, needles: &[&str]) {
    let (tmp, run) = trained(tag);
    let broken = tmp.join("broken");
    copy_run(&run, &broken);
    for f in ["model.safetensors", "best.safetensors"] {
        let bytes = read(&broken.join(f));
        std::fs::write(broken.join(f), damage(&bytes)).unwrap();
    }
    let before: Vec<(String, Vec<u8>)> = listing(&broken).into_iter().map(|n| (n.clone(), read(&broken.join(&n)))).collect();
    let scores = tmp.join("scores.csv");
    let report = tmp.join("report");
    let data = p(&table());
    bad(&strings(&["score", "--model", &p(&broken), "--data", &data, "--out", &p(&scores)]), needles);
    bad(&strings(&["eval", "--model", &p(&broken), "--data", &data, "--out", &p(&report)]), needles);
    bad(&strings(&["train", "--resume", &p(&broken), "--epochs", "4"]), needles);
    assert!(!scores.exists() && !report.exists(), "an output was written although the command failed");
    let after: Vec<(String, Vec<u8>)> = listing(&broken).into_iter().map(|n| (n.clone(), read(&broken.join(&n)))).collect();
    assert!(before == after, "the broken run folder was changed");
}

#[test]
fn a_truncated_checkpoint_is_refused() {
    broken_checkpoint("truncated", |b| b[..b.len() / 2].to_vec(), &["safetensors", "truncated"]);
}

#[test]
fn a_checkpoint_with_a_corrupted_header_is_refused() {
    // Overwrite the start of the JSON header.
    broken_checkpoint(
        "corrupt-header",
        |b| {
            let mut v = b.to_vec();
            v[8..40].fill(b'#');
            v
        },
        &["safetensors", "header"],
    );
    // A header length far past the end of the file.
    broken_checkpoint(
        "corrupt-length",
        |b| {
            let mut v = b.to_vec();
            v[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
            v
        },
        &["safetensors", "header"],
    );
    // Not a checkpoint at all.
    broken_checkpoint("not-safetensors", |_| b"hello".to_vec(), &["safetensors"]);
}

/// Rewrites the JSON header of a safetensors file with `edit` (the data is kept as it is).
fn edit_header(bytes: &[u8], edit: impl Fn(&mut serde_json::Value)) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    edit(&mut header);
    let mut text = serde_json::to_vec(&header).unwrap();
    // Keep the header's length so the data offsets stay valid (safetensors pads with spaces).
    assert!(text.len() <= n, "the edited header grew");
    text.resize(n, b' ');
    let mut out = (n as u64).to_le_bytes().to_vec();
    out.extend(text);
    out.extend_from_slice(&bytes[8 + n..]);
    out
}

#[test]
fn a_checkpoint_with_a_wrong_dtype_or_shape_is_refused() {
    // Same bytes, read as int32: a valid safetensors file Recon must not misread.
    broken_checkpoint("dtype", |b| edit_header(b, |h| h["decoder.0.bias"]["dtype"] = "I32".into()), &["decoder.0.bias", "I32", "F32"]);
    // A weight's two axes swapped: the same number of values, the wrong layout.
    broken_checkpoint(
        "shape",
        |b| {
            edit_header(b, |h| {
                let s = h["decoder.0.weight"]["shape"].as_array().unwrap().clone();
                h["decoder.0.weight"]["shape"] = serde_json::Value::Array(s.into_iter().rev().collect());
            })
        },
        &["decoder.0.weight", "shape"],
    );
}

/// A tiny valid MNIST-style pair of files (`n` images of 4x4) in `dir`; returns the images path.
fn tiny_idx(dir: &Path, n: usize) -> PathBuf {
    let pixels: Vec<u8> = (0..n * 16).map(|i| (i * 37 % 256) as u8).collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
    let images = dir.join("t-images-idx3-ubyte");
    recon_data::write_idx_u8(&images, &pixels, &[n, 4, 4], false).unwrap();
    recon_data::write_idx_u8(dir.join("t-labels-idx1-ubyte"), &labels, &[n], false).unwrap();
    images
}

fn bad_idx_train(images: &Path, needles: &[&str]) {
    let out = images.parent().unwrap().join("run");
    bad(&strings(&["train", "--data", &p(images), "--normal-label", "0", "--model", "ae", "--epochs", "1", "--out", &p(&out)]), needles);
    assert!(!out.exists(), "train created {} although it failed", out.display());
}

#[test]
fn malformed_idx_files_are_refused() {
    // Images with a wrong magic number (0x00000903: a 3-d array of an unknown type).
    let tmp = TempDir::new("idx-magic");
    let images = tiny_idx(tmp.path(), 12);
    let mut b = read(&images);
    b[2] = 0x09;
    std::fs::write(&images, &b).unwrap();
    bad_idx_train(&images, &["t-images-idx3-ubyte", "magic"]);

    // A labels file with the images' magic number.
    let tmp = TempDir::new("idx-label-magic");
    let images = tiny_idx(tmp.path(), 12);
    let labels = tmp.join("t-labels-idx1-ubyte");
    let mut b = read(&labels);
    b[3] = 0x03;
    std::fs::write(&labels, &b).unwrap();
    bad_idx_train(&images, &["t-labels-idx1-ubyte", "magic"]);

    // Truncated image data.
    let tmp = TempDir::new("idx-truncated");
    let images = tiny_idx(tmp.path(), 12);
    let b = read(&images);
    std::fs::write(&images, &b[..b.len() - 20]).unwrap();
    bad_idx_train(&images, &["t-images-idx3-ubyte", "truncated"]);

    // A header cut inside the sizes.
    let tmp = TempDir::new("idx-header");
    let images = tiny_idx(tmp.path(), 12);
    std::fs::write(&images, &read(&images)[..9]).unwrap();
    bad_idx_train(&images, &["t-images-idx3-ubyte", "header"]);

    // Fewer labels than images.
    let tmp = TempDir::new("idx-labels");
    let images = tiny_idx(tmp.path(), 12);
    recon_data::write_idx_u8(tmp.join("t-labels-idx1-ubyte"), &[0; 10], &[10], false).unwrap();
    bad_idx_train(&images, &["t-labels-idx1-ubyte", "10 labels"]);

    // No labels file beside the images.
    let tmp = TempDir::new("idx-no-labels");
    let images = tiny_idx(tmp.path(), 12);
    std::fs::remove_file(tmp.join("t-labels-idx1-ubyte")).unwrap();
    bad_idx_train(&images, &["t-labels-idx1-ubyte"]);

    // The bundled gzipped images cut in half (the labels beside them are whole).
    let tmp = TempDir::new("idx-gzip");
    let gz = read(&data("mnist-10k-images-idx3-ubyte.gz"));
    let images = tmp.join("m-images-idx3-ubyte.gz");
    std::fs::write(&images, &gz[..gz.len() / 2]).unwrap();
    std::fs::copy(data("mnist-10k-labels-idx1-ubyte.gz"), tmp.join("m-labels-idx1-ubyte.gz")).unwrap();
    bad_idx_train(&images, &["m-images-idx3-ubyte.gz", "truncated"]);

    // A binary file that is neither IDX nor text.
    let tmp = TempDir::new("binary");
    let junk = tmp.join("junk.bin");
    std::fs::write(&junk, [0xff, 0xfe, 0x00, 0x01, 0x80, 0x81, b'\n', 0xc3]).unwrap();
    bad_idx_train(&junk, &["junk.bin"]);
}

/// Usage errors come from clap: exit status 2 and a first line starting with
/// `error:` (clap adds a usage line and a hint below it), no panic, no output.
#[test]
fn usage_errors_exit_with_status_2() {
    let tmp = TempDir::new("usage");
    let out = tmp.join("run");
    let table = p(&table());
    for extra in [&["--epochs", "two"][..], &["--batch-size", "-3"], &["--lr", "-1"], &["--no-such-flag"], &["--seed", "1.5"]] {
        let mut args = with_paths(words("train --label-col target --normal-label 1"), &[("--data", Path::new(&table)), ("--out", &out)]);
        args.extend(strings(extra));
        let o = recon(&args);
        let why = describe(&args, &o);
        assert_eq!(o.status.code(), Some(2), "{why}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.starts_with("error: ") && !err.contains("panicked"), "{why}");
        assert!(!out.exists(), "{why}");
    }
    for args in [words("frobnicate"), words("score --data x.csv"), Vec::new()] {
        let o = recon(&args);
        assert_eq!(o.status.code(), Some(2), "{}", describe(&args, &o));
    }
}
