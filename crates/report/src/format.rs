//! Number formatting for people: a few significant digits, no float noise.

/// `x` with `digits` significant digits, trailing zeros dropped: `0.012345` →
/// `"0.01235"` (4 digits), `1234.6` → `"1235"`. Very large or small magnitudes
/// use scientific notation (`"1.23e-5"`, `"4.5e6"`). NaN is `"n/a"`.
pub fn sig(x: f64, digits: usize) -> String {
    let digits = digits.max(1);
    if x.is_nan() {
        return "n/a".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "∞".into() } else { "-∞".into() };
    }
    if x == 0.0 {
        return "0".into();
    }
    let exp = x.abs().log10().floor() as i32;
    if !(-4..6).contains(&exp) {
        let s = format!("{:.*e}", digits - 1, x);
        let (mantissa, e) = s.split_once('e').unwrap_or((&s, "0"));
        return format!("{}e{}", trim_zeros(mantissa), e);
    }
    let decimals = (digits as i32 - 1 - exp).max(0) as usize;
    trim_zeros(&format!("{:.*}", decimals, x))
}

/// Like [`sig`] but keeping trailing zeros (`0.1460`), so a column of numbers
/// with the same magnitude lines up.
pub fn sig_padded(x: f64, digits: usize) -> String {
    let digits = digits.max(1);
    if !x.is_finite() || x == 0.0 {
        return sig(x, digits);
    }
    let exp = x.abs().log10().floor() as i32;
    if !(-4..6).contains(&exp) {
        return sig(x, digits);
    }
    format!("{:.*}", (digits as i32 - 1 - exp).max(0) as usize, x)
}

/// `x` with exactly `decimals` decimals (for metrics in `[0, 1]`, which line up
/// in tables this way); NaN is `"n/a"`.
pub fn fixed(x: f64, decimals: usize) -> String {
    if x.is_nan() {
        "n/a".into()
    } else {
        format!("{:.*}", decimals, x)
    }
}

/// A share in `[0, 1]` as a percentage with one decimal: `0.1234` → `"12.3%"`.
pub fn percent(share: f64) -> String {
    if share.is_nan() {
        "n/a".into()
    } else {
        format!("{:.1}%", share * 100.0)
    }
}

/// An integer with thousands separators: `56863` → `"56,863"`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn trim_zeros(s: &str) -> String {
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s };
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(sig(0.012345, 4), "0.01235");
        assert_eq!(sig(1234.6, 4), "1235");
        assert_eq!(sig(0.5, 4), "0.5");
        assert_eq!(sig(9.99996, 4), "10");
        assert_eq!(sig(-2.0, 3), "-2");
        assert_eq!(sig(0.0, 3), "0");
        assert_eq!(sig(1.234e-5, 3), "1.23e-5");
        assert_eq!(sig(4.5e6, 3), "4.5e6");
        assert_eq!(sig(f64::NAN, 3), "n/a");
        assert_eq!(sig(f64::INFINITY, 3), "∞");
        assert_eq!(sig(-1e-12, 2), "-1e-12");
    }

    #[test]
    fn padded_keeps_zeros() {
        assert_eq!(sig_padded(0.146, 4), "0.1460");
        assert_eq!(sig_padded(12.0, 3), "12.0");
        assert_eq!(sig_padded(f64::NAN, 3), "n/a");
    }

    #[test]
    fn fixed_percent_and_counts() {
        assert_eq!(fixed(0.95, 3), "0.950");
        assert_eq!(fixed(f64::NAN, 3), "n/a");
        assert_eq!(percent(0.1234), "12.3%");
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(56863), "56,863");
        assert_eq!(count(1234567), "1,234,567");
    }
}
