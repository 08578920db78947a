import { useId, useState, type FormEvent } from "react";
import { TOKEN_STORAGE_KEY } from "../../api/select-api.js";
import { LogoIcon } from "../../components/icons.js";
import { TextField } from "../../components/text-field.js";

/**
 * Shown in a browser that has no usable token: how to open the UI with the link queen-rbee prints,
 * or paste the token by hand.
 */
export function TokenScreen({ origin, reason }: { readonly origin: string; readonly reason: "missing" | "refused" }) {
  const inputId = useId();
  const [token, setToken] = useState("");

  const open = (event: FormEvent): void => {
    event.preventDefault();
    const value = token.trim();
    if (!value) return;
    try {
      window.sessionStorage.setItem(TOKEN_STORAGE_KEY, value);
    } catch {
      // Without storage, carry it in the fragment: it is read and removed on load.
      window.location.hash = `token=${encodeURIComponent(value)}`;
    }
    window.location.reload();
  };

  return (
    <main className="flex min-h-dvh items-center justify-center p-6">
      <div className="card w-full max-w-lg p-6">
        <div className="flex items-center gap-2.5">
          <LogoIcon className="size-7 text-amber-500" />
          <span className="text-lg font-semibold tracking-tight">rbee</span>
        </div>
        <h1 className="mt-5 text-base font-semibold">
          {reason === "missing" ? "Open rbee with its link" : "This link's token was not accepted"}
        </h1>
        <p className="mt-1.5 text-sm text-zinc-600 dark:text-zinc-400">
          {reason === "missing"
            ? "This page needs the queen's API token. When queen-rbee starts, it prints the address of this UI with the token in it:"
            : "The queen may have a new token (its RBEE_HOME changed, or RBEE_TOKEN is set). Open the address queen-rbee prints when it starts:"}
        </p>
        <pre className="mt-3 overflow-x-auto rounded-md bg-zinc-900 px-3 py-2.5 font-mono text-[12.5px] leading-relaxed text-zinc-100 dark:bg-black">
          <span className="text-zinc-500">$ queen-rbee</span>
          {"\n"}queen-rbee listening on {origin}
          {"\n"}Open the UI: {origin}/#token=<span className="text-amber-300">…</span>
        </pre>
        <p className="mt-2 text-xs text-zinc-500 dark:text-zinc-400">
          No <code className="kbd">queen-rbee</code> command? Run <code className="kbd">npm link</code> once in the rbee checkout
          (after <code className="kbd">npm run build</code>), or <code className="kbd">npx queen-rbee</code> there.
        </p>
        <p className="mt-3 text-sm text-zinc-600 dark:text-zinc-400">
          The token is also in <code className="kbd">~/.rbee/token</code> (or <code className="kbd">$RBEE_HOME/token</code>) on the
          machine running the queen. It stays in this tab only.
        </p>
        <form onSubmit={open} className="mt-4 flex items-end gap-2">
          <TextField
            id={inputId}
            label="API token"
            className="flex-1"
            inputClassName="font-mono"
            type="password"
            value={token}
            onChange={setToken}
          />
          <button type="submit" className="btn-primary" disabled={token.trim() === ""}>
            Open
          </button>
        </form>
      </div>
    </main>
  );
}
