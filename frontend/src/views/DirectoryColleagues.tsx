/** "Add from directory" in the colleagues dialog: internal directory users with checkboxes. */

import { Search } from "lucide-preact";
import type { Signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import { directoryColleagues } from "../api/commands";
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

interface Props {
  /** The dialog's working list: checking a box adds to it, unchecking removes. */
  users: Signal<MonitoredUser[]>;
  max: number;
}

export function DirectoryColleagues({ users, max }: Props) {
  const t = useT();
  const { actions, ui } = useApp();
  const [all, setAll] = useState<MonitoredUser[] | null>(null);
  const [query, setQuery] = useState("");
  useEffect(() => {
    void directoryColleagues(actions.connection).then((ack) => {
      if (ack.ok) setAll(ack.result.users);
      else ui.notify(ack.error);
    });
  }, [actions, ui]);
  if (all === null) return null;
  if (all.length === 0) return <p class="blf-pick__empty">{t("colleagues.noInternal")}</p>;

  const found = all.filter((u) => matchesColleague(u, query));
  const chosen = new Set(users.value.map((u) => u.extension));
  const toggle = (user: MonitoredUser, on: boolean) => {
    if (on && !chosen.has(user.extension) && users.value.length < max) users.value = [...users.value, user];
    if (!on) users.value = users.value.filter((u) => u.extension !== user.extension);
  };
  return (
    <div class="blf-pick" data-testid="blf-directory">
      <label class="directory__search">
        <Search size={16} aria-hidden="true" />
        <input class="input" type="search" autoFocus aria-label={t("colleagues.searchDirectory")}
          placeholder={t("colleagues.searchDirectory")} value={query}
          onInput={(e) => setQuery(e.currentTarget.value)} />
      </label>
      {found.length === 0 ? (
        <p class="blf-pick__empty">{t("colleagues.noMatch")}</p>
      ) : (
        <ul class="blf-pick__list">
          {found.slice(0, SHOWN).map((user) => (
            <li key={user.extension}>
              <label class="blf-pick__row">
                <input type="checkbox" checked={chosen.has(user.extension)}
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
