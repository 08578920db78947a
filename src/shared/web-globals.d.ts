// The few globals src/shared uses that both its hosts have: browsers (lib DOM) and Node
// (@types/node). tsconfig.shared.json compiles src/shared with neither, so they are declared here,
// reduced to the members src/shared uses. Only tsconfig.shared.json includes this file: the other
// layers take these names from their own lib or types.

interface URL {
  href: string;
  readonly origin: string;
  protocol: string;
  username: string;
  password: string;
  host: string;
  hostname: string;
  port: string;
  pathname: string;
  search: string;
  hash: string;
  toString(): string;
}
declare const URL: { prototype: URL; new (url: string | URL, base?: string | URL): URL };

interface TextDecoder {
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}
declare const TextDecoder: { prototype: TextDecoder; new (label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }): TextDecoder };

interface ReadableStream<R = unknown> {
  readonly locked: boolean;
  cancel(reason?: unknown): Promise<void>;
  getReader(): {
    read(): Promise<{ done: true; value?: undefined } | { done: false; value: R }>;
    cancel(reason?: unknown): Promise<void>;
    releaseLock(): void;
  };
}

declare function queueMicrotask(callback: () => void): void;
