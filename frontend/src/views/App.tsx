/** Root view: picks the screen (connecting, setup, main window) and applies theme and language. */

import { CircleAlert, LoaderCircle, ShieldAlert } from "lucide-preact";
import { useEffect } from "preact/hooks";
import { AccountDialog } from "./AccountDialog";
import { AccountSetupScreen } from "./AccountSetupScreen";
import { AudioFallbackBanner, audioBannerShown } from "./AudioBanner";
import { AudioSettingsDialog } from "./AudioSettingsDialog";
import { FirstRunWizard } from "./FirstRunWizard";
import { NetworkCheckDialog } from "./NetworkCheckDialog";
import { ReconnectBanner, Notices } from "./Banners";
import { CallsPanel } from "./CallsPanel";
import { ColleaguesPanel } from "./ColleaguesPanel";
import { AppContext, type AppServices, useApp, useT } from "./context";
import { PhoneTabs } from "./PhoneTabs";
import { SettingsDialog } from "./SettingsDialog";
import { installShortcuts } from "./shortcuts";
import { TopBar } from "./TopBar";
import { TransferBanner } from "./TransferBanner";

export function App({ services }: { services: AppServices }) {
  return (
    <AppContext.Provider value={services}>
      <DocumentSync />
      <Screen />
    </AppContext.Provider>
  );
}

/** Mirrors settings onto <html>: data-theme (CSS picks colours) and lang (screen readers). */
function DocumentSync() {
  const { store, language } = useApp();
  const theme = store.settings.value.theme;
  const lang = language.value;
  useEffect(() => {
    const root = document.documentElement;
    if (theme === "system") delete root.dataset["theme"];
    else root.dataset["theme"] = theme;
  }, [theme]);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  return null;
}

function Screen() {
  const t = useT();
  const { store } = useApp();
  const status = store.connection.value;
  if (status === "unauthorized") {
    return (
      <main class="splash">
        <ShieldAlert size={28} aria-hidden="true" />
        <h1 class="splash__title">{t("app.unauthorizedTitle")}</h1>
        <p class="splash__text">{t("app.unauthorizedBody")}</p>
      </main>
    );
  }
  if (status === "incompatible") {
    return (
      <main class="splash" role="alert">
        <CircleAlert size={28} aria-hidden="true" />
        <h1 class="splash__title">{t("app.incompatibleTitle")}</h1>
        <p class="splash__text">{t("app.incompatibleBody")}</p>
      </main>
    );
  }
  if (!store.ready.value) {
    return (
      <main class="splash" aria-busy="true">
        <LoaderCircle size={28} class="spin" aria-hidden="true" />
        <p class="splash__text">{t("app.connecting")}</p>
      </main>
    );
  }
  return (
    <>
      <ReconnectBanner />
      {store.account.value === null ? <AccountSetupScreen /> : <MainWindow />}
      <Notices />
    </>
  );
}

function MainWindow() {
  const { ui, actions, audio } = useApp();
  useEffect(() => installShortcuts(document, ui, actions), [ui, actions]);
  const closeDialog = () => (ui.dialog.value = null);
  return (
    <div
      class={`shell${actions.transferring() ? " is-transferring" : ""}${audioBannerShown(audio, ui) ? " has-audio-banner" : ""}`}
    >
      <TopBar />
      <TransferBanner />
      <AudioFallbackBanner />
      <main class="workspace">
        <ColleaguesPanel />
        <PhoneTabs />
        <CallsPanel />
        {ui.colleaguesOpen.value && (
          <div class="scrim" aria-hidden="true" onClick={() => (ui.colleaguesOpen.value = false)} />
        )}
      </main>
      {ui.dialog.value === "account" && <AccountDialog onClose={closeDialog} />}
      {ui.dialog.value === "settings" && <SettingsDialog onClose={closeDialog} />}
      {ui.dialog.value === "audio" && <AudioSettingsDialog onClose={closeDialog} />}
      {ui.dialog.value === "firstRun" && <FirstRunWizard onClose={closeDialog} />}
      {ui.dialog.value === "networkCheck" && <NetworkCheckDialog onClose={closeDialog} />}
    </div>
  );
}
