import { describe, expect, it } from "vitest";
import { hostPort, isLoopbackHost, urlHost } from "../../src/shared/net.js";

describe("loopback hosts", () => {
  it.each(["localhost", "LOCALHOST", "127.0.0.1", "127.255.0.9", "::1", "[::1]", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"])("%s is loopback", (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(["0.0.0.0", "128.0.0.1", "127.0.0.256", "127.0.0", "::", "::2", "example.org", "127.0.0.1.example.org", "[::1"])("%s is not", (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  it("brackets IPv6 in URLs", () => {
    expect(urlHost("::1")).toBe("[::1]");
    expect(urlHost("[::1]")).toBe("[::1]");
    expect(hostPort("127.0.0.1", 80)).toBe("127.0.0.1:80");
    expect(hostPort("::1", 80)).toBe("[::1]:80");
  });
});
