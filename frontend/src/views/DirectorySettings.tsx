/** Settings of the directory: display order of names and the home country of national numbers. */

import { useState } from "preact/hooks";
import type { DirectoryOrder } from "../api/protocol";
import { useApp, useT } from "./context";
import { DirectorySources } from "./DirectorySources";

export function DirectorySettings() {
  const t = useT();
  const { store, actions } = useApp();
  const order = store.settings.value.directory_order;
  const [country, setCountry] = useState(store.settings.value.home_country);
  return (
    <>
      <div class="field">
        <label for="settings-directory-order" class="field__label">
          {t("settings.directoryOrder")}
        </label>
        <select
          id="settings-directory-order"
          class="input select"
          value={order}
          onChange={(e) =>
            void actions.updateSettings({ directory_order: e.currentTarget.value as DirectoryOrder })
          }
        >
          <option value="first_last">{t("settings.orderFirstLast")}</option>
          <option value="last_first">{t("settings.orderLastFirst")}</option>
        </select>
      </div>
      <div class="field field--narrow">
        <label for="settings-home-country" class="field__label">
          {t("settings.homeCountry")}
        </label>
        <input
          id="settings-home-country"
          class="input"
          maxLength={2}
          value={country}
          onInput={(e) => setCountry(e.currentTarget.value.toUpperCase())}
          onBlur={() => {
            if (/^[A-Z]{2}$/.test(country)) void actions.updateSettings({ home_country: country });
          }}
        />
      </div>
      <DirectorySources />
    </>
  );
}
