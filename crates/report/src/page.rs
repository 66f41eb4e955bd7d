//! The page: header with the headline numbers, the thresholds, the plots in a
//! responsive grid with captions saying how to read them, the features behind
//! flagged rows, the model and the notes.
//!
//! The markup is also well-formed XML (void elements self-closed, no `<` or
//! `&` in the stylesheet), so the tests can check it strictly.

use std::fmt::Write as _;

use crate::escape::escape;
use crate::format::{count, fixed, percent, sig, sig_padded};
use crate::plots;
use crate::{ReportData, ThresholdRow};

const STYLE: &str = r#"
:root { --ink: #1f2937; --muted: #5b6472; --line: #e3e6ea; --bg: #f4f5f7; --card: #ffffff;
  --normal: #0072B2; --anomaly: #D55E00; --accent: #0b3a5b; --chosen: #fff6e5; }
* { box-sizing: border-box; }
html { color-scheme: light; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
header.top { background: var(--accent); color: #fff; }
header.top .wrap { padding-top: 26px; padding-bottom: 24px; }
.wrap { max-width: 1360px; margin: 0 auto; padding: 0 28px; }
.kicker { margin: 0; font-size: 13px; letter-spacing: .08em; text-transform: uppercase; opacity: .75; }
h1 { margin: 2px 0 4px; font-size: 28px; line-height: 1.25; font-weight: 650; overflow-wrap: anywhere; }
.sub { margin: 0; opacity: .85; font-size: 14.5px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-top: 20px; }
.tile { background: rgba(255,255,255,.08); border: 1px solid rgba(255,255,255,.18); border-radius: 10px; padding: 10px 14px; }
.tile .k { font-size: 12.5px; text-transform: uppercase; letter-spacing: .06em; opacity: .8; }
.tile .v { font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; line-height: 1.3; }
.tile .s { font-size: 12.5px; opacity: .8; overflow-wrap: anywhere; }
nav.toc { background: #fff; border-bottom: 1px solid var(--line); }
nav.toc .wrap { display: flex; flex-wrap: wrap; gap: 4px 22px; padding-top: 9px; padding-bottom: 9px; font-size: 14px; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
main.wrap { padding-top: 8px; padding-bottom: 40px; }
section { margin-top: 30px; }
h2 { font-size: 20px; margin: 0 0 4px; font-weight: 650; }
h3 { font-size: 15.5px; margin: 18px 0 6px; font-weight: 650; }
p.lead { margin: 0 0 14px; color: var(--muted); max-width: 980px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 520px), 1fr)); gap: 20px; }
figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 10px 12px 14px; }
figure.wide { grid-column: 1 / -1; overflow-x: auto; }
figure.wide:not(.natural) svg { min-width: 760px; }
figure svg { display: block; width: 100%; height: auto; }
figure.natural svg { width: auto; max-width: 100%; }
figcaption { color: var(--muted); font-size: 13.5px; margin: 8px 4px 0; max-width: 900px; }
figcaption b { color: var(--ink); font-weight: 600; }
.scroll { overflow-x: auto; }
table.full { width: 100%; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 14px; }
th, td { padding: 6px 12px; text-align: right; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-weight: 600; color: var(--muted); font-size: 12.5px; text-transform: uppercase; letter-spacing: .04em; border-bottom: 2px solid var(--line); }
td.l, th.l { text-align: left; }
td.wrap-ok { white-space: normal; }
tr.chosen td { background: var(--chosen); }
tr.chosen td:first-child { box-shadow: inset 3px 0 0 #E69F00; }
tr.sep td { border-top: 2px solid var(--line); }
.badge { display: inline-block; margin-left: 8px; padding: 0 7px; border-radius: 9px; background: #E69F00; color: #1f2937; font-size: 11.5px; font-weight: 600; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 6px; vertical-align: 1px; }
.dot.n { background: var(--normal); } .dot.a { background: var(--anomaly); }
.two { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 440px), 1fr)); gap: 20px; align-items: start; }
.feats { display: grid; grid-auto-flow: column; grid-auto-columns: minmax(150px, 200px); gap: 4px 20px; }
.feat { display: grid; grid-template-columns: 1fr auto; align-items: center; column-gap: 8px; font-size: 13.5px; line-height: 1.35; }
.feat .name { grid-column: 1 / -1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.feat .bar { height: 7px; background: #eef0f3; border-radius: 4px; overflow: hidden; }
.feat .bar span { display: block; height: 100%; background: var(--anomaly); }
.feat .val { color: var(--muted); font-variant-numeric: tabular-nums; font-size: 12.5px; }
td.feats-cell { padding-top: 8px; padding-bottom: 8px; }
pre { margin: 0; padding: 14px 16px; background: #fff; color: var(--ink); border: 1px solid var(--line); border-left: 4px solid var(--accent); border-radius: 10px;
  overflow-x: auto; font-size: 13px; line-height: 1.5; }
.card.fit { width: fit-content; max-width: 100%; }
ul.notes { margin: 0; padding-left: 20px; } ul.notes li { margin: 4px 0; }
.warn { color: #8a3b00; }
.muted { color: var(--muted); }
footer { color: var(--muted); font-size: 12.5px; padding: 18px 0 30px; }
@media print { body { background: #fff; } nav.toc { display: none; } figure, .card { break-inside: avoid; } }
"#;

/// How many flagged rows the top-features table lists.
const MAX_FEATURE_ROWS: usize = 100;

/// Renders the whole report as one self-contained HTML page.
pub fn render_html(data: &ReportData) -> String {
    let mut h = String::with_capacity(256 * 1024);
    let n = data.scores.len().min(data.is_anomaly.len());
    let anomalies = data.is_anomaly[..n].iter().filter(|&&a| a).count();
    let chosen = data.thresholds.get(data.chosen);
    let warnings = consistency_warnings(data);
    let title = if data.title.trim().is_empty() { "Anomaly detection report" } else { data.title.as_str() };

    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <meta name=\"generator\" content=\"recon-report {}\"/><title>{} · Recon report</title><style>{STYLE}</style></head><body>",
        env!("CARGO_PKG_VERSION"),
        escape(title)
    );

    header(&mut h, data, title, n, anomalies, chosen);
    let has_images = data.images.is_some();
    let mut toc = vec![("thresholds", "Thresholds"), ("plots", "Plots")];
    if has_images {
        toc.push(("images", "Images"));
    }
    if !data.top_features.is_empty() {
        toc.push(("features", "Why rows were flagged"));
    }
    if !data.model_summary.trim().is_empty() {
        toc.push(("model", "Model"));
    }
    if !data.notes.is_empty() || !warnings.is_empty() {
        toc.push(("notes", "Notes"));
    }
    h.push_str("<nav class=\"toc\"><div class=\"wrap\">");
    for (id, name) in &toc {
        let _ = write!(h, "<a href=\"#{id}\">{name}</a>");
    }
    h.push_str("</div></nav><main class=\"wrap\">");

    thresholds(&mut h, data, chosen);
    plots_section(&mut h, data, n, anomalies, chosen);
    if let Some(set) = &data.images {
        images_section(&mut h, data, set);
    }
    if !data.top_features.is_empty() {
        features(&mut h, data);
    }
    if !data.model_summary.trim().is_empty() {
        let _ = write!(
            h,
            "<section id=\"model\"><h2>Model</h2><p class=\"lead\">The architecture and training settings this report comes from.</p><pre>{}</pre></section>",
            escape(data.model_summary.trim_end())
        );
    }
    if !data.notes.is_empty() || !warnings.is_empty() {
        h.push_str("<section id=\"notes\"><h2>Notes</h2><div class=\"card\"><ul class=\"notes\">");
        for w in &warnings {
            let _ = write!(h, "<li class=\"warn\">{}</li>", escape(w));
        }
        for note in &data.notes {
            let _ = write!(h, "<li>{}</li>", escape(note));
        }
        h.push_str("</ul></div></section>");
    }
    let _ = writeln!(
        h,
        "<footer>Generated by recon-report {}. One self-contained file: no scripts, no network; plots are inline SVG.</footer></main></body></html>",
        env!("CARGO_PKG_VERSION")
    );
    h
}

/// Things in the data that do not fit together, said on the page rather than hidden.
fn consistency_warnings(data: &ReportData) -> Vec<String> {
    let mut w = Vec::new();
    if data.scores.len() != data.is_anomaly.len() {
        w.push(format!(
            "The report was given {} scores but {} labels; only the first {} rows are shown.",
            data.scores.len(),
            data.is_anomaly.len(),
            data.scores.len().min(data.is_anomaly.len())
        ));
    }
    let bad = data.scores.iter().filter(|s| !s.is_finite()).count();
    if bad > 0 {
        w.push(format!("{bad} test scores are not finite numbers (NaN or infinite) and are left out of the plots."));
    }
    if !data.thresholds.is_empty() && data.chosen >= data.thresholds.len() {
        w.push(format!(
            "The chosen threshold index {} is out of range ({} thresholds); no threshold is drawn.",
            data.chosen,
            data.thresholds.len()
        ));
    }
    if let Some(latent) = &data.latent {
        if latent.len() != data.scores.len() {
            w.push(format!("The report was given {} latent codes for {} test rows.", latent.len(), data.scores.len()));
        }
    }
    w
}

fn header(h: &mut String, data: &ReportData, title: &str, n: usize, anomalies: usize, chosen: Option<&ThresholdRow>) {
    let _ = write!(
        h,
        "<header class=\"top\"><div class=\"wrap\"><p class=\"kicker\">Recon · anomaly detection report</p><h1>{}</h1>",
        escape(title)
    );
    let score_name = if data.score_name.is_empty() { "anomaly score" } else { data.score_name.as_str() };
    let _ = write!(
        h,
        "<p class=\"sub\">{} test rows, {} anomalies ({}) · score: {}</p><div class=\"tiles\">",
        count(n as u64),
        count(anomalies as u64),
        percent(if n == 0 { f64::NAN } else { anomalies as f64 / n as f64 }),
        escape(score_name)
    );
    let mut tile = |k: &str, v: String, s: &str| {
        let _ = write!(
            h,
            "<div class=\"tile\"><div class=\"k\">{}</div><div class=\"v\">{}</div><div class=\"s\">{}</div></div>",
            k,
            escape(&v),
            escape(s)
        );
    };
    tile("ROC AUC", fixed(data.roc_auc, 3), "1 = perfect ranking, 0.5 = chance");
    let rate = if n == 0 { f64::NAN } else { anomalies as f64 / n as f64 };
    tile("PR AUC (AP)", fixed(data.pr_auc, 3), &format!("chance = anomaly rate {}", fixed(rate, 3)));
    match chosen {
        Some(t) => {
            let flagged = t.confusion[0][1] + t.confusion[1][1];
            tile("Precision", fixed(t.precision, 3), &format!("{} of {} flagged are anomalies", count(t.confusion[1][1]), count(flagged)));
            tile(
                "Recall",
                fixed(t.recall, 3),
                &format!("{} of {} anomalies caught", count(t.confusion[1][1]), count(t.confusion[1][0] + t.confusion[1][1])),
            );
            tile("F1", fixed(t.f1, 3), "harmonic mean of the two");
            let rule = if t.rule.is_empty() { "chosen threshold".to_string() } else { t.rule.clone() };
            tile("Threshold", sig(t.value, 4), &rule);
        }
        None => tile("Threshold", "none".into(), "no threshold was chosen"),
    }
    h.push_str("</div></div></header>");
}

/// Per-class metrics from a confusion matrix, as scikit-learn's classification
/// report computes them (0 where a ratio is undefined).
struct ClassMetrics {
    precision: f64,
    recall: f64,
    f1: f64,
    support: u64,
}

fn class_metrics(m: &[[u64; 2]; 2], class: usize) -> ClassMetrics {
    let other = 1 - class;
    let tp = m[class][class] as f64;
    let fp = m[other][class] as f64;
    let fn_ = m[class][other] as f64;
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    ClassMetrics { precision, recall, f1: ratio(2.0 * precision * recall, precision + recall), support: m[class][0] + m[class][1] }
}

fn thresholds(h: &mut String, data: &ReportData, chosen: Option<&ThresholdRow>) {
    h.push_str("<section id=\"thresholds\"><h2>Thresholds</h2>");
    if data.thresholds.is_empty() {
        h.push_str("<p class=\"lead\">No thresholds were evaluated.</p></section>");
        return;
    }
    h.push_str(
        "<p class=\"lead\">A row is flagged as an anomaly when its score is above the threshold. Each line is one candidate; \
         precision, recall and F1 are for the anomaly class. The highlighted line is the threshold the plots use.</p>\
         <div class=\"card fit scroll\"><table><thead><tr><th>threshold</th><th class=\"l\">rule</th><th>flagged</th>\
         <th>precision</th><th>recall</th><th>F1</th><th>accuracy</th><th>TN</th><th>FP</th><th>FN</th><th>TP</th></tr></thead><tbody>",
    );
    for (i, t) in data.thresholds.iter().enumerate() {
        let is_chosen = i == data.chosen;
        let m = &t.confusion;
        let _ = write!(
            h,
            "<tr{}><td>{}</td><td class=\"l\">{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if is_chosen { " class=\"chosen\"" } else { "" },
            escape(&sig(t.value, 4)),
            escape(&t.rule),
            if is_chosen { "<span class=\"badge\">chosen</span>" } else { "" },
            count(m[0][1] + m[1][1]),
            fixed(t.precision, 3),
            fixed(t.recall, 3),
            fixed(t.f1, 3),
            fixed(t.accuracy, 3),
            count(m[0][0]),
            count(m[0][1]),
            count(m[1][0]),
            count(m[1][1])
        );
    }
    h.push_str("</tbody></table></div>");

    if let Some(t) = chosen {
        let m = &t.confusion;
        let classes = [class_metrics(m, 0), class_metrics(m, 1)];
        let total: u64 = classes.iter().map(|c| c.support).sum();
        let _ = write!(
            h,
            "<h3>Classification report at threshold {}</h3><div class=\"card fit scroll\"><table>\
             <thead><tr><th class=\"l\"></th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead><tbody>",
            escape(&sig(t.value, 4))
        );
        for (name, dot, c) in [("normal", "n", &classes[0]), ("anomaly", "a", &classes[1])] {
            let _ = write!(
                h,
                "<tr><td class=\"l\"><span class=\"dot {dot}\"></span>{name}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                fixed(c.precision, 3),
                fixed(c.recall, 3),
                fixed(c.f1, 3),
                count(c.support)
            );
        }
        let accuracy = if total == 0 { f64::NAN } else { (m[0][0] + m[1][1]) as f64 / total as f64 };
        let _ = write!(
            h,
            "<tr class=\"sep\"><td class=\"l\">accuracy</td><td></td><td></td><td>{}</td><td>{}</td></tr>",
            fixed(accuracy, 3),
            count(total)
        );
        let metrics = |c: &ClassMetrics| [c.precision, c.recall, c.f1];
        let (a, b) = (metrics(&classes[0]), metrics(&classes[1]));
        let (wa, wb) = if total == 0 {
            (f64::NAN, f64::NAN)
        } else {
            (classes[0].support as f64 / total as f64, classes[1].support as f64 / total as f64)
        };
        let macro_avg: Vec<f64> = (0..3).map(|k| (a[k] + b[k]) / 2.0).collect();
        let weighted_avg: Vec<f64> = (0..3).map(|k| a[k] * wa + b[k] * wb).collect();
        for (name, avg) in [("macro avg", macro_avg), ("weighted avg", weighted_avg)] {
            let _ = write!(
                h,
                "<tr><td class=\"l\">{name}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                fixed(avg[0], 3),
                fixed(avg[1], 3),
                fixed(avg[2], 3),
                count(total)
            );
        }
        h.push_str("</tbody></table></div>");
    }
    h.push_str("</section>");
}

fn figure(h: &mut String, class: &str, svg: &str, caption: &str) {
    let _ = write!(h, "<figure class=\"{class}\">{svg}<figcaption>{caption}</figcaption></figure>");
}

fn plots_section(h: &mut String, data: &ReportData, n: usize, anomalies: usize, chosen: Option<&ThresholdRow>) {
    let score_name = if data.score_name.is_empty() { "anomaly score" } else { data.score_name.as_str() };
    h.push_str("<section id=\"plots\"><h2>Plots</h2><p class=\"lead\">Blue is a normal row and vermillion an anomaly, in every plot; the dashed dark line is the chosen threshold.</p><div class=\"grid\">");

    let line = chosen.map(|t| (t.value, t.rule.as_str()));
    figure(
        h,
        "wide",
        &plots::score_per_sample(&data.scores, &data.is_anomaly, score_name, line),
        "<b>How to read:</b> each dot is one test row, at the height of its score; higher means the model reconstructs it worse. \
         Rows above the dashed line are flagged. Blue dots above the line are false alarms, vermillion dots below it are missed anomalies.",
    );

    if let Some(t) = chosen {
        figure(
            h,
            "",
            &plots::confusion_matrix(&t.confusion, Some(t.value)),
            "<b>How to read:</b> rows are the true class, columns what the detector says at the chosen threshold. \
             Each cell shows a count and its share of the row, and is darker the larger that share: \
             bottom right is the recall (anomalies caught), top right the false-alarm rate.",
        );
    }
    figure(
        h,
        "",
        &plots::score_histograms(&data.scores, &data.is_anomaly, score_name, chosen.map(|t| t.value)),
        "<b>How to read:</b> the spread of scores in each class, each scaled to 100% so that a rare class stays visible. \
         The less the two shapes overlap, the easier the classes are to separate; what lies right of the dashed line is flagged.",
    );
    let fpr_tpr = chosen.and_then(|t| {
        let m = &t.confusion;
        let (negatives, positives) = (m[0][0] + m[0][1], m[1][0] + m[1][1]);
        (negatives > 0 && positives > 0).then(|| (m[0][1] as f64 / negatives as f64, m[1][1] as f64 / positives as f64))
    });
    if !data.roc.is_empty() {
        figure(
            h,
            "",
            &plots::roc_curve(&data.roc, data.roc_auc, fpr_tpr),
            "<b>How to read:</b> sweeping the threshold from high to low, the share of anomalies caught (up) against the share of \
             normal rows wrongly flagged (right). The dashed diagonal is a random score; the nearer the curve runs to the top-left \
             corner, the better. The AUC is the chance that a random anomaly scores above a random normal row.",
        );
    }
    if !data.pr.is_empty() {
        let prevalence = (n > 0).then(|| anomalies as f64 / n as f64);
        let op = chosen.filter(|t| t.confusion[0][1] + t.confusion[1][1] > 0).map(|t| (t.recall, t.precision));
        figure(
            h,
            "",
            &plots::pr_curve(&data.pr, data.pr_auc, prevalence, op),
            "<b>How to read:</b> of the rows flagged, the share that are real anomalies (up), against the share of all anomalies \
             caught (right). Flagging more rows moves right and usually down. The dashed line is what flagging at random gives \
             (the anomaly rate); the shaded area is the average precision (AP). Prefer this plot to ROC when anomalies are rare.",
        );
    }
    if !data.epochs.is_empty() {
        let best = data
            .epochs
            .iter()
            .filter_map(|e| e.val_loss.filter(|v| v.is_finite()).map(|v| (e.epoch, v)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let best = match best {
            Some((epoch, v)) => format!(" The lowest validation loss, {}, came at epoch {epoch} (ringed).", escape(&sig(v, 4))),
            None => String::new(),
        };
        figure(
            h,
            "",
            &plots::loss_curves(&data.epochs),
            &format!(
                "<b>How to read:</b> the loss on the training rows (solid) and on held-out validation rows (dashed) after each epoch. \
                 Both should fall and level off; a validation curve that turns up while the training curve keeps falling means the \
                 model is starting to memorise its training rows.{best}"
            ),
        );
    }
    if let Some(latent) = &data.latent {
        figure(
            h,
            "",
            &plots::latent_scatter(latent, &data.is_anomaly),
            "<b>How to read:</b> each dot is a test row placed at its code in the model's latent space (two dimensions). \
             Where the vermillion dots sit apart from the blue cloud, the encoder already tells anomalies apart; \
             where they mix, only the reconstruction error separates them.",
        );
    }
    h.push_str("</div></section>");
}

fn images_section(h: &mut String, data: &ReportData, set: &crate::ImageSet) {
    let score_name = if data.score_name.is_empty() { "anomaly score" } else { data.score_name.as_str() };
    h.push_str(
        "<section id=\"images\"><h2>Images</h2><p class=\"lead\">What the model sees and what it gives back.</p><div class=\"grid\">",
    );
    let grid_caption = if set.noisy.is_some() {
        "<b>How to read:</b> top, the corrupted images the model was given; middle, what it made of them; then the clean originals. \
         The last row is the difference between output and original, brighter where it is larger (scaled to the largest difference shown)."
    } else {
        "<b>How to read:</b> test images (top) and the model's reconstructions (middle). The last row is their difference, brighter \
         where the reconstruction is worse (scaled to the largest difference shown): an anomaly is what the model cannot redraw."
    };
    figure(h, "wide natural", &plots::reconstruction_grid(set), grid_caption);
    if !set.most_anomalous.is_empty() {
        figure(
            h,
            "wide natural",
            &plots::most_anomalous(set, score_name),
            "<b>How to read:</b> the test images the model reconstructs worst, highest score first. \
             These are the detector's strongest alarms: check whether they look unusual to you.",
        );
    }
    h.push_str("</div></section>");
}

fn features(h: &mut String, data: &ReportData) {
    h.push_str(
        "<section id=\"features\"><h2>Why rows were flagged</h2><p class=\"lead\">For each flagged row, the features whose \
         reconstruction error contributes most to its score, largest first. The bar is the contribution relative to the row's \
         largest one: features that stand out point to what is unusual about the row.</p>\
         <div class=\"card scroll\"><table class=\"full\"><thead><tr><th>row</th><th>score</th><th class=\"l\">true class</th>\
         <th class=\"l\">top features (contribution)</th></tr></thead><tbody>",
    );
    for (row, feats) in data.top_features.iter().take(MAX_FEATURE_ROWS) {
        let score = data.scores.get(*row).map_or("n/a".to_string(), |s| sig_padded(*s, 4));
        let class = match data.is_anomaly.get(*row) {
            Some(true) => "<span class=\"dot a\"></span>anomaly",
            Some(false) => "<span class=\"dot n\"></span>normal",
            None => "<span class=\"muted\">unknown</span>",
        };
        let largest = feats.iter().map(|f| f.1.abs()).filter(|v| v.is_finite()).fold(0.0f64, f64::max);
        let _ = write!(
            h,
            "<tr><td>{row}</td><td>{}</td><td class=\"l\">{class}</td><td class=\"l wrap-ok feats-cell\"><div class=\"feats\">",
            escape(&score)
        );
        for (name, value) in feats {
            let name = escape(name);
            let width = if largest > 0.0 && value.is_finite() { (value.abs() / largest * 100.0).round() } else { 0.0 };
            let _ = write!(
                h,
                "<span class=\"feat\"><span class=\"name\" title=\"{name}\">{name}</span><span class=\"bar\"><span style=\"width: {width}%\"></span></span>\
                 <span class=\"val\">{}</span></span>",
                escape(&sig(*value, 3))
            );
        }
        h.push_str("</div></td></tr>");
    }
    h.push_str("</tbody></table>");
    if data.top_features.len() > MAX_FEATURE_ROWS {
        let _ = write!(h, "<p class=\"muted\">… and {} more flagged rows.</p>", count((data.top_features.len() - MAX_FEATURE_ROWS) as u64));
    }
    h.push_str("</div></section>");
}

#[cfg(test)]
mod tests {
    use super::render_html;
    use crate::check::check_xml;
    use crate::sample::{synthetic, threshold_row};
    use crate::{plots, EpochPoint, ImageSet, ReportData, ThresholdRow};

    /// Every `<svg>...</svg>` in the page, each checked on its own as a document.
    fn svgs(page: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = page;
        while let Some(start) = rest.find("<svg") {
            let end = rest[start..].find("</svg>").expect("svg is closed") + start + "</svg>".len();
            out.push(&rest[start..end]);
            rest = &rest[end..];
        }
        out
    }

    fn assert_well_formed(page: &str) {
        if let Err(e) = check_xml(page) {
            panic!("page is not well-formed: {e}");
        }
        for svg in svgs(page) {
            check_xml(svg).unwrap_or_else(|e| panic!("an SVG is not well-formed: {e}"));
        }
    }

    #[test]
    fn full_report_is_well_formed_with_every_plot() {
        for (images, denoising) in [(false, false), (true, false), (true, true)] {
            let page = render_html(&synthetic(3, images, denoising));
            assert_well_formed(&page);
            let expected_svgs = 7 + if images { 2 } else { 0 };
            assert_eq!(svgs(&page).len(), expected_svgs);
            for needle in ["ROC AUC", "Anomaly score per test sample", "Confusion matrix at threshold", "Loss per epoch", "Latent space"] {
                assert!(page.contains(needle), "missing {needle}");
            }
            assert_eq!(page.contains("data:image/png;base64,"), images);
            assert_eq!(page.contains("noisy input"), denoising);
        }
    }

    #[test]
    fn self_contained_no_scripts_no_external_resources() {
        let page = render_html(&synthetic(4, true, false));
        assert!(!page.contains("<script"));
        for attr in ["src=\"http", "href=\"http", "url(", "@import"] {
            assert!(!page.contains(attr), "page refers to something outside: {attr}");
        }
        // Only in-page links and data URIs.
        for part in page.split("href=\"").skip(1) {
            assert!(part.starts_with('#') || part.starts_with("data:image/png;base64,"), "link to {}", &part[..part.len().min(30)]);
        }
    }

    #[test]
    fn text_from_the_data_is_escaped_everywhere() {
        let evil = "<script>alert(1)</script>&\"'";
        let mut d = synthetic(5, true, false);
        d.title = evil.into();
        d.score_name = evil.into();
        d.model_summary = evil.into();
        d.notes = vec![evil.into()];
        d.thresholds[d.chosen].rule = evil.into();
        d.top_features[0].1[0].0 = evil.into();
        let page = render_html(&d);
        assert_well_formed(&page);
        assert!(!page.contains("<script"), "unescaped markup");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;"));
    }

    #[test]
    fn empty_report_does_not_panic_and_is_well_formed() {
        let page = render_html(&ReportData::default());
        assert_well_formed(&page);
        assert!(page.contains("Anomaly detection report"));
        assert!(page.contains("No test scores"));
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let nan_row =
            ThresholdRow { value: f64::NAN, precision: f64::NAN, recall: f64::NAN, f1: f64::NAN, accuracy: f64::NAN, ..Default::default() };
        let cases: Vec<ReportData> = vec![
            // One sample.
            ReportData {
                scores: vec![0.3],
                is_anomaly: vec![false],
                thresholds: vec![threshold_row(&[0.3], &[false], 0.5, "fixed")],
                ..Default::default()
            },
            // All one class, identical scores, no curves.
            ReportData { scores: vec![1.0; 50], is_anomaly: vec![true; 50], roc_auc: f64::NAN, pr_auc: f64::NAN, ..Default::default() },
            // Non-finite everything, lengths that disagree, chosen out of range.
            ReportData {
                scores: vec![f64::NAN, f64::INFINITY, -1.0, 0.0],
                is_anomaly: vec![true, false],
                epochs: vec![EpochPoint { epoch: 1, loss: f64::NAN, val_loss: Some(f64::INFINITY) }],
                thresholds: vec![nan_row.clone()],
                chosen: 7,
                roc: vec![(f64::NAN, 0.5)],
                pr: vec![(0.5, f64::NAN)],
                latent: Some(vec![(f64::NAN, 1.0), (2.0, 2.0), (3.0, 3.0)]),
                images: Some(ImageSet { width: 0, height: 5, inputs: vec![vec![]], ..Default::default() }),
                top_features: vec![(99, vec![("f".into(), f64::NAN)]), (0, vec![])],
                ..Default::default()
            },
            // Images whose pixel counts are wrong, scores spanning many decades, one epoch.
            ReportData {
                scores: vec![1e-9, 1e3, 5.0],
                is_anomaly: vec![false, true, false],
                epochs: vec![EpochPoint { epoch: 3, loss: 0.5, val_loss: None }],
                thresholds: vec![ThresholdRow { value: 1.0, confusion: [[2, 0], [0, 1]], ..Default::default() }],
                images: Some(ImageSet {
                    width: 3,
                    height: 2,
                    inputs: vec![vec![0.5; 2], vec![0.1; 9]],
                    reconstructions: vec![vec![f32::NAN; 6]],
                    noisy: Some(vec![]),
                    most_anomalous: vec![(vec![], f64::NAN)],
                }),
                ..Default::default()
            },
        ];
        for d in &cases {
            assert_well_formed(&render_html(d));
        }
        assert!(render_html(&cases[2]).contains("out of range"));
    }

    #[test]
    fn every_plot_function_survives_empty_input() {
        let empty_set = ImageSet::default();
        for svg in [
            plots::loss_curves(&[]),
            plots::score_per_sample(&[], &[], "s", None),
            plots::score_histograms(&[], &[], "s", Some(1.0)),
            plots::roc_curve(&[], f64::NAN, None),
            plots::pr_curve(&[], f64::NAN, None, None),
            plots::confusion_matrix(&[[0, 0], [0, 0]], None),
            plots::latent_scatter(&[], &[]),
            plots::reconstruction_grid(&empty_set),
            plots::most_anomalous(&empty_set, "s"),
        ] {
            check_xml(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        }
    }

    #[test]
    fn threshold_line_is_labelled_with_its_value_and_log_scale_is_used_when_useful() {
        let scores: Vec<f64> = (0..200).map(|i| 10f64.powf(-4.0 + i as f64 / 50.0)).collect();
        let labels: Vec<bool> = (0..200).map(|i| i % 7 == 0).collect();
        let svg = plots::score_per_sample(&scores, &labels, "MSE", Some((0.012345, "fixed")));
        assert!(svg.contains("threshold 0.01235 (fixed)"), "{svg}");
        assert!(svg.contains("MSE (log scale)"));
        let linear = plots::score_per_sample(&[0.2, 0.3, 0.5], &[false, false, true], "MSE", None);
        assert!(!linear.contains("log scale"));
    }

    #[test]
    fn classification_report_matches_scikit_learn_definitions() {
        // y_true = [0]*8 + [1]*4; TN 6, FP 2, FN 1, TP 3:
        // sklearn: normal p=6/7 r=6/8, anomaly p=3/5 r=3/4, accuracy 9/12.
        let d = ReportData {
            thresholds: vec![ThresholdRow { value: 1.0, confusion: [[6, 2], [1, 3]], ..Default::default() }],
            ..Default::default()
        };
        let page = render_html(&d);
        for expected in ["0.857", "0.750", "0.600", "0.800", "0.667", "0.750", "12"] {
            assert!(page.contains(&format!("<td>{expected}</td>")), "missing {expected}");
        }
        // macro avg precision (6/7 + 3/5) / 2 = 0.729; weighted (6/7*8 + 3/5*4)/12 = 0.771.
        assert!(page.contains("<td>0.729</td>") && page.contains("<td>0.771</td>"));
    }

    #[test]
    fn a_hundred_thousand_rows_make_a_page_of_a_few_megabytes() {
        // The credit-card test split is ~57,000 rows; the page must stay light.
        let n = 100_000;
        let mut x = 12345u64;
        let mut uniform = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let is_anomaly: Vec<bool> = (0..n).map(|i| i % 200 == 0).collect();
        let scores: Vec<f64> = is_anomaly.iter().map(|&a| (if a { 3.0 } else { 1.0 }) * (-3.0 * uniform()).exp()).collect();
        let latent: Vec<(f64, f64)> = (0..n).map(|_| (uniform(), uniform())).collect();
        let (roc, roc_auc, pr, pr_auc) = crate::sample::curves(&scores, &is_anomaly);
        let d = ReportData {
            thresholds: vec![threshold_row(&scores, &is_anomaly, 0.5, "fixed")],
            scores,
            is_anomaly,
            roc,
            roc_auc,
            pr,
            pr_auc,
            latent: Some(latent),
            ..Default::default()
        };
        let start = std::time::Instant::now();
        let page = render_html(&d);
        eprintln!("{} bytes in {:?}", page.len(), start.elapsed());
        assert!(page.len() < 2_000_000, "page is {} bytes", page.len());
        assert_well_formed(&page);
    }
}
