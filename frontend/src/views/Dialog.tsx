/** A modal built on the native <dialog> (focus trap, Escape and inert background for free). */

import { X } from "lucide-preact";
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { useT } from "./context";

interface DialogProps {
  title: string;
  subtitle?: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}

export function Dialog({ title, subtitle, onClose, children, wide = false }: DialogProps) {
  const t = useT();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class={wide ? "dialog dialog--wide" : "dialog"}
      aria-labelledby="dialog-title"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <div class="dialog__header">
        <div>
          <h2 id="dialog-title" class="dialog__title">
            {title}
          </h2>
          {subtitle && <p class="dialog__subtitle">{subtitle}</p>}
        </div>
        <button type="button" class="icon-button" aria-label={t("settings.close")} onClick={onClose}>
          <X size={18} />
        </button>
      </div>
      <div class="dialog__body">{children}</div>
    </dialog>
  );
}
