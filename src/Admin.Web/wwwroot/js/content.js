// Browser helpers for the content editor (imported as a module by BrowserClock and SectionEditorPage).

/** The browser's IANA time zone, e.g. "Europe/Berlin". */
export function timeZone() {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/**
 * Ctrl+S / Cmd+S saves the draft instead of saving the web page. The focused field is blurred first so its
 * pending change reaches the server before the save does.
 */
export function registerSaveShortcut(editor) {
    const onKey = e => {
        if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "s") {
            e.preventDefault();
            const focused = document.activeElement;
            if (focused && typeof focused.blur === "function") {
                focused.blur();
                focused.focus();
            }
            editor.invokeMethodAsync("SaveFromShortcut");
        }
    };
    document.addEventListener("keydown", onKey);
    return { dispose: () => document.removeEventListener("keydown", onKey) };
}

/** After a row moved, focus its move button again so arrow-key users keep their place. */
export function focusMoveButton(key, direction) {
    const button = document.querySelector(`[data-move="${direction}"][data-key="${CSS.escape(key)}"]`);
    if (button && !button.disabled) button.focus();
    else document.querySelector(`[data-move][data-key="${CSS.escape(key)}"]:not([disabled])`)?.focus();
}
