//! The report in a real browser: headless Chromium loads the page without
//! console errors, builds every plot into its DOM, and its screenshot shows
//! the plots (the class colours are there, the pictures decode).
//!
//! Needs Debian's `chromium` package (`apt-get install chromium`). Without
//! it the test prints `SKIPPED` and passes, unless the environment variable
//! `CI` is set: then a missing browser is a failure.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use recon_report::plots;
use recon_report::sample::synthetic;

fn find_chromium() -> Option<PathBuf> {
    let fixed = Path::new("/usr/bin/chromium");
    if fixed.is_file() {
        return Some(fixed.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name))).find(|p| p.is_file())
}

/// A fresh directory, removed when the test passes (kept for inspection when it fails).
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("recon-report-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
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

/// Runs headless Chromium on `page` with `extra` flags and a fresh profile; kills it after two minutes.
fn chromium(browser: &Path, work: &Path, page: &Path, extra: &[String]) -> Output {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let profile = work.join(format!("profile-{}", RUNS.fetch_add(1, Ordering::Relaxed)));
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(format!("file://{}", page.display()))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start chromium");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within two minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output { status, stdout: out_reader.join().unwrap_or_default(), stderr: err_reader.join().unwrap_or_default() }
}

/// Decodes a PNG screenshot into `(width, height, RGB bytes)`.
fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).expect("open screenshot");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().expect("screenshot is a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader.next_frame(&mut buf).expect("decode screenshot");
    buf.truncate(info.buffer_size());
    let channels = info.color_type.samples();
    let rgb = buf.chunks(channels).flat_map(|p| if channels >= 3 { [p[0], p[1], p[2]] } else { [p[0]; 3] }).collect();
    (info.width, info.height, rgb)
}

fn pixels_near(rgb: &[u8], color: [u8; 3], tolerance: i32) -> usize {
    rgb.chunks(3).filter(|p| (0..3).all(|i| (i32::from(p[i]) - i32::from(color[i])).abs() <= tolerance)).count()
}

/// Pixels whose hue is clearly that of the normal class (blue) or the
/// anomaly class (vermillion), at any opacity over white. Counts from row
/// `from_row` on, below the (navy) header.
fn class_pixels(rgb: &[u8], width: u32, from_row: u32) -> (usize, usize) {
    let start = (from_row * width * 3) as usize;
    let (mut blue, mut vermillion) = (0, 0);
    for p in rgb[start.min(rgb.len())..].chunks(3) {
        let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
        if b >= r + 60 && b >= g + 25 {
            blue += 1;
        } else if r >= b + 120 && r >= g + 60 {
            vermillion += 1;
        }
    }
    (blue, vermillion)
}

fn browser_or_skip() -> Option<PathBuf> {
    match find_chromium() {
        Some(b) => Some(b),
        None if std::env::var_os("CI").is_some() => panic!("chromium is not installed and CI is set: apt-get install chromium"),
        None => {
            println!("SKIPPED: apt-get install chromium (no chromium found; the browser test did not run)");
            eprintln!("SKIPPED: apt-get install chromium (no chromium found; the browser test did not run)");
            None
        }
    }
}

/// Chromium's console messages (from `--enable-logging=stderr`); the page has no
/// scripts, so any message (a failed resource, a parse error) is a problem.
fn console_messages(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr).lines().filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught")).map(str::to_string).collect()
}

#[test]
fn report_loads_in_headless_chromium_and_shows_the_plots() {
    let Some(browser) = browser_or_skip() else { return };
    let work = TempDir::new("browser");
    let data = synthetic(11, true, true);
    let report = recon_report::write_report(&work.0.join("out"), &data).expect("write report");

    // 1. The DOM: Chromium parses the page, every plot is in it, the console stays silent.
    let dom = chromium(&browser, &work.0, &report, &["--enable-logging=stderr".into(), "--v=0".into(), "--dump-dom".into()]);
    assert!(dom.status.success(), "chromium --dump-dom failed: {}\n{}", dom.status, String::from_utf8_lossy(&dom.stderr));
    let text = String::from_utf8_lossy(&dom.stdout);
    assert_eq!(text.matches("</svg>").count(), 9, "expected 9 plots in the DOM");
    assert_eq!(text.matches("<image ").count(), 3 * 10 + 10 + 8, "expected 48 images in the DOM");
    for needle in ["ae on breast_cancer.csv", "Anomaly score per test sample", "ROC curve · AUC =", "Classification report at threshold"] {
        assert!(text.contains(needle), "the DOM lacks {needle:?}");
    }
    let console = console_messages(&dom.stderr);
    assert!(console.is_empty(), "console messages while loading the report:\n{}", console.join("\n"));

    // 2. The screenshot: exists, is big, and shows the plots in their colours.
    let shot = work.0.join("report.png");
    let run = chromium(&browser, &work.0, &report, &[format!("--screenshot={}", shot.display()), "--window-size=1400,3000".into()]);
    assert!(run.status.success(), "chromium --screenshot failed: {}\n{}", run.status, String::from_utf8_lossy(&run.stderr));
    let size = std::fs::metadata(&shot).expect("screenshot written").len();
    assert!(size > 100_000, "screenshot is only {size} bytes");
    let (w, h, rgb) = decode_png(&shot);
    assert_eq!((w, h), (1400, 3000));
    let mut colours: Vec<[u8; 3]> = rgb.chunks(3).map(|p| [p[0], p[1], p[2]]).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 500, "only {} distinct colours: the page looks blank", colours.len());
    let (blue, vermillion) = class_pixels(&rgb, w, 300);
    eprintln!("{} colours, {blue} blue and {vermillion} vermillion pixels", colours.len());
    let header = pixels_near(&rgb, [0x0b, 0x3a, 0x5b], 6);
    assert!(blue > 2_000, "only {blue} pixels in the normal class's blue");
    assert!(vermillion > 1_000, "only {vermillion} pixels in the anomaly class's vermillion");
    assert!(header > 100_000, "the header band is missing ({header} pixels)");
}

#[test]
fn embedded_png_images_decode_in_chromium() {
    let Some(browser) = browser_or_skip() else { return };
    let work = TempDir::new("browser-images");
    let set = synthetic(12, true, false).images.expect("sample has images");
    // Only the image plots, so they are inside the window; failed images would leave the frames white.
    let page = work.0.join("images.html");
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"/><style>body {{ margin: 0; background: #fff; }}</style></head><body>{}{}</body></html>",
        plots::reconstruction_grid(&set),
        plots::most_anomalous(&set, "score")
    );
    std::fs::write(&page, html).expect("write page");
    let shot = work.0.join("images.png");
    let run = chromium(&browser, &work.0, &page, &[format!("--screenshot={}", shot.display()), "--window-size=1200,800".into()]);
    assert!(run.status.success(), "chromium --screenshot failed: {}\n{}", run.status, String::from_utf8_lossy(&run.stderr));
    let (_, _, rgb) = decode_png(&shot);
    // 38 images of 84×84 drawn pixels, mostly black background (rings and bars are thin).
    let black = pixels_near(&rgb, [0, 0, 0], 30);
    let white = pixels_near(&rgb, [255, 255, 255], 30);
    assert!(black > 38 * 84 * 84 / 2, "only {black} black pixels: the PNG images did not decode");
    assert!(white > 10_000, "only {white} white pixels");
}
