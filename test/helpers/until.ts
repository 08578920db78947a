/**
 * Resolves once `condition()` holds, checking it after every turn of the event loop that lets
 * timers and I/O run (a condition to wait for, never a fixed delay); the test's timeout bounds it.
 */
export function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (condition() ? resolve() : void setTimeout(check, 1));
    check();
  });
}
