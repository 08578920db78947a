/**
 * Resolves once `condition()` holds, checking it after every turn of the event loop that lets
 * timers and I/O run: a condition to wait for, never a fixed delay. Rejects, naming `what`, when
 * it still does not hold after `timeoutMs` (so that a failure says what never happened).
 */
export function until(condition: () => boolean, what = "a condition", timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error(`waited ${timeoutMs} ms for ${what}`));
      else setTimeout(check, 1);
    };
    check();
  });
}
