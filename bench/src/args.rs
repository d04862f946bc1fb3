//! A minimal command-line parser: `--flag value`, `--flag=value`, switches, and positionals.
//!
//! The bench tools take three or four options each; a hand-rolled parser keeps clap's build time
//! out of this crate.

use std::ffi::OsString;
use std::str::FromStr;

use crate::error::{BenchError, Result};

/// Parsed arguments: named options in the order given, and the positional arguments.
#[derive(Debug, Default)]
pub struct Args {
    options: Vec<(String, String)>,
    switches: Vec<String>,
    /// Arguments that are not options, in order (everything after `--` counts as positional).
    pub positional: Vec<OsString>,
}

impl Args {
    /// Parses `args` (without the program name). `valued` lists the options that take a value,
    /// `switches` the ones that do not; anything else starting with `--` is an error.
    pub fn parse(
        args: impl IntoIterator<Item = OsString>,
        valued: &[&str],
        switches: &[&str],
    ) -> Result<Self> {
        let mut out = Self::default();
        let mut iter = args.into_iter();
        while let Some(arg) = iter.next() {
            let Some(text) = arg.to_str().filter(|t| t.starts_with('-') && t.len() > 1) else {
                out.positional.push(arg);
                continue;
            };
            if text == "--" {
                out.positional.extend(iter);
                break;
            }
            let (name, inline) = match text.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (text, None),
            };
            if switches.contains(&name) && inline.is_none() {
                out.switches.push(name.to_owned());
            } else if valued.contains(&name) {
                let value = match inline {
                    Some(value) => value,
                    None => iter
                        .next()
                        .and_then(|v| v.into_string().ok())
                        .ok_or_else(|| BenchError::new(format!("{name} needs a value")))?,
                };
                out.options.push((name.to_owned(), value));
            } else {
                return Err(BenchError::new(format!(
                    "unknown option {text} (try --help)"
                )));
            }
        }
        Ok(out)
    }

    /// The last value given for option `name`, parsed; `None` when the option is absent.
    pub fn value<T: FromStr>(&self, name: &str) -> Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        match self.options.iter().rev().find(|(n, _)| n == name) {
            None => Ok(None),
            Some((_, raw)) => raw
                .parse()
                .map(Some)
                .map_err(|e| BenchError::new(format!("invalid value {raw:?} for {name}: {e}"))),
        }
    }

    /// Whether switch `name` was given.
    pub fn switch(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args> {
        Args::parse(
            args.iter().map(OsString::from),
            &["--runs", "--seed"],
            &["--help"],
        )
    }

    #[test]
    fn options_switches_and_positionals() -> Result<()> {
        let args = parse(&["--runs", "10", "out", "--seed=7", "--help", "--", "--runs"])?;
        assert_eq!(args.value::<u32>("--runs")?, Some(10));
        assert_eq!(args.value::<u64>("--seed")?, Some(7));
        assert!(args.switch("--help"));
        assert_eq!(
            args.positional,
            vec![OsString::from("out"), OsString::from("--runs")]
        );
        Ok(())
    }

    #[test]
    fn errors_name_the_option() {
        let err = parse(&["--runs"]).err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("--runs needs a value"));
        let err = parse(&["--bogus"]).err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("unknown option --bogus (try --help)"));
        let bad = parse(&["--runs", "x"]).and_then(|a| a.value::<u32>("--runs"));
        assert!(bad.is_err());
    }

    #[test]
    fn a_lone_dash_is_positional() -> Result<()> {
        assert_eq!(parse(&["-"])?.positional, vec![OsString::from("-")]);
        Ok(())
    }
}
