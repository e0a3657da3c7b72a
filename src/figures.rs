//! Figures as people read them, in the CLI's tables and the report alike: whole numbers with
//! thousands separators, shares as percentages.

/// 558086.4 → "558,086".
pub fn thousands(v: f64) -> String {
    let whole = v.round() as i64;
    let digits = whole.unsigned_abs().to_string();
    let mut out = String::new();
    for (j, ch) in digits.chars().enumerate() {
        if j > 0 && (digits.len() - j).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if whole < 0 { format!("-{out}") } else { out }
}

/// 0.8123 → "81.2%".
pub fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_figures() {
        assert_eq!(thousands(558086.4), "558,086");
        assert_eq!(thousands(-1200.0), "-1,200");
        assert_eq!(thousands(0.4), "0");
        assert_eq!(percent(0.8123), "81.2%");
    }
}
