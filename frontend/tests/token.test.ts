import { describe, expect, it } from "vitest";
import { parseTokenFromHash, takeToken, TOKEN_STORAGE_KEY, type TokenEnvironment } from "../src/api/token";

function fakeEnv(hash: string, stored: Record<string, string> = {}) {
  const replaced: string[] = [];
  const storage = new Map(Object.entries(stored));
  const env: TokenEnvironment = {
    location: { hash, pathname: "/", search: "" },
    history: { state: null, replaceState: (_s, _t, url) => void replaced.push(String(url)) },
    storage: {
      getItem: (k) => storage.get(k) ?? null,
      setItem: (k, v) => void storage.set(k, v),
    },
  };
  return { env, replaced, storage };
}

describe("parseTokenFromHash", () => {
  it("reads the token parameter", () => {
    expect(parseTokenFromHash("#token=abc123")).toBe("abc123");
    expect(parseTokenFromHash("#x=1&token=a%2Bb")).toBe("a+b");
  });
  it("returns null when absent or empty", () => {
    expect(parseTokenFromHash("")).toBeNull();
    expect(parseTokenFromHash("#")).toBeNull();
    expect(parseTokenFromHash("#token=")).toBeNull();
    expect(parseTokenFromHash("#other=1")).toBeNull();
  });
});

describe("takeToken", () => {
  it("takes the token from the hash, strips it from the URL and stores it", () => {
    const { env, replaced, storage } = fakeEnv("#token=s3cret");
    expect(takeToken(env)).toBe("s3cret");
    expect(replaced).toEqual(["/"]);
    expect(storage.get(TOKEN_STORAGE_KEY)).toBe("s3cret");
  });

  it("keeps other fragment parameters", () => {
    const { env, replaced } = fakeEnv("#token=s3cret&view=calls");
    takeToken(env);
    expect(replaced).toEqual(["/#view=calls"]);
  });

  it("falls back to sessionStorage after a reload", () => {
    const { env, replaced } = fakeEnv("", { [TOKEN_STORAGE_KEY]: "kept" });
    expect(takeToken(env)).toBe("kept");
    expect(replaced).toEqual([]);
  });

  it("prefers a fresh token in the hash over a stored one", () => {
    const { env, storage } = fakeEnv("#token=new", { [TOKEN_STORAGE_KEY]: "old" });
    expect(takeToken(env)).toBe("new");
    expect(storage.get(TOKEN_STORAGE_KEY)).toBe("new");
  });

  it("still works when storage is unavailable or throws", () => {
    const { env } = fakeEnv("#token=t");
    const throwing: TokenEnvironment = {
      ...env,
      storage: {
        getItem: () => {
          throw new Error("denied");
        },
        setItem: () => {
          throw new Error("denied");
        },
      },
    };
    expect(takeToken(throwing)).toBe("t");
    expect(takeToken({ ...throwing, location: { hash: "", pathname: "/", search: "" } })).toBeNull();
    expect(takeToken({ ...env, storage: null })).toBe("t");
  });
});
