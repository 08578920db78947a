/** A random id (128 bits, hex). getRandomValues, unlike randomUUID, also works on a plain-http page of a remote queen. */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
