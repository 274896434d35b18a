/** A centred icon, title and hint for panels with nothing to show yet. */

import type { ComponentChildren } from "preact";

interface EmptyStateProps {
  icon: ComponentChildren;
  title: string;
  hint?: string;
}

export function EmptyState({ icon, title, hint }: EmptyStateProps) {
  return (
    <div class="empty">
      <div class="empty__icon" aria-hidden="true">
        {icon}
      </div>
      <p class="empty__title">{title}</p>
      {hint && <p class="empty__hint">{hint}</p>}
    </div>
  );
}
