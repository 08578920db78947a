import { ErrorBody } from "../shared/contract/index.js";

/** How a callback POST went: accepted (2xx), answered with an error status, or not answered at all. */
export type CallbackResult =
  | { readonly kind: "accepted"; readonly status: number }
  | { readonly kind: "rejected"; readonly status: number; readonly message: string }
  | { readonly kind: "unreachable"; readonly message: string };

const REQUEST_TIMEOUT_MS = 5000;

function reason(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return cause.message;
    return error.message;
  }
  return String(error);
}

/** POSTs JSON with the bearer token to `{baseUrl}{path}`, never throwing: every outcome is a value. */
export async function postCallback(
  baseUrl: string,
  path: string,
  token: string,
  body: unknown,
  signal: AbortSignal,
): Promise<CallbackResult> {
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    });
    const text = await response.text().catch(() => "");
    if (response.ok) return { kind: "accepted", status: response.status };
    let message = text.slice(0, 300);
    try {
      const parsed = ErrorBody.safeParse(JSON.parse(text));
      if (parsed.success) message = `${parsed.data.error.code}: ${parsed.data.error.message}`;
    } catch {
      // not JSON: keep the raw text
    }
    return { kind: "rejected", status: response.status, message };
  } catch (error) {
    return { kind: "unreachable", message: reason(error) };
  }
}
