import { expect, type test as base } from "@playwright/test";

/**
 * Fails every test of the file whose page breaks the strict CSP or throws. A <meta> CSP cannot carry
 * frame-ancestors (the queen also sends the policy as a header, which can): that one warning is expected.
 */
export function guardPages(test: typeof base): void {
  let problems: string[] = [];
  test.beforeEach(({ page }) => {
    problems = [];
    page.on("console", (message) => {
      const text = message.text();
      if (/Content Security Policy/i.test(text) && !/frame-ancestors' is ignored/.test(text)) problems.push(text);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  });
  test.afterEach(() => {
    expect(problems).toEqual([]);
  });
}
