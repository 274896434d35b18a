/** User menu > Account: the account form prefilled, with Cancel. */

import { AccountForm } from "./AccountForm";
import { useApp, useT } from "./context";
import { Dialog } from "./Dialog";

export function AccountDialog({ onClose }: { onClose: () => void }) {
  const t = useT();
  const { store } = useApp();
  return (
    <Dialog title={t("account.editTitle")} subtitle={t("account.editSubtitle")} onClose={onClose} wide>
      <AccountForm initial={store.account.value} onDone={onClose} onCancel={onClose} />
    </Dialog>
  );
}
