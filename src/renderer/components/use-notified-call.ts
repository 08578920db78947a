import { describeError } from "../lib/error-text.js";
import { useNotify } from "./notices.js";

/**
 * Runs one call to the queen and tells its outcome in a notice: `done` on success, `failed` and the
 * reason in words otherwise. Answers whether it succeeded.
 */
export function useNotifiedCall(): (call: () => Promise<unknown>, done: string, failed: string) => Promise<boolean> {
  const notify = useNotify();
  return async (call, done, failed) => {
    try {
      await call();
      notify({ tone: "success", title: done });
      return true;
    } catch (error) {
      const text = describeError(error);
      notify({ tone: "error", title: `${failed}: ${text.title}`, message: text.message });
      return false;
    }
  };
}
