/** Call links from outside (OS handler, a second launch): the number waits in the keypad for one click. */

import { signal, type Signal } from "@preact/signals";
import type { CommandClient } from "../api/client";
import type { LinkEvent, LinkRefusal, ServerEvent } from "../api/protocol";
import type { UiState } from "./ui";

export class LinkInbox {
  /** Why the last link was refused, until the number changes or another link comes. */
  readonly refusal: Signal<LinkRefusal | null> = signal(null);
  /** The number the last link put in the keypad (the hint says it came from a link). */
  readonly offeredNumber: Signal<string | null> = signal(null);
  /** Bumped per offered link: the keypad then focuses its Call button (once). */
  readonly offers: Signal<number> = signal(0);
  /** A softphone://provision link's https URL: the sign-in form shows it and signs in with it. */
  readonly provisionUrl: Signal<string | null> = signal(null);
  private focusWanted = false;
  // A link comes as an event and again in every snapshot until dismissed: take it once.
  private readonly seen = new Set<number>();

  constructor(
    private readonly ui: UiState,
    private readonly client: CommandClient,
  ) {}

  apply(event: ServerEvent): void {
    if (event.type === "snapshot") {
      if (event.pending_link) this.take(event.pending_link);
    } else if (
      event.type === "dial_requested" ||
      event.type === "link_refused" ||
      event.type === "provision_requested"
    ) {
      this.take(event);
    }
  }

  /** True once per offered link: the keypad's Call button should take the focus now. */
  takeFocus(): boolean {
    const wanted = this.focusWanted;
    this.focusWanted = false;
    return wanted;
  }

  /** The user edited the number: the link's refusal or hint no longer applies. */
  numberChanged(number: string): void {
    this.refusal.value = null;
    if (this.offeredNumber.value !== number) this.offeredNumber.value = null;
  }

  private take(link: LinkEvent): void {
    if (this.seen.has(link.id)) return;
    this.seen.add(link.id);
    void this.client.send("link.dismiss", { id: link.id });
    if (link.type === "provision_requested") {
      // Only fills the sign-in form: nothing is fetched before the user types a password.
      this.refusal.value = null;
      this.provisionUrl.value = link.url;
      return;
    }
    this.ui.tab.value = "keypad";
    // A link calls someone new; it must not silently become a transfer target.
    this.ui.transferFrom.value = null;
    if (link.type === "link_refused") {
      this.refusal.value = link.reason;
      return;
    }
    this.refusal.value = null;
    this.ui.number.value = link.number;
    this.offeredNumber.value = link.number;
    this.focusWanted = true;
    this.offers.value += 1;
  }
}
