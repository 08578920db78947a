/** A model_ref as its file name, with where it comes from under it; long refs (hf:org/repo/file.gguf) in full on hover. */
export function ModelName({ modelRef }: { readonly modelRef: string }) {
  const slash = modelRef.lastIndexOf("/");
  const name = slash >= 0 ? modelRef.slice(slash + 1) : modelRef;
  const source = slash >= 0 ? modelRef.slice(0, slash + 1) : null;
  return (
    <div className="max-w-44 min-w-0" title={modelRef}>
      <div className="truncate font-medium">{name}</div>
      {source ? <div className="truncate text-xs text-zinc-500 dark:text-zinc-400">{source}</div> : null}
    </div>
  );
}
