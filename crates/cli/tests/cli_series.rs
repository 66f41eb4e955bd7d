//! Time series end to end: `--window`/`--stride` cut a series into windows,
//! the model trains on them, and `score`/`eval` answer per time point (the
//! highest score of the windows covering it).

mod common;

use common::*;

/// A sine and a cosine with a level shift in `a` at points 400..420.
fn series(path: &std::path::Path) {
    let mut csv = String::from("a,b,label\n");
    for t in 0..600 {
        let anomaly = (400..420).contains(&t);
        let a = (t as f64 / 10.0).sin() + if anomaly { 2.0 } else { 0.0 };
        let b = (t as f64 / 10.0).cos();
        csv += &format!("{a:.4},{b:.4},{}\n", u8::from(anomaly));
    }
    std::fs::write(path, csv).unwrap();
}

#[test]
fn windows_train_and_scores_map_back_to_time_points() {
    let tmp = TempDir::new("series");
    let data = tmp.join("series.csv");
    series(&data);
    let run = tmp.join("run");
    ok(&strings(&[
        "train",
        "--data",
        &p(&data),
        "--label-col",
        "label",
        "--normal-label",
        "0",
        "--window",
        "16",
        "--stride",
        "4",
        "--epochs",
        "5",
        "--quiet",
        "--out",
        &p(&run),
    ]));
    let scores = ok(&strings(&["score", "--model", &p(&run), "--data", &p(&data)]));
    let lines: Vec<&str> = scores.lines().collect();
    assert_eq!(lines.len(), 601, "one score per time point plus the header");
    let score = |t: usize| -> f64 { lines[t + 1].split(',').nth(1).unwrap().parse().unwrap() };
    let shifted = (400..420).map(score).fold(f64::INFINITY, f64::min);
    let calm = (100..300).map(score).fold(0.0, f64::max);
    assert!(shifted > calm, "the level shift scores above every calm point: {shifted} vs {calm}");
    let json = ok(&strings(&["eval", "--model", &p(&run), "--data", &p(&data), "--json"]));
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["n"], 600);
    assert_eq!(v["n_anomaly"], 20);
    assert!(v["roc_auc"].as_f64().unwrap() > 0.9, "{v}");
}
