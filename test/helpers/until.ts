/**
 * Resolves once `condition()` holds (a promise of it is awaited), checking it after every turn of
 * the event loop that lets timers and I/O run: a condition to wait for, never a fixed delay.
 * Rejects, naming `what`, when it still does not hold after `timeoutMs` (so that a failure says
 * what never happened).
 */
export function until(condition: () => boolean | Promise<boolean>, what = "a condition", timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = async (): Promise<void> => {
      let holds = false;
      try {
        holds = await condition();
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (holds) resolve();
      else if (Date.now() > deadline) reject(new Error(`waited ${timeoutMs} ms for ${what}`));
      else setTimeout(() => void check(), 1);
    };
    void check();
  });
}
