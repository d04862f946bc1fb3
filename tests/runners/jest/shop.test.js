const flaky = process.env.TESTSIFT_FLAKY === '1';

describe('Cart', () => {
  test('adds an item', () => {
    expect([1].concat([2])).toEqual([1, 2]);
  });
  test('talks to the network', () => {
    expect(flaky).toBe(false);
  });
  // Titles end up in --testNamePattern: a hostile one must still be skipped exactly.
  test('<script>alert(1)</script> " onload= `x` $(echo pwned) | \'q\' (a+b)*?', () => {
    expect(flaky).toBe(false);
  });
  test('talks to the network again', () => {
    expect(true).toBe(true);
  });
});

test('top level [1]', () => {
  expect(true).toBe(true);
});

test('top level flaky', () => {
  expect(flaky).toBe(false);
});
