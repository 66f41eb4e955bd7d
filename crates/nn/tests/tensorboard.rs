//! End-to-end check of `recon_nn::tensorboard::EventWriter` against
//! TensorBoard's own reader: write scalars, load the directory with
//! `tensorboard.backend.event_processing.event_accumulator.EventAccumulator`
//! (via `tests/read_tensorboard.py`), and compare what comes back.
//!
//! Needs the Python package `tensorboard` (`pip install tensorboard`). Without
//! it the test prints a visible SKIPPED line and passes, unless the `CI`
//! environment variable is set, in which case it fails. `RECON_PYTHON`
//! overrides the interpreter (default `python3`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use recon_nn::tensorboard::EventWriter;

fn python() -> String {
    std::env::var("RECON_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Whether `import tensorboard` works; on failure, skips loudly or (on CI) fails.
fn tensorboard_available() -> bool {
    let ok = Command::new(python())
        .args(["-c", "import tensorboard.backend.event_processing.event_accumulator"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return true;
    }
    let msg = "SKIPPED: tensorboard python package not installed (pip install tensorboard)";
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("{msg}; CI is set, so this is a failure");
    }
    // Written straight to the stderr handle rather than with eprintln!, which
    // libtest captures and hides for passing tests.
    let _ = writeln!(std::io::stderr().lock(), "\n{msg}\n");
    false
}

fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    std::env::temp_dir().join(format!("recon-{name}-{}-{nanos}", std::process::id()))
}

/// The few JSON shapes `read_tensorboard.py` prints.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

impl Json {
    fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(m) => m.get(key).unwrap_or_else(|| panic!("missing key {key:?} in {self:?}")),
            _ => panic!("not an object: {self:?}"),
        }
    }
    fn num(&self) -> f64 {
        match self {
            Json::Num(x) => *x,
            _ => panic!("not a number: {self:?}"),
        }
    }
    fn arr(&self) -> &[Json] {
        match self {
            Json::Arr(a) => a,
            _ => panic!("not an array: {self:?}"),
        }
    }
}

/// Minimal JSON parser (no escapes beyond the simple ones; enough for the
/// checker's output). Python's `NaN`/`Infinity` extensions are accepted.
struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }
    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.pos..].starts_with(lit.as_bytes()) {
            self.pos += lit.len();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, c: u8) {
        self.ws();
        assert_eq!(self.s.get(self.pos), Some(&c), "expected {:?} at {}", c as char, self.pos);
        self.pos += 1;
    }
    fn string(&mut self) -> String {
        self.expect(b'"');
        let mut out = String::new();
        loop {
            let c = self.s[self.pos];
            self.pos += 1;
            match c {
                b'"' => return out,
                b'\\' => {
                    let e = self.s[self.pos];
                    self.pos += 1;
                    out.push(match e {
                        b'n' => '\n',
                        b't' => '\t',
                        b'"' | b'\\' | b'/' => e as char,
                        _ => panic!("unsupported escape \\{}", e as char),
                    });
                }
                _ => {
                    // Re-decode multi-byte UTF-8 from the byte slice.
                    let start = self.pos - 1;
                    let len = std::str::from_utf8(&self.s[start..]).ok().and_then(|t| t.chars().next()).map_or(1, char::len_utf8);
                    out.push_str(std::str::from_utf8(&self.s[start..start + len]).unwrap());
                    self.pos = start + len;
                }
            }
        }
    }
    fn value(&mut self) -> Json {
        self.ws();
        let first = self.s[self.pos];
        match first {
            b'{' => {
                self.pos += 1;
                let mut m = BTreeMap::new();
                self.ws();
                if self.eat("}") {
                    return Json::Obj(m);
                }
                loop {
                    let k = self.string();
                    self.expect(b':');
                    m.insert(k, self.value());
                    self.ws();
                    if self.eat("}") {
                        return Json::Obj(m);
                    }
                    self.expect(b',');
                }
            }
            b'[' => {
                self.pos += 1;
                let mut a = Vec::new();
                self.ws();
                if self.eat("]") {
                    return Json::Arr(a);
                }
                loop {
                    a.push(self.value());
                    self.ws();
                    if self.eat("]") {
                        return Json::Arr(a);
                    }
                    self.expect(b',');
                }
            }
            b'"' => Json::Str(self.string()),
            _ if self.eat("null") => Json::Null,
            _ if self.eat("true") => Json::Bool(true),
            _ if self.eat("false") => Json::Bool(false),
            _ if self.eat("NaN") => Json::Num(f64::NAN),
            _ if self.eat("Infinity") => Json::Num(f64::INFINITY),
            _ if self.eat("-Infinity") => Json::Num(f64::NEG_INFINITY),
            _ => {
                let start = self.pos;
                while self.pos < self.s.len() && matches!(self.s[self.pos], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                    self.pos += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.pos]).unwrap();
                Json::Num(text.parse().unwrap_or_else(|_| panic!("bad number {text:?} at {start}")))
            }
        }
    }
}

fn parse_json(text: &str) -> Json {
    let mut p = Parser { s: text.as_bytes(), pos: 0 };
    let v = p.value();
    p.ws();
    assert_eq!(p.pos, p.s.len(), "trailing characters after JSON");
    v
}

#[test]
fn json_parser_smoke() {
    let v = parse_json(r#" {"a": [1, -2.5e-3, NaN], "b": {"c": "x\"y"}, "d": null, "e": true} "#);
    assert_eq!(v.get("a").arr()[1].num(), -2.5e-3);
    assert!(v.get("a").arr()[2].num().is_nan());
    assert_eq!(v.get("b").get("c"), &Json::Str("x\"y".into()));
}

fn loss(step: i64) -> f32 {
    1.0 / (step as f32 + 1.0)
}
fn val_loss(step: i64) -> f32 {
    1.2 / (step as f32 + 1.0) + 0.05
}

#[test]
fn tensorboard_reads_our_event_file() {
    if !tensorboard_available() {
        return;
    }
    let dir = temp_dir("tensorboard-e2e");
    {
        let mut tb = EventWriter::create(&dir).expect("create event file");
        assert!(tb.path().starts_with(&dir));
        for step in 0..5 {
            tb.add_scalar("loss", loss(step), step).unwrap();
            tb.add_scalar("val_loss", val_loss(step), step).unwrap();
        }
        tb.flush().unwrap();
    }

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/read_tensorboard.py");
    let out = Command::new(python()).arg(&script).arg(&dir).output().expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}", script.display(), out.status);
    let json = parse_json(&stdout);

    assert_eq!(json.get("file_version").num(), 2.0, "file_version header not seen");
    assert_eq!(json.get("records").num(), 11.0, "1 header + 10 scalar records");

    let scalars = json.get("scalars");
    let Json::Obj(tags) = scalars else { panic!("scalars: {scalars:?}") };
    assert_eq!(tags.keys().collect::<Vec<_>>(), ["loss", "val_loss"]);
    for (tag, f) in [("loss", loss as fn(i64) -> f32), ("val_loss", val_loss)] {
        let points = scalars.get(tag).arr();
        assert_eq!(points.len(), 5, "{tag}: {points:?}");
        for (i, point) in points.iter().enumerate() {
            let [step, value] = point.arr() else { panic!("{tag}: bad point {point:?}") };
            assert_eq!(step.num(), i as f64, "{tag} step");
            // simple_value is a float32; Python widens it to double exactly.
            assert_eq!(value.num() as f32, f(i as i64), "{tag} value at step {i}");
            assert_eq!(value.num(), f64::from(f(i as i64)), "{tag} value at step {i}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
