/** First run: the whole window is the e-mail sign-in, or (Advanced) the SIP account form. */

import { useState } from "preact/hooks";
import { useApp, useT } from "./context";
import { AccountForm } from "./AccountForm";
import { EmailSignInForm } from "./EmailSignInForm";
import { Logo } from "./Logo";
import { LanguagePicker } from "./SettingsDialog";

export function AccountSetupScreen() {
  const t = useT();
  const { store, ui } = useApp();
  const [manual, setManual] = useState(false);
  // The first sign-in leads into the guided check (once; reopened from the user menu).
  const done = () => {
    if (!store.settings.value.first_run_done) ui.dialog.value = "firstRun";
  };
  return (
    <main class="setup">
      <div class="setup__card">
        <div class="setup__brand">
          <Logo large />
          <span class="setup__app">{t("app.name")}</span>
        </div>
        {manual ? (
          <>
            <h1 class="setup__title">{t("account.setupTitle")}</h1>
            <p class="setup__subtitle">{t("account.setupSubtitle")}</p>
            <AccountForm initial={null} onDone={done} />
            <button type="button" class="button button--ghost setup__switch" onClick={() => setManual(false)}>
              {t("signIn.back")}
            </button>
          </>
        ) : (
          <>
            <h1 class="setup__title">{t("signIn.title")}</h1>
            <p class="setup__subtitle">{t("signIn.subtitle")}</p>
            <EmailSignInForm onDone={done} onAdvanced={() => setManual(true)} />
          </>
        )}
      </div>
      <div class="setup__footer">
        <LanguagePicker compact />
      </div>
    </main>
  );
}
