import { useId } from "react";

/** A host seen for the first time: how to check its fingerprint on the machine, and the box that trusts it. */
export function HostKeyTrust({ trusted, onTrustedChange }: { readonly trusted: boolean; readonly onTrustedChange: (trusted: boolean) => void }) {
  const trustId = useId();
  return (
    <div className="mt-2.5 rounded-md border border-amber-500/30 bg-amber-50 px-2.5 py-2 dark:bg-amber-400/5">
      <p className="text-xs text-zinc-700 dark:text-zinc-300">
        First connection to this host. On the machine,{" "}
        <code className="kbd">ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code> should print the same
        fingerprint.
      </p>
      <label htmlFor={trustId} className="mt-1.5 flex cursor-pointer items-center gap-2 text-sm font-medium">
        <input
          id={trustId}
          type="checkbox"
          checked={trusted}
          onChange={(event) => onTrustedChange(event.target.checked)}
          className="size-4 accent-amber-500"
        />
        I checked this fingerprint and trust this host
      </label>
    </div>
  );
}
