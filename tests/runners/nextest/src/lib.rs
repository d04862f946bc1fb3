//! A tiny crate whose tests testsift's select tests run with cargo-nextest.

pub fn flaky() -> bool {
    std::env::var("TESTSIFT_FLAKY").is_ok_and(|v| v == "1")
}

#[cfg(test)]
mod tests {
    #[test]
    fn adds() {
        assert_eq!(1 + 1, 2);
    }

    #[test]
    fn talks_to_the_network() {
        assert!(!super::flaky());
    }

    #[test]
    fn talks_to_the_network_again() {
        assert!(true);
    }
}
