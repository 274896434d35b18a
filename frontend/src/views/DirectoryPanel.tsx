/** Directory tab: search as you type, contacts with their numbers, personal contacts, import/export. */

import { Download, Pencil, RefreshCw, Search, Trash2, Upload, UserPlus } from "lucide-preact";
import { useEffect, useState } from "preact/hooks";
import type { Contact, ImportReport } from "../api/protocol";
import { errorText, type MessageKey } from "../i18n";
import { ContactDialog } from "./ContactDialog";
import { ContactRow } from "./ContactRow";
import { useApp, useT } from "./context";

function download(filename: string, data: string): void {
  const url = URL.createObjectURL(new Blob([data], { type: "text/plain;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function DirectoryPanel() {
  const t = useT();
  const { directory, ui, actions } = useApp();
  const search = directory.tab;
  const [editing, setEditing] = useState<Contact | null | "new">(null);
  const [report, setReport] = useState<ImportReport | null>(null);

  useEffect(() => void search.run(), []);

  // Dials, or in transfer mode transfers the call to the number (the dial string is left alone).
  const call = (number: string) => void actions.callOrTransfer(number);
  const importFile = async (file: File) => {
    const format = /\.(vcf|vcard)$/i.test(file.name) ? "vcard" : "csv";
    const ack = await directory.importFile(format, file);
    if (ack.ok) setReport(ack.result);
    else ui.notify(ack.error);
  };
  const exportAs = async (format: "vcard" | "csv") => {
    const out = await directory.exportData(format);
    if (out) download(out.filename, out.data);
  };
  const failing = directory.statuses.value.filter((s) => s.configured && s.error);
  const syncing = directory.statuses.value.some((s) => s.syncing);

  return (
    <div class="directory">
      <div class="directory__bar">
        <label class="directory__search">
          <Search size={16} aria-hidden="true" />
          <input
            class="input"
            type="search"
            aria-label={t("directory.search")}
            placeholder={t("directory.searchPlaceholder")}
            value={search.query.value}
            onInput={(e) => search.set(e.currentTarget.value)}
            data-testid="directory-search"
          />
        </label>
        <button type="button" class="icon-button" title={t("directory.add")} aria-label={t("directory.add")} onClick={() => setEditing("new")}>
          <UserPlus size={18} />
        </button>
        <label class="icon-button" title={t("directory.import")} aria-label={t("directory.import")}>
          <Upload size={18} />
          <input
            type="file"
            class="visually-hidden"
            accept=".vcf,.vcard,.csv,text/vcard,text/csv"
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              if (file) void importFile(file);
              e.currentTarget.value = "";
            }}
            data-testid="directory-import"
          />
        </label>
        <button type="button" class="icon-button" title={t("directory.exportVcard")} aria-label={t("directory.exportVcard")} onClick={() => void exportAs("vcard")}>
          <Download size={18} />
        </button>
        <button type="button" class="icon-button" title={t("directory.exportCsv")} aria-label={t("directory.exportCsv")} onClick={() => void exportAs("csv")}>
          <span class="directory__csv">CSV</span>
        </button>
        <button type="button" class="icon-button" title={t("directory.refresh")} aria-label={t("directory.refresh")} disabled={syncing} onClick={() => void directory.refresh()}>
          <RefreshCw size={18} class={syncing ? "spin" : ""} />
        </button>
      </div>
      {failing.map((s) => (
        <p class="directory__error" role="status" key={s.source}>
          {t("directory.syncFailed", {
            source: t(`source.${s.source}` as MessageKey),
            error: errorText(t, s.error),
          })}
        </p>
      ))}
      {report && (
        <div class="directory__report" role="status" data-testid="import-report">
          <p>{t("directory.imported", { count: report.imported, rejected: report.rejected_count })}</p>
          {report.rejected.length > 0 && (
            <ul>
              {report.rejected.map((r) => (
                <li key={r.line}>
                  {t("directory.rejectedLine", { line: r.line, reason: t(`reject.${r.reason}` as MessageKey) })}
                </li>
              ))}
            </ul>
          )}
          <button type="button" class="button button--ghost" onClick={() => setReport(null)}>
            {t("settings.close")}
          </button>
        </div>
      )}
      {search.results.value.length === 0 ? (
        <p class="directory__empty">{t(search.query.value ? "directory.noMatch" : "directory.none")}</p>
      ) : (
        <ul class="directory__list" aria-label={t("tabs.directory")}>
          {search.results.value.map((c) => (
            <ContactRow
              key={c.id}
              contact={c}
              onCall={(n) => call(n.number)}
              actions={
                c.source === "personal" && (
                  <span class="contact-row__actions">
                    <button type="button" class="icon-button" aria-label={t("contact.editTitle")} onClick={() => setEditing(c)}>
                      <Pencil size={14} />
                    </button>
                    <button type="button" class="icon-button" aria-label={t("contact.delete")} onClick={() => void directory.remove(c.id)}>
                      <Trash2 size={14} />
                    </button>
                  </span>
                )
              }
            />
          ))}
        </ul>
      )}
      {editing !== null && (
        <ContactDialog contact={editing === "new" ? null : editing} onClose={() => setEditing(null)} />
      )}
    </div>
  );
}
