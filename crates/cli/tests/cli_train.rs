//! End-to-end tests of `recon train`: the run folder it writes, every preset
//! learning on the bundled data, reproducibility (seeds, thread counts,
//! `--resume`), and a diverging run that stops with a readable message and a
//! loadable model.

mod common;

use std::path::Path;

use common::*;

/// The header of a safetensors file: 8 bytes of little-endian length, then that much JSON.
fn safetensors_header(path: &Path) -> serde_json::Value {
    let bytes = read(path);
    assert!(bytes.len() > 8, "{} is too short for safetensors", path.display());
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    assert!(8 + n <= bytes.len(), "{}: header length {n} runs past the end of the file", path.display());
    serde_json::from_slice(&bytes[8..8 + n]).unwrap_or_else(|e| panic!("{}: header is not JSON: {e}", path.display()))
}

/// Scores the whole breast cancer table with the run folder `run` and returns the scores.
fn score_table(run: &Path) -> Vec<f64> {
    let out = ok(&strings(&["score", "--model", &p(run), "--data", &p(&table())]));
    let mut lines = out.lines();
    let header = lines.next().expect("a header line");
    assert!(header.starts_with("row,score"), "header: {header}");
    let scores: Vec<f64> = lines.map(|l| csv_fields(l)[1].parse::<f64>().unwrap_or_else(|e| panic!("score in {l:?}: {e}"))).collect();
    assert_eq!(scores.len(), 569, "one score per row of the table");
    scores
}

#[test]
fn train_writes_a_complete_run_folder() {
    let tmp = TempDir::new("runfolder");
    let run = tmp.join("run");
    let mut args = strings(&["train", "--model", "ae", "--epochs", "3", "--out", &p(&run)]);
    args.extend(table_flags());
    let stdout = ok(&args);
    assert!(stdout.contains("epoch   3/3") || stdout.contains("epoch 3/3"), "per-epoch lines expected:\n{stdout}");

    for f in ["model.safetensors", "best.safetensors", "metrics.jsonl", "config.json", "threshold.json"] {
        let meta = std::fs::metadata(run.join(f)).unwrap_or_else(|e| panic!("{f} missing: {e}"));
        assert!(meta.is_file() && meta.len() > 0, "{f} is empty");
    }
    // Nothing half-written is left behind (atomic writes rename their temporary files).
    for name in listing(&run) {
        assert!(!name.starts_with('.') && !name.contains("tmp"), "leftover temporary file {name} in {}", run.display());
    }

    let m = metrics(&run);
    assert_eq!(m.len(), 3, "one JSON line per epoch: {m:?}");
    for (i, e) in m.iter().enumerate() {
        assert_eq!(e["epoch"].as_u64(), Some(i as u64 + 1), "{e}");
        for key in ["loss", "val_loss", "seconds", "lr"] {
            let v = e[key].as_f64().unwrap_or_else(|| panic!("{key} is not a number in {e}"));
            assert!(v.is_finite() && v >= 0.0, "{key} = {v} in {e}");
        }
        assert!(e["loss"].as_f64().unwrap() > 0.0, "{e}");
        assert_eq!(e["lr"].as_f64(), Some(1e-3), "the default learning rate: {e}");
    }

    let config: serde_json::Value = serde_json::from_slice(&read(&run.join("config.json"))).expect("config.json is JSON");
    assert_eq!(config["feature_names"].as_array().map(Vec::len), Some(30), "{config}");
    let threshold: serde_json::Value = serde_json::from_slice(&read(&run.join("threshold.json"))).expect("threshold.json is JSON");
    let t = threshold["value"].as_f64().expect("threshold value");
    assert!(t.is_finite() && t > 0.0, "threshold {t}");

    let header = safetensors_header(&run.join("model.safetensors"));
    assert!(header.get("__metadata__").is_some(), "the checkpoint keeps its configuration in __metadata__");
    assert!(header.as_object().unwrap().len() > 1, "the checkpoint holds tensors");

    let events: Vec<String> = listing(&run.join("tensorboard")).into_iter().filter(|n| n.starts_with("events.")).collect();
    assert_eq!(events.len(), 1, "one TensorBoard event file: {events:?}");
    assert!(read(&run.join("tensorboard").join(&events[0])).len() > 16, "the event file holds records");

    // The run folder is usable: its model scores every row.
    assert!(score_table(&run).iter().all(|s| s.is_finite()));
}

#[test]
fn table_presets_train_and_their_loss_falls() {
    let tmp = TempDir::new("presets");
    for model in ["ae", "sparse-ae", "deep-ae", "denoising-ae", "vae"] {
        let run = tmp.join(model);
        train_table(&run, model, 5, &[]);
        let l = losses(&run);
        assert_eq!(l.len(), 5, "{model}: {l:?}");
        assert!(l.iter().all(|x| x.is_finite()), "{model}: {l:?}");
        assert!(l[4] < l[0], "{model}: the loss should fall over 5 epochs: {l:?}");
        let val: Vec<f64> = metrics(&run).iter().map(|m| m["val_loss"].as_f64().unwrap()).collect();
        assert!(val[4] < val[0], "{model}: the validation loss should fall over 5 epochs: {val:?}");
        let config: serde_json::Value = serde_json::from_slice(&read(&run.join("config.json"))).unwrap();
        assert_eq!(config["model"]["kind"].as_str(), Some(model), "config.json names the preset");
    }
}

/// conv-ae or denoising-ae on the first 2,000 MNIST digits (about 200 zeros), 2 epochs.
fn mnist_preset(model: &str) {
    let tmp = TempDir::new(model);
    let images = mnist_subset(tmp.path(), 2000);
    let run = tmp.join("run");
    ok(&strings(&["train", "--model", model, "--data", &p(&images), "--normal-label", "0", "--epochs", "2", "--quiet", "--out", &p(&run)]));
    let l = losses(&run);
    assert_eq!(l.len(), 2, "{model}: {l:?}");
    assert!(l.iter().all(|x| x.is_finite() && *x > 0.0), "{model}: {l:?}");
    assert!(l[1] < l[0], "{model}: the loss should fall from epoch 1 to 2: {l:?}");
    // It scores images, one line per image.
    let out = ok(&strings(&["score", "--model", &p(&run), "--data", &p(&images)]));
    assert_eq!(out.lines().count(), 2001, "header + one line per image");
}

#[test]
fn conv_ae_trains_on_mnist() {
    mnist_preset("conv-ae");
}

#[test]
fn denoising_ae_trains_on_mnist() {
    mnist_preset("denoising-ae");
}

/// Trains into `dir/run` with `RAYON_NUM_THREADS=threads`, then moves the run to `dir/name`
/// (every run is written at the same path, so even the metadata, which records it, matches).
fn train_at_same_path(dir: &Path, name: &str, threads: &str, args: &[String]) -> std::path::PathBuf {
    let run = dir.join("run");
    let mut full = args.to_vec();
    full.extend(strings(&["--quiet", "--out", &p(&run)]));
    let out = run_env(&full, "RAYON_NUM_THREADS", threads);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&full, &out));
    let dest = dir.join(name);
    std::fs::rename(&run, &dest).expect("move the run aside");
    dest
}

fn assert_same_file(a: &Path, b: &Path, what: &str) {
    assert!(read(a) == read(b), "{what}: {} and {} differ", a.display(), b.display());
}

#[test]
fn same_seed_gives_identical_weights_whatever_the_thread_count() {
    let tmp = TempDir::new("determinism");
    for model in ["ae", "denoising-ae", "vae"] {
        let mut args = strings(&["train", "--model", model, "--epochs", "3"]);
        args.extend(table_flags());
        let a = train_at_same_path(tmp.path(), &format!("{model}-a"), "2", &args);
        let b = train_at_same_path(tmp.path(), &format!("{model}-b"), "2", &args);
        let c = train_at_same_path(tmp.path(), &format!("{model}-c"), "1", &args);
        for f in ["model.safetensors", "best.safetensors", "threshold.json"] {
            assert_same_file(&a.join(f), &b.join(f), &format!("{model}: the same seed twice, {f}"));
            assert_same_file(&a.join(f), &c.join(f), &format!("{model}: 2 threads against 1, {f}"));
        }
        // The seed matters: another one gives other weights (so the comparison above can fail).
        args.extend(strings(&["--seed", "7"]));
        let d = train_at_same_path(tmp.path(), &format!("{model}-d"), "2", &args);
        assert!(read(&a.join("model.safetensors")) != read(&d.join("model.safetensors")), "{model}: seeds 42 and 7 gave the same weights");
    }
}

#[test]
fn conv_ae_is_deterministic_across_thread_counts() {
    let tmp = TempDir::new("conv-determinism");
    let images = mnist_subset(tmp.path(), 1000);
    let args = strings(&["train", "--model", "conv-ae", "--data", &p(&images), "--normal-label", "0", "--epochs", "1"]);
    let a = train_at_same_path(tmp.path(), "a", "2", &args);
    let b = train_at_same_path(tmp.path(), "b", "1", &args);
    assert_same_file(&a.join("model.safetensors"), &b.join("model.safetensors"), "conv-ae: 2 threads against 1");
}

/// `epoch`, `loss` and `val_loss` of every line of metrics.jsonl (the seconds differ between runs).
fn curve(run: &Path) -> Vec<(u64, f64, f64)> {
    metrics(run).iter().map(|m| (m["epoch"].as_u64().unwrap(), m["loss"].as_f64().unwrap(), m["val_loss"].as_f64().unwrap())).collect()
}

#[test]
fn resume_ends_with_the_weights_of_an_uninterrupted_run() {
    let tmp = TempDir::new("resume");
    for model in ["ae", "denoising-ae", "vae"] {
        let mut args = strings(&["train", "--model", model]);
        args.extend(table_flags());
        let mut four = args.clone();
        four.extend(strings(&["--epochs", "4"]));
        let straight = train_at_same_path(tmp.path(), &format!("{model}-straight"), "2", &four);

        let run = tmp.join("run");
        let mut two = args.clone();
        two.extend(strings(&["--epochs", "2", "--quiet", "--out", &p(&run)]));
        ok(&two);
        assert_eq!(curve(&run).len(), 2);
        ok(&strings(&["train", "--resume", &p(&run), "--epochs", "4", "--quiet"]));
        assert_same_file(&straight.join("model.safetensors"), &run.join("model.safetensors"), &format!("{model}: 4 epochs against 2 + 2"));
        assert_eq!(curve(&straight), curve(&run), "{model}: metrics.jsonl of the resumed run");

        // Resuming a finished run has nothing to do and leaves the model as it was.
        let before = read(&run.join("model.safetensors"));
        ok(&strings(&["train", "--resume", &p(&run), "--quiet"]));
        assert!(read(&run.join("model.safetensors")) == before, "{model}: a resume with no epochs left changed the model");
        assert_eq!(curve(&run).len(), 4);
        std::fs::remove_dir_all(&run).unwrap();
    }
}

#[test]
fn resume_keeps_the_best_checkpoint_of_an_uninterrupted_run() {
    // With SGD at lr 1 the validation loss rises from epoch 3 (0.296) to epoch 4 (0.358):
    // the best epoch of a 4-epoch run is 3, also when the run is resumed after epoch 3.
    let tmp = TempDir::new("resume-best");
    let mut args = strings(&["train", "--model", "ae", "--optimizer", "sgd", "--lr", "1"]);
    args.extend(table_flags());
    let mut four = args.clone();
    four.extend(strings(&["--epochs", "4"]));
    let straight = train_at_same_path(tmp.path(), "straight", "2", &four);
    let v = curve(&straight);
    assert!(v[3].2 > v[2].2, "the premise: val_loss rises at epoch 4: {v:?}");

    let run = tmp.join("run");
    let mut three = args.clone();
    three.extend(strings(&["--epochs", "3", "--quiet", "--out", &p(&run)]));
    ok(&three);
    ok(&strings(&["train", "--resume", &p(&run), "--epochs", "4", "--quiet"]));
    assert_same_file(&straight.join("model.safetensors"), &run.join("model.safetensors"), "model.safetensors");
    // best.safetensors records the command that wrote it (--epochs 3 before the
    // resume), so compare what it computes: the same scores for every row.
    let scores = |dir: &Path| ok(&strings(&["score", "--model", &p(dir), "--data", &p(&table())]));
    assert_eq!(scores(&straight), scores(&run), "the best checkpoints score differently");
    assert_same_file(&straight.join("threshold.json"), &run.join("threshold.json"), "threshold.json");
}

/// Starts `recon train` with `args`, waits until `run/metrics.jsonl` has
/// `epochs` lines, then sends `signal` (`INT` or `KILL`); returns its output.
fn train_until(args: &[String], run: &Path, epochs: usize, signal: &str) -> std::process::Output {
    use std::process::Stdio;
    let child = recon_cmd(args, None).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn recon train");
    let started = std::time::Instant::now();
    while !run.join("metrics.jsonl").is_file() || metrics(run).len() < epochs {
        assert!(started.elapsed().as_secs() < 300, "recon train made no progress in 5 minutes");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let sent = std::process::Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status();
    assert!(sent.is_ok_and(|s| s.success()), "could not send SIG{signal}");
    child.wait_with_output().expect("wait for recon train")
}

#[test]
fn ctrl_c_stops_at_a_batch_boundary_and_resume_ends_with_the_uninterrupted_weights() {
    let tmp = TempDir::new("sigint");
    // Enough epochs that the run is still going when the signal arrives.
    let mut args = strings(&["train", "--model", "vae"]);
    args.extend(table_flags());
    let run = tmp.join("run");
    let mut long = args.clone();
    long.extend(strings(&["--epochs", "100000", "--quiet", "--out", &p(&run)]));
    let out = train_until(&long, &run, 2, "INT");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(130), "Ctrl-C exits with 130; stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("interrupted at epoch") && stderr.contains("--resume"), "the message says how to go on:\n{stderr}");
    let error_line = stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
    let (epoch, _) = epoch_and_batch(error_line);
    let done = curve(&run).len();
    assert_eq!(done, epoch - 1, "metrics.jsonl holds the finished epochs: {stderr}");
    assert!(score_table(&run).iter().all(|s| s.is_finite()), "the kept checkpoint scores every row");

    // Resumed to `done + 2` epochs, it matches a run that was never interrupted.
    let total = (done + 2).to_string();
    ok(&strings(&["train", "--resume", &p(&run), "--epochs", &total, "--quiet"]));
    let resumed = tmp.join("resumed");
    std::fs::rename(&run, &resumed).unwrap();
    let mut straight = args.clone();
    straight.extend(strings(&["--epochs", &total]));
    let straight = train_at_same_path(tmp.path(), "straight", "2", &straight);
    assert_eq!(curve(&straight).iter().map(|c| c.1).collect::<Vec<_>>(), curve(&resumed).iter().map(|c| c.1).collect::<Vec<_>>());
    assert_same_file(&straight.join("model.safetensors"), &resumed.join("model.safetensors"), "interrupted + resumed against straight");
}

#[test]
fn a_run_killed_at_any_moment_leaves_a_whole_checkpoint_to_resume_from() {
    let tmp = TempDir::new("sigkill");
    let mut args = strings(&["train", "--model", "ae", "--quiet"]);
    args.extend(table_flags());
    let run = tmp.join("run");
    let mut long = args.clone();
    long.extend(strings(&["--epochs", "100000", "--out", &p(&run)]));
    // SIGKILL cannot be caught: whatever file was being written must still be whole.
    let out = train_until(&long, &run, 3, "KILL");
    assert_ne!(out.status.code(), Some(0));
    for name in ["model.safetensors", "best.safetensors"] {
        safetensors_header(&run.join(name));
    }
    assert!(score_table(&run).iter().all(|s| s.is_finite()));
    let header = safetensors_header(&run.join("model.safetensors"));
    let epoch: usize = header["__metadata__"]["epoch"].as_str().and_then(|e| e.parse().ok()).expect("the checkpoint names its epoch");
    assert!(epoch >= 2, "the checkpoint is at least as new as the second epoch: {epoch}");
    let total = (epoch + 1).to_string();
    ok(&strings(&["train", "--resume", &p(&run), "--epochs", &total, "--quiet"]));
    assert_eq!(curve(&run).len(), epoch + 1, "the resumed run continues from the checkpoint's epoch");
}

/// The epoch and batch a divergence message names ("... at epoch E, batch B ...").
fn epoch_and_batch(message: &str) -> (usize, usize) {
    let num_after = |word: &str| -> usize {
        let at = message.find(word).unwrap_or_else(|| panic!("the message should name the {word}: {message}"));
        let digits: String = message[at + word.len()..].chars().skip_while(|c| *c == ' ').take_while(char::is_ascii_digit).collect();
        digits.parse().unwrap_or_else(|_| panic!("no number after {word:?} in {message}"))
    };
    (num_after("epoch"), num_after("batch"))
}

#[test]
fn a_diverging_run_stops_with_a_message_and_leaves_a_loadable_model() {
    let tmp = TempDir::new("diverge");
    let run = tmp.join("run");
    let mut args =
        strings(&["train", "--model", "ae", "--optimizer", "sgd", "--lr", "1000", "--epochs", "5", "--quiet", "--out", &p(&run)]);
    args.extend(table_flags());
    let out = recon(&args);
    assert_failure(&args, &out, 1, &["diverge", "epoch", "batch"]);
    let message = String::from_utf8_lossy(&out.stderr).to_string();
    let (epoch, batch) = epoch_and_batch(&message);
    assert!(epoch >= 1 && batch >= 1, "{message}");
    // The epochs before the one that diverged are in metrics.jsonl; none after.
    let done = if run.join("metrics.jsonl").exists() { metrics(&run).len() } else { 0 };
    assert_eq!(done, epoch - 1, "metrics.jsonl should hold the {} finished epochs: {message}", epoch - 1);
    // model.safetensors holds the last good weights and scores every row.
    assert!(run.join("model.safetensors").is_file(), "no model.safetensors after the divergence");
    let scores = score_table(&run);
    assert!(scores.iter().all(|s| s.is_finite()), "the kept model gives finite scores");
}

#[test]
fn a_failed_run_in_a_used_folder_leaves_no_stale_files() {
    let tmp = TempDir::new("stale");
    let run = tmp.join("run");
    train_table(&run, "ae", 3, &[]);
    let old: Vec<(String, Vec<u8>)> =
        ["best.safetensors", "threshold.json", "metrics.jsonl"].iter().map(|f| (f.to_string(), read(&run.join(f)))).collect();
    let mut args =
        strings(&["train", "--model", "vae", "--optimizer", "sgd", "--lr", "1000", "--epochs", "3", "--quiet", "--out", &p(&run)]);
    args.extend(table_flags());
    let out = recon(&args);
    match out.status.code() {
        // Refusing to train into a used folder is fine, if the old run is left whole.
        Some(2) => {
            for (f, bytes) in &old {
                assert!(&read(&run.join(f)) == bytes, "{f} changed although the run was refused");
            }
        }
        Some(1) => {
            for (f, bytes) in &old {
                let now = std::fs::read(run.join(f)).ok();
                assert!(now.as_ref() != Some(bytes), "{f} of the old ae run is still in the folder of the failed vae run");
            }
        }
        _ => panic!("{}", describe(&args, &out)),
    }
}

#[test]
fn a_run_trained_with_a_relative_data_path_works_from_any_folder() {
    let tmp = TempDir::new("relative");
    let run = tmp.join("run");
    let args = words("train --data data/breast_cancer.csv --label-col target --normal-label 1 --epochs 2 --quiet");
    let args = with_paths(args, &[("--out", &run)]);
    let repo = repo().canonicalize().unwrap();
    let out = recon_cmd(&args, Some(&repo)).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&args, &out));
    // From another folder (the tests run recon in the temporary folder).
    let json = ok(&strings(&["eval", "--model", &p(&run), "--data", &p(&table()), "--json"]));
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["n"].as_u64(), Some(113), "only the held-out test rows: {}", v["rows"]);
    ok(&strings(&["train", "--resume", &p(&run), "--epochs", "3", "--quiet"]));
}
