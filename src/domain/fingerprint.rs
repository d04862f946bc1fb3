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
    // A message cut at its cap (crate::junit::MESSAGE_MAX) ends wherever the cap fell, and a
    // longer number or id earlier in it moves that place: the same failure would hash apart.
    // Its masked form is hashed up to a length the cut always reaches instead.
    if message.len() + 4 >= crate::junit::MESSAGE_MAX {
        let mut end = (failure_type.len() + 1 + CUT_MESSAGE_HASHED).min(masked.len());
        while !masked.is_char_boundary(end) {
            end -= 1;
        }
        masked.truncate(end);
    }
    xxh3_64(masked.as_bytes())
}

/// The masked bytes of a cut message that are hashed: half the cap, so that masking (which
/// only shortens) leaves at least this much of any cut.
const CUT_MESSAGE_HASHED: usize = crate::junit::MESSAGE_MAX / 2;

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
            // `_` ends a run, so an id joined to a word by it (`tmp_3fa9c2e1`) is a run of its
            // own.
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let run = &word[start..i];
            let has_digit = run.bytes().any(|c| c.is_ascii_digit());
            let hexish = is_hex_id(run, has_digit);
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

/// A run of hex digits that reads as an id: 8 or more (`deadbeef`, a commit), or 4 or more
/// mixing digits and letters (a uuid's groups `e89b`, `12d3`; a Java identity hash `@d716361`).
/// Words of hex letters only (`facade`, `decade`) stay words.
fn is_hex_id(run: &str, has_digit: bool) -> bool {
    let all_hex = run.bytes().all(|c| c.is_ascii_hexdigit());
    let has_letter = run.bytes().any(|c| c.is_ascii_alphabetic());
    all_hex && (run.len() >= 8 || (run.len() >= 4 && has_digit && has_letter))
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

    #[test]
    fn uuids_and_short_hex_ids_are_masked_but_hex_letter_words_are_not() {
        let a = fingerprint(
            "AssertionError",
            "session 123e4567-e89b-12d3-a456-426614174000 lost com.acme.Cart@d716361",
        );
        let b = fingerprint(
            "AssertionError",
            "session 9f1c2b3a-7d4e-4f5a-8b6c-0d1e2f3a4b5c lost com.acme.Cart@1b6d3586",
        );
        assert_eq!(a, b);
        assert_ne!(
            fingerprint("E", "the facade failed"),
            fingerprint("E", "the decade failed")
        );
        assert_eq!(
            fingerprint("E", "no such key cache_3fa9c2e1"),
            fingerprint("E", "no such key cache_77b0d4aa")
        );
        // A name with a number in it keeps its letters.
        assert_ne!(
            fingerprint("E", "worker7 timed out"),
            fingerprint("E", "reader7 timed out")
        );
    }

    #[test]
    fn a_cut_message_hashes_the_same_whatever_its_numbers_moved() {
        // jest-junit writes no message attribute: the message is the failure text cut at its
        // cap, and a longer random number earlier in it moves the cut.
        let text = |n: &str| {
            let mut t = format!("Error: expected 5, got {n}\n");
            while t.len() < 3000 {
                t.push_str("    at Object.<anonymous> (src/api.test.js:12:5)\n");
            }
            t.truncate(crate::junit::MESSAGE_MAX);
            t
        };
        let a = fingerprint("", &text("123456789012345678"));
        let b = fingerprint("", &text("1234567890123456789"));
        let c = fingerprint("", &text("12345678901234567890"));
        assert_eq!((a, a), (b, c));
        // Another failure still hashes apart.
        assert_ne!(a, fingerprint("", &text("x").replace("expected", "wanted")));
    }
}
