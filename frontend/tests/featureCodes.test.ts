import { describe, expect, it } from "vitest";
import { isServerEvent, type FeatureCodeEvent } from "../src/api/protocol";
import { LANGUAGES, translator } from "../src/i18n";
import { Store } from "../src/state/store";
import { featureCodeLabel, featureCodeText } from "../src/views/FeatureCodeNotices";

function report(changes: Partial<FeatureCodeEvent>): FeatureCodeEvent {
  return {
    type: "feature_code",
    call_id: "c1",
    code: "*721004",
    purpose: "forwarding_on",
    rule: "unconditional",
    outcome: "dialling",
    sip_code: null,
    error: null,
    ...changes,
  };
}

function manualStore() {
  const pending: (() => void)[] = [];
  const store = new Store({
    schedule: (fn) => {
      pending.push(fn);
      return () => undefined;
    },
  });
  return { store, runTimers: () => pending.splice(0).forEach((fn) => fn()) };
}

describe("feature codes", () => {
  it("is a known server event", () => {
    expect(isServerEvent(report({}))).toBe(true);
  });

  it("labels the code call and keeps a refusal until it is dismissed", () => {
    const { store, runTimers } = manualStore();
    store.apply(report({}));
    expect(store.featureCodes.value["c1"]?.purpose).toBe("forwarding_on");
    expect(store.featureCodeResults.value).toEqual([]); // dialling: nothing to say yet
    const refused = report({ outcome: "refused", sip_code: 403, error: "feature_code_refused" });
    store.apply(refused);
    runTimers();
    expect(store.featureCodeResults.value).toEqual([refused]);
    store.dismissFeatureCode(refused);
    expect(store.featureCodeResults.value).toEqual([]);
  });

  it("lets an accepted code fade", () => {
    const { store, runTimers } = manualStore();
    store.apply(report({ outcome: "accepted" }));
    expect(store.featureCodeResults.value).toHaveLength(1);
    runTimers();
    expect(store.featureCodeResults.value).toEqual([]);
  });

  it("names the code and the PBX's answer in every language", () => {
    const refused = report({ outcome: "refused", sip_code: 403, error: "feature_code_refused" });
    expect(featureCodeText(translator("en"), refused)).toBe(
      "Your PBX refused the forwarding code *721004 (SIP 403). Call forwarding is shown as the PBX last confirmed it.",
    );
    expect(featureCodeText(translator("fr"), refused)).toContain("Votre PBX a refusé le code de déviation *721004");
    const pickup = report({ purpose: "pickup", code: "**1003", outcome: "refused", sip_code: 404 });
    expect(featureCodeText(translator("en"), pickup)).toBe("Your PBX refused the pickup code **1003 (SIP 404).");
    const notDialled = report({ outcome: "not_dialled", error: "not_registered" });
    expect(featureCodeText(translator("en"), notDialled)).toContain("could not be dialled: Not registered");
    for (const language of LANGUAGES) {
      const t = translator(language);
      for (const outcome of ["accepted", "refused", "unconfirmed", "not_dialled"] as const) {
        const text = featureCodeText(t, report({ outcome, sip_code: 403, error: "not_registered" }));
        expect(text).toContain("*721004");
        expect(text).not.toMatch(/\{\w+\}/);
      }
      expect(featureCodeLabel(t, report({ purpose: "forwarding_off" }))).not.toMatch(/featureCode/);
    }
  });
});
