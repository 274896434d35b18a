/** Reads the per-launch token from `#token=...`, removes it from the URL, and keeps it for reloads. */

export const TOKEN_STORAGE_KEY = "softphone.token";

/** The parts of `window` this module touches, so tests can pass fakes. */
export interface TokenEnvironment {
  location: Pick<Location, "hash" | "pathname" | "search">;
  history: Pick<History, "replaceState" | "state">;
  storage: Pick<Storage, "getItem" | "setItem"> | null;
}

/** Returns the token from a hash such as `#token=abc&x=y`, or null. */
export function parseTokenFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash);
  const token = params.get("token");
  return token ? token : null;
}

/**
 * Takes the token out of the URL fragment (so it does not linger in the address, history or
 * a screenshot), falling back to sessionStorage when the page was reloaded without it.
 */
export function takeToken(env: TokenEnvironment): string | null {
  const fromHash = parseTokenFromHash(env.location.hash);
  if (fromHash !== null) {
    const params = new URLSearchParams(env.location.hash.slice(1));
    params.delete("token");
    const rest = params.toString();
    const url = env.location.pathname + env.location.search + (rest ? `#${rest}` : "");
    env.history.replaceState(env.history.state, "", url);
    safeStorage(() => env.storage?.setItem(TOKEN_STORAGE_KEY, fromHash));
    return fromHash;
  }
  return safeStorage(() => env.storage?.getItem(TOKEN_STORAGE_KEY) ?? null) ?? null;
}

/** sessionStorage can throw (disabled storage, opaque origins); the token then lives in memory only. */
function safeStorage<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

export function browserTokenEnvironment(): TokenEnvironment {
  let storage: Storage | null = null;
  try {
    storage = window.sessionStorage;
  } catch {
    storage = null;
  }
  return { location: window.location, history: window.history, storage };
}
