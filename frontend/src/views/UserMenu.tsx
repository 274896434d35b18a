/** The user menu: account, audio settings, settings, sign out. */

import {
  ChevronDown,
  CircleUser,
  Headphones,
  ListChecks,
  LogOut,
  Network,
  RefreshCw,
  Settings,
  UserRound,
} from "lucide-preact";
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ProvisioningStatus } from "../api/protocol";
import { useApp, useT } from "./context";
import { useDismiss } from "./hooks";

const BUTTON_ID = "user-menu-button";
const MENU_ID = "user-menu";

export function UserMenu() {
  const t = useT();
  const { store, ui, actions, client } = useApp();
  const [open, setOpen] = useState(false);
  const menuRef = useRef<HTMLDivElement>(null);
  const close = useCallback(() => {
    setOpen(false);
    document.getElementById(BUTTON_ID)?.focus();
  }, []);
  useDismiss(open, [BUTTON_ID, MENU_ID], close);

  useEffect(() => {
    if (open) menuRef.current?.querySelector<HTMLElement>("[role=menuitem]:not([disabled])")?.focus();
  }, [open]);

  // Asked when the menu opens: a failed re-fetch is said here, quietly (the last good
  // provisioning stays in force, nothing needs the user's action).
  const [provisioning, setProvisioning] = useState<ProvisioningStatus | null>(null);
  const [refreshing, setRefreshing] = useState(false);
  useEffect(() => {
    if (!open) return;
    let live = true;
    void client.send("account.provisioning_status", {}).then((ack) => {
      if (live && ack.ok) setProvisioning(ack.result);
    });
    return () => {
      live = false;
    };
  }, [open, client]);
  const refresh = async () => {
    setRefreshing(true);
    await client.send("account.refresh_provisioning", {}); // the outcome reads in the status below
    const ack = await client.send("account.provisioning_status", {});
    setRefreshing(false);
    if (ack.ok) setProvisioning(ack.result);
  };

  const account = store.account.value;
  const choose = (fn: () => void) => () => {
    setOpen(false);
    fn();
  };

  return (
    <div class="menu-anchor">
      <button
        id={BUTTON_ID}
        type="button"
        class="user-button"
        aria-label={t("topbar.userMenu")}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={MENU_ID}
        onClick={() => setOpen(!open)}
      >
        <span class="avatar" aria-hidden="true">
          {initials(account?.display_name || account?.user || "") || <CircleUser size={18} />}
        </span>
        <ChevronDown size={14} class="user-button__chevron" />
      </button>
      {open && (
        <div
          id={MENU_ID}
          ref={menuRef}
          class="menu"
          role="menu"
          aria-label={t("topbar.userMenu")}
          onKeyDown={(e) => moveFocus(e, menuRef.current)}
        >
          {account && (
            <div class="menu__header">
              <div class="menu__caption">{t("menu.signedInAs")}</div>
              <div class="menu__name">{account.display_name || account.user}</div>
              <div class="menu__address">
                {account.user}@{account.server}
              </div>
              {provisioning?.provisioned && provisioning.fetched_at > 0 && (
                <div
                  class={`menu__caption${provisioning.error ? " menu__caption--warning" : ""}`}
                  data-testid="provisioning-status"
                  role="status"
                >
                  {t(provisioning.error ? "menu.provisioningStale" : "menu.provisionedAt", {
                    time: new Date(provisioning.fetched_at * 1000).toLocaleString(undefined, {
                      dateStyle: "short",
                      timeStyle: "short",
                    }),
                  })}
                </div>
              )}
            </div>
          )}
          <MenuItem icon={<UserRound size={16} />} onSelect={choose(() => (ui.dialog.value = "account"))}>
            {t("menu.account")}
          </MenuItem>
          <MenuItem icon={<Headphones size={16} />} onSelect={choose(() => (ui.dialog.value = "audio"))}>
            {t("menu.audioSettings")}
          </MenuItem>
          <MenuItem icon={<Settings size={16} />} onSelect={choose(() => (ui.dialog.value = "settings"))}>
            {t("menu.settings")}
          </MenuItem>
          <MenuItem icon={<ListChecks size={16} />} onSelect={choose(() => (ui.dialog.value = "firstRun"))}>
            {t("menu.setupCheck")}
          </MenuItem>
          <MenuItem
            icon={<Network size={16} />}
            disabled={!account}
            onSelect={choose(() => (ui.dialog.value = "networkCheck"))}
          >
            {t("menu.networkCheck")}
          </MenuItem>
          {provisioning?.provisioned && (
            <MenuItem icon={<RefreshCw size={16} />} disabled={refreshing} onSelect={() => void refresh()}>
              {t("menu.refreshAccount")}
            </MenuItem>
          )}
          <div class="menu__separator" role="separator" />
          <MenuItem icon={<LogOut size={16} />} onSelect={choose(() => void actions.signOut())}>
            {t("menu.signOut")}
          </MenuItem>
        </div>
      )}
    </div>
  );
}

interface MenuItemProps {
  icon: ComponentChildren;
  children: ComponentChildren;
  disabled?: boolean;
  onSelect?: () => void;
}

function MenuItem({ icon, children, disabled = false, onSelect }: MenuItemProps) {
  return (
    <button type="button" role="menuitem" class="menu__item" disabled={disabled} onClick={onSelect}>
      <span class="menu__icon">{icon}</span>
      <span>{children}</span>
    </button>
  );
}

/** Arrow keys, Home and End move between enabled menu items (WAI-ARIA menu pattern). */
function moveFocus(e: KeyboardEvent, menu: HTMLElement | null): void {
  if (!menu || !["ArrowDown", "ArrowUp", "Home", "End"].includes(e.key)) return;
  e.preventDefault();
  const items = [...menu.querySelectorAll<HTMLElement>("[role=menuitem]:not([disabled])")];
  if (items.length === 0) return;
  const current = items.indexOf(document.activeElement as HTMLElement);
  let next = 0;
  if (e.key === "ArrowDown") next = (current + 1) % items.length;
  else if (e.key === "ArrowUp") next = (current - 1 + items.length) % items.length;
  else if (e.key === "End") next = items.length - 1;
  items[next]?.focus();
}

function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return "";
  const first = words[0]?.[0] ?? "";
  const last = words.length > 1 ? (words[words.length - 1]?.[0] ?? "") : "";
  return (first + last).toUpperCase();
}
