import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { RbeeError } from "../../shared/contract/errors.js";
import { AlertIcon, CheckIcon, CloseIcon } from "./icons.js";

/** A short message about an action's outcome. */
export interface Notice {
  readonly tone: "success" | "error";
  readonly title: string;
  readonly message?: string;
}

interface ShownNotice extends Notice {
  readonly id: number;
}

const NoticeContext = createContext<((notice: Notice) => void) | null>(null);
const SHOW_MS = { success: 4_000, error: 10_000 } as const;

/** Shows action outcomes in a live region at the bottom right. */
export function NoticeProvider({ children }: { readonly children: ReactNode }) {
  const [notices, setNotices] = useState<readonly ShownNotice[]>([]);

  const dismiss = useCallback((id: number) => setNotices((all) => all.filter((n) => n.id !== id)), []);
  const notify = useCallback(
    (notice: Notice) => {
      const id = Date.now() + Math.random();
      setNotices((all) => [...all.slice(-3), { ...notice, id }]);
      setTimeout(() => dismiss(id), SHOW_MS[notice.tone]);
    },
    [dismiss],
  );
  const value = useMemo(() => notify, [notify]);

  return (
    <NoticeContext.Provider value={value}>
      {children}
      <div
        role="status"
        aria-live="polite"
        className="pointer-events-none fixed right-4 bottom-4 z-50 flex w-80 flex-col gap-2"
      >
        {notices.map((notice) => (
          <div
            key={notice.id}
            className="pointer-events-auto flex items-start gap-2.5 rounded-lg border border-zinc-200 bg-white p-3 text-sm shadow-lg dark:border-zinc-700 dark:bg-zinc-800"
          >
            {notice.tone === "success" ? (
              <CheckIcon className="mt-0.5 size-4 shrink-0 text-emerald-600 dark:text-emerald-400" />
            ) : (
              <AlertIcon className="mt-0.5 size-4 shrink-0 text-red-600 dark:text-red-400" />
            )}
            <div className="min-w-0 flex-1">
              <p className="font-medium">{notice.title}</p>
              {notice.message ? (
                <p className="mt-0.5 text-zinc-600 break-words dark:text-zinc-400">{notice.message}</p>
              ) : null}
            </div>
            <button
              type="button"
              aria-label="Dismiss"
              className="rounded p-0.5 text-zinc-400 hover:text-zinc-700 dark:hover:text-zinc-200"
              onClick={() => dismiss(notice.id)}
            >
              <CloseIcon className="size-3.5" />
            </button>
          </div>
        ))}
      </div>
    </NoticeContext.Provider>
  );
}

/** Returns the function that shows a notice. */
export function useNotify(): (notice: Notice) => void {
  const notify = useContext(NoticeContext);
  if (!notify) throw new RbeeError("INTERNAL", "NoticeProvider is missing above this component");
  return notify;
}
