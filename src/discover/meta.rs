//! `run.json`: the run metadata file, parsed with typed access to its keys, a problem per value
//! of the wrong type, and its position for invalid JSON.

use serde_json::{Map, Value};

use super::*;

/// Metadata of one CI run, as read from run.json (every field optional).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RunMeta {
    pub(crate) run_id: Option<String>,
    pub(crate) commit: Option<String>,
    pub(crate) branch: Option<String>,
    pub(crate) timestamp: Option<jiff::Timestamp>,
    pub(crate) attempt: Option<u32>,
    pub(crate) job: Option<String>,
    pub(crate) pipeline: Option<String>,
    pub(crate) variant: Option<String>,
    pub(crate) extra: Map<String, Value>,
}

/// A branch as the store keeps it: a full Git ref names its branch (`refs/heads/main` is
/// `main`, as `${{ github.ref }}` or a script's `git symbolic-ref` gives it), and a pull
/// request's ref its pull request (`refs/pull/42/merge` is `pull/42`), so one branch is one
/// name whichever way a run was told it.
pub(crate) fn branch_name(text: &str) -> String {
    let text = text.trim();
    if let Some(branch) = text.strip_prefix("refs/heads/").filter(|b| !b.is_empty()) {
        return branch.to_owned();
    }
    if let Some(rest) = text.strip_prefix("refs/pull/")
        && let Some((number, "merge" | "head")) = rest.split_once('/')
    {
        return format!("pull/{number}");
    }
    text.to_owned()
}

/// Parses run.json bytes; `location` names the file for messages.
pub(crate) fn meta_from_json(bytes: &[u8], location: &str) -> (RunMeta, Vec<Problem>) {
    let mut problems = Vec::new();
    // Windows tools (PowerShell's Out-File among them) write a byte order mark that JSON
    // parsers reject.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let object = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(object)) => object,
        Ok(other) => {
            problems.push(Problem::warning(
                location,
                format!(
                    "expected a JSON object, found {}; using default run metadata",
                    json_type(&other)
                ),
            ));
            return (RunMeta::default(), problems);
        }
        Err(err) => {
            problems.push(json_syntax_problem(location, &err));
            return (RunMeta::default(), problems);
        }
    };
    let mut meta = RunMeta::default();
    let mut fields = Fields {
        location,
        problems: &mut problems,
    };
    for (key, value) in object {
        match key.as_str() {
            "run_id" => meta.run_id = fields.run_id(&key, value),
            "commit" => meta.commit = fields.run_id(&key, value),
            "branch" => meta.branch = fields.string(&key, value),
            "timestamp" => meta.timestamp = fields.timestamp(&key, value),
            "attempt" => meta.attempt = fields.attempt(&key, value),
            "job" => meta.job = fields.run_id(&key, value),
            "pipeline" => meta.pipeline = fields.run_id(&key, value),
            "variant" => meta.variant = fields.string(&key, value),
            _ => {
                meta.extra.insert(key, value);
            }
        }
    }
    (meta, problems)
}

pub(super) fn json_syntax_problem(location: &str, err: &serde_json::Error) -> Problem {
    let text = err.to_string();
    if err.line() == 0 {
        return Problem::warning(
            location,
            format!("invalid JSON: {text}; using default run metadata"),
        );
    }
    // serde_json appends the position in words; it goes into the location instead, where
    // editors and terminals can jump to it.
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let reason = text.strip_suffix(&suffix).unwrap_or(&text);
    Problem::warning(
        format!("{location}:{}:{}", err.line(), err.column()),
        format!("invalid JSON: {reason}; using default run metadata"),
    )
}

/// Typed access to run.json values: a value of the wrong type is a problem naming its key and
/// is dropped; `null` means absent.
pub(super) struct Fields<'a> {
    location: &'a str,
    problems: &'a mut Vec<Problem>,
}

impl Fields<'_> {
    fn wrong(&mut self, key: &str, expected: &str, found: &str) {
        self.problems.push(Problem::warning(
            self.location,
            format!("\"{key}\": expected {expected}, found {found}; ignored"),
        ));
    }

    fn string(&mut self, key: &str, value: Value) -> Option<String> {
        match value {
            Value::String(text) => Some(text),
            Value::Null => None,
            other => {
                self.wrong(key, "a string", json_type(&other));
                None
            }
        }
    }

    /// CI systems number their runs, pipelines and jobs (and Subversion its commits), and
    /// writers often emit the number as-is.
    fn run_id(&mut self, key: &str, value: Value) -> Option<String> {
        match value {
            Value::Number(number) if number.is_i64() || number.is_u64() => Some(number.to_string()),
            other => self.string(key, other),
        }
    }

    fn attempt(&mut self, key: &str, value: Value) -> Option<u32> {
        let parsed = match &value {
            Value::Null => return None,
            Value::Number(number) => number.as_u64().and_then(|n| u32::try_from(n).ok()),
            // Shell-written run.json files quote everything.
            Value::String(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
                text.parse().ok()
            }
            _ => None,
        };
        if parsed.is_none() {
            let found = match &value {
                Value::Number(number) => format!("{number}"),
                Value::String(text) => format!("\"{text}\""),
                other => json_type(other).to_owned(),
            };
            self.wrong(key, "a whole number from 0 to 4294967295", &found);
        }
        parsed
    }

    fn timestamp(&mut self, key: &str, value: Value) -> Option<jiff::Timestamp> {
        let text = self.string(key, value)?;
        let parsed = crate::junit::values::parse_timestamp(&text);
        if parsed.is_none() {
            // Written like a date (`9999-12-31T23:59:59Z`, `2024-02-30T00:00:00Z`) but not one
            // that can be: say so rather than ask for the form it has.
            let dated = text
                .trim()
                .as_bytes()
                .get(..5)
                .is_some_and(|p| p[..4].iter().all(u8::is_ascii_digit) && p[4] == b'-');
            self.wrong(
                key,
                if dated {
                    "an RFC 3339 timestamp of a real date from the year 0001 to 9998 \
                     (such as 2024-05-01T10:00:00Z)"
                } else {
                    "an RFC 3339 timestamp such as 2024-05-01T10:00:00Z"
                },
                &format!("\"{text}\""),
            );
        }
        parsed
    }
}

pub(super) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
