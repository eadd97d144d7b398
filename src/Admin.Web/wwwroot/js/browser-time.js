// The browser's IANA time zone (e.g. "Europe/Berlin"), so the server can show times as the reader's clock does.
export function timeZone() {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}
