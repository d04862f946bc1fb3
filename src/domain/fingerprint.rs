//! Fingerprints of failures: the same failure, whatever numbers, ids and paths it mentions this
//! time, hashes the same.

use xxhash_rust::xxh3::xxh3_64;

/// Hash of a failure with what varies between occurrences of the same failure masked:
/// numbers, hex ids, addresses, temp paths and durations.
pub(crate) fn fingerprint(failure_type: &str, message: &str) -> u64 {
    let mut masked = String::with_capacity(failure_type.len() + message.len() + 1);
    masked.push_str(failure_type);
    masked.push('\n');
    let mut tokens =
        message.split_inclusive(|c: char| c.is_whitespace() || "\"'()[]{}<>,;=".contains(c));
    for token in tokens.by_ref() {
        let (word, sep) = match token.char_indices().last() {
            Some((i, c)) if c.is_whitespace() || "\"'()[]{}<>,;=".contains(c) => {
                (&token[..i], &token[i..])
            }
            _ => (token, ""),
        };
        if is_temp_path(word) {
            masked.push_str("<tmp>");
        } else {
            mask_word(word, &mut masked);
        }
        masked.push_str(sep);
    }
    xxh3_64(masked.as_bytes())
}

fn is_temp_path(word: &str) -> bool {
    const TEMP: [&str; 6] = [
        "/tmp/",
        "/var/folders/",
        "/private/var/",
        "/var/tmp/",
        "\\Temp\\",
        "\\tmp\\",
    ];
    TEMP.iter().any(|t| word.contains(t))
}

/// Runs of digits become `#`, and so do hex-looking runs (`0x7ffd`, `deadbeef`, uuids).
fn mask_word(word: &str, out: &mut String) {
    let bytes = word.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let run = &word[start..i];
            let has_digit = run.bytes().any(|c| c.is_ascii_digit());
            let hexish = run.len() >= 8 && run.bytes().all(|c| c.is_ascii_hexdigit());
            if hexish || (has_digit && is_numberish(run)) {
                out.push('#');
            } else if has_digit {
                // `test42` stays a name, but its digits vary: mask them only.
                for c in run.chars() {
                    out.push(if c.is_ascii_digit() { '#' } else { c });
                }
            } else {
                out.push_str(run);
            }
        } else {
            let ch_len = word[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&word[i..i + ch_len]);
            i += ch_len;
        }
    }
}

/// `12`, `0x7f`, `12ms`, `1e5`, `3s`: a number, maybe with a unit or radix prefix.
fn is_numberish(run: &str) -> bool {
    let digits = run.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &run[digits..];
    digits > 0
        && (rest.is_empty() || rest.len() <= 3 || rest.starts_with('x') || rest.starts_with('e'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_what_varies() {
        let a = fingerprint(
            "AssertionError",
            "expected 3 but was 4 after 120ms at 0x7ffd1234 in /tmp/junit123/x.txt",
        );
        let b = fingerprint(
            "AssertionError",
            "expected 5 but was 9 after 88ms at 0x7ffd9999 in /tmp/junit999/x.txt",
        );
        let c = fingerprint("AssertionError", "connection refused");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(fingerprint("A", "x"), fingerprint("B", "x"));
    }
}
