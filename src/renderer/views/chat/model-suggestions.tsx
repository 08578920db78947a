import type { ModelOffer } from "../../lib/model-choices.js";
import { FitBadge } from "./fit-badge.js";

/**
 * The models to start with, one card each (loaded ones first): its name, size and whether it fits
 * this computer. One click starts a conversation with it; the chosen one is marked.
 */
export function ModelSuggestions({
  offers,
  chosen,
  where,
  onStart,
}: {
  readonly offers: readonly ModelOffer[];
  readonly chosen: string;
  /** Where a click runs it, for the buttons' names: "on this computer", "on the best node". */
  readonly where: string;
  readonly onStart: (offer: ModelOffer) => void;
}) {
  if (offers.length === 0) return null;
  return (
    <ul aria-label="Models to start with" className="mt-5 flex w-full flex-col gap-2 text-left">
      {offers.map((offer) => (
        <li key={offer.model_ref}>
          <button
            type="button"
            data-testid={`model-offer-${offer.name}`}
            aria-label={`Start ${offer.name} ${offer.loadedOn.length > 0 ? "(loaded)" : where}`}
            title={offer.model_ref}
            onClick={() => onStart(offer)}
            className={`group flex w-full items-center gap-3 rounded-lg border px-3.5 py-2.5 text-left transition-colors ${
              chosen === offer.model_ref
                ? "border-amber-500 bg-amber-50 dark:bg-amber-400/10"
                : "border-zinc-200 bg-white hover:border-amber-400 hover:bg-amber-50/40 dark:border-zinc-700 dark:bg-zinc-900 dark:hover:border-amber-400/60 dark:hover:bg-amber-400/5"
            }`}
          >
            <span className="min-w-0 flex-1">
              <span className="block truncate font-mono text-[13px] font-medium text-zinc-900 dark:text-zinc-100">{offer.name}</span>
              <span className="block truncate text-xs text-zinc-500 dark:text-zinc-400">{offer.description}</span>
              {offer.heldOn.length > 0 ? (
                <span data-testid="model-held-on" className="block truncate text-[11px] text-zinc-500 dark:text-zinc-400">
                  on {offer.heldOn.join(", ")}
                </span>
              ) : null}
              {offer.fit ? (
                <span data-testid="model-fit-detail" className="block truncate text-[11px] text-zinc-400 dark:text-zinc-500">
                  {offer.fit.detail}
                </span>
              ) : null}
            </span>
            <span className="flex shrink-0 items-center gap-2">
              {offer.size ? (
                <span data-testid="model-size" className="text-xs tabular-nums text-zinc-600 dark:text-zinc-300">
                  {offer.size}
                </span>
              ) : null}
              {offer.loadedOn.length > 0 ? (
                <span className="inline-flex items-center rounded-full bg-sky-50 px-2 py-0.5 text-[11px] font-medium text-sky-800 ring-1 ring-sky-600/20 ring-inset dark:bg-sky-400/10 dark:text-sky-300 dark:ring-sky-400/25">
                  loaded on {offer.loadedOn.join(", ")}
                </span>
              ) : offer.fit ? (
                <FitBadge fit={offer.fit} />
              ) : null}
              <span className="text-xs font-medium text-amber-700 opacity-70 group-hover:opacity-100 dark:text-amber-300" aria-hidden="true">
                Start →
              </span>
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
