/** A JSON answer from the API under test. */
export interface JsonAnswer<T = any> {
  readonly status: number;
  readonly body: T;
}

/** A tiny JSON client for a queen, with or without a token. */
export function jsonClient(baseUrl: string, token?: string) {
  const call = async (method: string, path: string, body?: unknown, raw?: string): Promise<JsonAnswer> => {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined || raw !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    get: (path: string) => call("GET", path),
    post: (path: string, body?: unknown) => call("POST", path, body),
    postRaw: (path: string, raw: string) => call("POST", path, undefined, raw),
    delete: (path: string) => call("DELETE", path),
  };
}
