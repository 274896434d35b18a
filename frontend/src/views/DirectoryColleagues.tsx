/** The colleague picker: every known internal user (provisioned, then directory) with checkboxes. */

import { Search } from "lucide-preact";
import type { Signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import type { MonitoredUser } from "../api/protocol";
import { useApp, useT } from "./context";

/** Rows rendered at once; typing narrows a company of hundreds down to a few. */
const SHOWN = 50;

/** Lower case without accents: "Hélène" and "helene" compare equal. */
const fold = (text: string): string => text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();

/** Every typed word must start one of the name's words, or the extension must start with it. */
export function matchesColleague(user: MonitoredUser, query: string): boolean {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const nameWords = fold(user.name).split(/[\s,.'-]+/).filter(Boolean);
  return words.every((w) => user.extension.startsWith(w) || nameWords.some((n) => n.startsWith(w)));
}

/** "Select all": every match not yet chosen is appended in list order, until `max` is reached. */
export function selectAll(chosen: MonitoredUser[], found: MonitoredUser[], max: number): MonitoredUser[] {
  const out = [...chosen];
  const have = new Set(chosen.map((u) => u.extension));
  for (const user of found) {
    if (out.length >= max) break;
    if (have.has(user.extension)) continue;
    have.add(user.extension);
    out.push(user);
  }
  return out;
}

/** "Clear": the matches are unticked; colleagues outside the search (or typed by hand) stay. */
export function clearFound(chosen: MonitoredUser[], found: MonitoredUser[]): MonitoredUser[] {
  const drop = new Set(found.map((u) => u.extension));
  return chosen.filter((u) => !drop.has(u.extension));
}

interface Props {
  /** The dialog's working list: checking a box adds to it, unchecking removes. */
  users: Signal<MonitoredUser[]>;
  max: number;
}

export function DirectoryColleagues({ users, max }: Props) {
  const t = useT();
  const { client, ui } = useApp();
  const [all, setAll] = useState<MonitoredUser[] | null>(null);
  const [query, setQuery] = useState("");
  useEffect(() => {
    void client.send("directory.colleagues", {}).then((ack) => {
      if (ack.ok) setAll(ack.result.users);
      else ui.notify(ack.error);
    });
  }, [client, ui]);
  if (all === null) return null;
  if (all.length === 0) return <p class="blf-pick__empty">{t("colleagues.noInternal")}</p>;

  const found = all.filter((u) => matchesColleague(u, query));
  const chosen = new Set(users.value.map((u) => u.extension));
  const full = users.value.length >= max;
  const toggle = (user: MonitoredUser, on: boolean) => {
    if (on && !chosen.has(user.extension) && !full) users.value = [...users.value, user];
    if (!on) users.value = users.value.filter((u) => u.extension !== user.extension);
  };
  const allChosen = found.every((u) => chosen.has(u.extension));
  const noneChosen = !found.some((u) => chosen.has(u.extension));
  return (
    <div class="blf-pick" data-testid="blf-directory">
      <label class="directory__search">
        <Search size={16} aria-hidden="true" />
        <input class="input" type="search" aria-label={t("colleagues.searchDirectory")}
          placeholder={t("colleagues.searchDirectory")} value={query}
          onInput={(e) => setQuery(e.currentTarget.value)} />
      </label>
      <div class="blf-pick__bar">
        <span class="blf-pick__count" aria-live="polite">
          {t("colleagues.selected", { count: users.value.length, max })}
        </span>
        <button type="button" class="button button--ghost blf-pick__all"
          disabled={found.length === 0 || allChosen || full}
          onClick={() => (users.value = selectAll(users.value, found, max))}>
          {t("colleagues.selectAll")}
        </button>
        <button type="button" class="button button--ghost blf-pick__clear" disabled={noneChosen}
          onClick={() => (users.value = clearFound(users.value, found))}>
          {t("colleagues.clear")}
        </button>
      </div>
      {full && <p class="blf-pick__limit" role="status">{t("colleagues.limit", { max })}</p>}
      {found.length === 0 ? (
        <p class="blf-pick__empty">{t("colleagues.noMatch")}</p>
      ) : (
        <ul class="blf-pick__list">
          {found.slice(0, SHOWN).map((user) => (
            <li key={user.extension}>
              <label class="blf-pick__row">
                <input type="checkbox" checked={chosen.has(user.extension)}
                  disabled={full && !chosen.has(user.extension)}
                  aria-label={t("colleagues.pick", { name: user.name || user.extension, ext: user.extension })}
                  onChange={(e) => toggle(user, e.currentTarget.checked)} />
                <span class="blf-pick__name">{user.name || user.extension}</span>
                <span class="blf-pick__ext">{user.extension}</span>
              </label>
            </li>
          ))}
        </ul>
      )}
      {found.length > SHOWN && (
        <p class="blf-pick__more">{t("colleagues.more", { shown: SHOWN, count: found.length })}</p>
      )}
    </div>
  );
}
