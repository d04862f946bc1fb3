#[test]
fn end_to_end() {
    assert!(!tiny_nextest::flaky());
}

#[test]
fn adds() {
    assert_eq!(2 + 2, 4);
}
