//! Enums offered on the command line as a fixed list of names. Each says its names and a line
//! of help per value; the command line (`cli.rs`) turns them into clap's possible values, so
//! that clap stays there.

/// A value chosen by name on the command line.
pub(crate) trait Choice: Copy + Send + Sync + 'static {
    /// The values offered, in the order shown.
    const ALL: &'static [Self];

    /// The name on the command line.
    fn name(self) -> &'static str;

    /// One line of help.
    fn help(self) -> &'static str;

    /// The value named `name`, if one is.
    fn named(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == name)
    }
}

/// Implements [`Choice`] for an enum, each offered variant with its name and help; variants
/// not listed are not offered.
macro_rules! choices {
    ($t:ty { $($variant:ident => $name:literal : $help:literal,)* }) => {
        impl $crate::choice::Choice for $t {
            const ALL: &'static [Self] = &[$(Self::$variant),*];

            #[allow(unreachable_patterns)]
            fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                    _ => "",
                }
            }

            #[allow(unreachable_patterns)]
            fn help(self) -> &'static str {
                match self {
                    $(Self::$variant => $help,)*
                    _ => "",
                }
            }
        }
    };
}
pub(crate) use choices;
