//! `running NAME = sum of EXPR [per COLUMN]`: the words `running`, `sum` and
//! `per` are contextual (they stay usable as names), so a line is a running
//! total only when the whole shape is there.

/// Whether `after` (the text after a leading `running`) continues a running
/// total: a name, `=` (not `==`), `sum` and `of`.
pub(crate) fn starts_running(after: &str) -> bool {
    let word = |s: &str| -> usize {
        s.char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map_or(s.len(), |(i, _)| i)
    };
    let n = word(after);
    if n == 0 || after.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    let rest = after[n..].trim_start();
    let Some(rest) = rest.strip_prefix('=') else {
        return false;
    };
    if rest.starts_with('=') || rest.starts_with('>') {
        return false;
    }
    let rest = rest.trim_start();
    let n = word(rest);
    if &rest[..n] != "sum" {
        return false;
    }
    let rest = rest[n..].trim_start();
    let n = word(rest);
    n > 0 && &rest[..n] == "of"
}

#[cfg(test)]
mod tests {
    use super::starts_running;

    #[test]
    fn only_the_whole_shape_is_a_running_total() {
        assert!(starts_running("lifetime = sum of price per seller"));
        assert!(starts_running("x=sum of 1"));
        assert!(!starts_running("= 5"));
        assert!(!starts_running("x = sum"));
        assert!(!starts_running("x = summary of price"));
        assert!(!starts_running("x == sum of y"));
        assert!(!starts_running("+ 1"));
    }
}
