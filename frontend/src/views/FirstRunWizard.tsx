/** First run: a short guided check (account, audio, notifications, headset) instead of prompts. */

import { Bell, CheckCircle2, Headphones, Mic, UserRound } from "lucide-preact";
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { MessageKey } from "../i18n";
import { useApp, useT } from "./context";
import { DeviceSelect, MicTest } from "./AudioSettingsDialog";
import { Dialog } from "./Dialog";
import { HeadsetRow } from "./HeadsetSettings";

const STEPS = ["account", "audio", "notifications", "headset", "done"] as const;
type Step = (typeof STEPS)[number];

const ICONS: Record<Step, typeof Mic> = {
  account: UserRound,
  audio: Mic,
  notifications: Bell,
  headset: Headphones,
  done: CheckCircle2,
};

export function FirstRunWizard({ onClose }: { onClose: () => void }) {
  const t = useT();
  const { actions } = useApp();
  const [index, setIndex] = useState(0);
  const step = STEPS[index] ?? "done";
  const last = index === STEPS.length - 1;
  // Finishing or skipping both count: the check is offered once, then lives in the user menu.
  const finish = () => {
    void actions.updateSettings({ first_run_done: true });
    onClose();
  };
  const Icon = ICONS[step];
  return (
    <Dialog title={t("firstRun.title")} subtitle={t("firstRun.progress", { n: index + 1, total: STEPS.length })} onClose={finish}>
      <div class="first-run" data-step={step}>
        <h3 class="first-run__heading">
          <Icon size={20} aria-hidden="true" />
          <span>{t(`firstRun.${step}.title` as MessageKey)}</span>
        </h3>
        {step === "account" && <AccountStep />}
        {step === "audio" && <AudioStep />}
        {step === "notifications" && <NotificationStep />}
        {step === "headset" && <HeadsetStep />}
        {step === "done" && <p class="first-run__text">{t("firstRun.done.body")}</p>}
      </div>
      <div class="dialog__actions">
        {!last && (
          <button type="button" class="button button--secondary" onClick={finish}>
            {t("firstRun.skip")}
          </button>
        )}
        {index > 0 && (
          <button type="button" class="button button--secondary" onClick={() => setIndex(index - 1)}>
            {t("firstRun.back")}
          </button>
        )}
        <button
          type="button"
          class="button button--primary"
          onClick={() => (last ? finish() : setIndex(index + 1))}
        >
          {last ? t("firstRun.finish") : t("firstRun.next")}
        </button>
      </div>
    </Dialog>
  );
}

function Text({ children }: { children: ComponentChildren }) {
  return <p class="first-run__text">{children}</p>;
}

function AccountStep() {
  const t = useT();
  const { store, ui } = useApp();
  const account = store.account.value;
  const registered = store.registration.value.state === "registered";
  return (
    <>
      <Text>
        {account
          ? t(registered ? "firstRun.account.ok" : "firstRun.account.notYet", {
              address: `${account.user}@${account.server}`,
            })
          : t("firstRun.account.none")}
      </Text>
      <button type="button" class="button button--secondary" onClick={() => (ui.dialog.value = "account")}>
        {t("firstRun.account.change")}
      </button>
    </>
  );
}

function AudioStep() {
  const t = useT();
  const { audio } = useApp();
  useEffect(() => {
    void audio.load();
    // Leaving the step ends the microphone test: it must not keep the microphone open.
    return () => void audio.setMicTest(false);
  }, [audio]);
  // The same controls as Audio settings: device choice, level meter, speaker and ringer test.
  return (
    <>
      <Text>{t("firstRun.audio.body")}</Text>
      <DeviceSelect role="input" label={t("audio.input")} />
      <MicTest />
      <DeviceSelect role="output" label={t("audio.output")} test="output" />
      <DeviceSelect role="ringer" label={t("audio.ringer")} test="ringer" />
    </>
  );
}

function NotificationStep() {
  const t = useT();
  const { client } = useApp();
  const [result, setResult] = useState<"sent" | "none" | null>(null);
  const send = async () => {
    const ack = await client.send("notifications.test", {});
    setResult(ack.ok && ack.result.shown ? "sent" : "none");
  };
  return (
    <>
      <Text>{t("firstRun.notifications.body")}</Text>
      <button type="button" class="button button--secondary" onClick={() => void send()}>
        {t("firstRun.notifications.send")}
      </button>
      <p class="field__hint" role="status">
        {result === "sent" && t("firstRun.notifications.sent")}
        {result === "none" && t("firstRun.notifications.none")}
      </p>
    </>
  );
}

function HeadsetStep() {
  const t = useT();
  const { store } = useApp();
  const headsets = store.headsets.value;
  return (
    <>
      <Text>{t("firstRun.headset.body")}</Text>
      {headsets.length === 0 ? (
        <p class="field__hint" role="status">
          {t("firstRun.headset.none")}
        </p>
      ) : (
        <ul class="headsets" aria-label={t("firstRun.headset.title")}>
          {headsets.map((h) => (
            <HeadsetRow key={`${h.vendor_id}:${h.product_id}:${h.name}`} headset={h} />
          ))}
        </ul>
      )}
    </>
  );
}
