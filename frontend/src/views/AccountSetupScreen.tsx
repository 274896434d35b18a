/** First run: the whole window is the account form. */

import { useT } from "./context";
import { AccountForm } from "./AccountForm";
import { Logo } from "./Logo";
import { LanguagePicker } from "./SettingsDialog";

export function AccountSetupScreen() {
  const t = useT();
  return (
    <main class="setup">
      <div class="setup__card">
        <div class="setup__brand">
          <Logo large />
          <span class="setup__app">{t("app.name")}</span>
        </div>
        <h1 class="setup__title">{t("account.setupTitle")}</h1>
        <p class="setup__subtitle">{t("account.setupSubtitle")}</p>
        <AccountForm initial={null} />
      </div>
      <div class="setup__footer">
        <LanguagePicker compact />
      </div>
    </main>
  );
}
