//! Quoting a field for the CSV and JSON Lines outputs of a ledger (the
//! per-sale rows, the statement, the rejected rows).

/// Writes a CSV field, quoted when it holds a comma, a quote or a line end.
pub fn write_csv_field(out: &mut Vec<u8>, field: &[u8]) {
    if field
        .iter()
        .any(|&c| c == b',' || c == b'"' || c == b'\n' || c == b'\r')
    {
        out.push(b'"');
        for &c in field {
            if c == b'"' {
                out.push(b'"');
            }
            out.push(c);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(field);
    }
}

/// Writes bytes as a JSON string (invalid UTF-8 replaced).
pub fn write_json_string(out: &mut Vec<u8>, s: &[u8]) {
    let s = String::from_utf8_lossy(s);
    out.push(b'"');
    for ch in s.chars() {
        match ch {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes());
            }
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        let mut v = Vec::new();
        write_csv_field(&mut v, b"plain");
        v.push(b'|');
        write_csv_field(&mut v, b"a,b");
        v.push(b'|');
        write_csv_field(&mut v, b"say \"hi\"");
        assert_eq!(v, b"plain|\"a,b\"|\"say \"\"hi\"\"\"");
    }

    #[test]
    fn json_strings() {
        let mut v = Vec::new();
        write_json_string(&mut v, "a\"b\\c\nd\u{1}é".as_bytes());
        assert_eq!(String::from_utf8_lossy(&v), r#""a\"b\\c\nd\u0001é""#);
    }
}
