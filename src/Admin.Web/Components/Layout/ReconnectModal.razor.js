// Runs the reconnect dialog (ReconnectModal.razor): blazor.web.js reports the circuit's state with the
// components-reconnect-state-changed event (and a components-reconnect-{state} class, which the .razor.css reads).
// Adapted from the .NET 10 Blazor Web App template.
const dialog = document.getElementById("components-reconnect-modal");
const buttons = dialog.querySelectorAll("button");
const retryButton = document.getElementById("components-reconnect-button");
const resumeButton = document.getElementById("components-resume-button");

// A page whose circuit is gone loses nothing by reloading (an editor's unsaved changes are in the autosaved working
// copy, which the new page offers), so these reloads skip the "leave page?" question that NavigationLock asks for
// unsaved changes: answered "Stay", it would keep a page that can no longer do anything. A capture listener on window
// runs before Blazor's own, and stops it.
let reloading = false;
window.addEventListener("beforeunload", event => { if (reloading) event.stopImmediatePropagation(); }, { capture: true });

function reload() {
    reloading = true;
    location.reload();
}

dialog.addEventListener("components-reconnect-state-changed", stateChanged);
// Escape would close the dialog and leave a page that no longer answers.
dialog.addEventListener("cancel", event => event.preventDefault());
retryButton.addEventListener("click", () => busy(retry));
resumeButton.addEventListener("click", () => busy(resume));
document.getElementById("components-reload-button").addEventListener("click", reload);

function stateChanged(event) {
    switch (event.detail.state) {
        case "show":
            open();
            break;
        case "paused":
        case "resume-failed":
            open();
            resumeButton.focus();
            break;
        case "hide":
            document.removeEventListener("visibilitychange", retryWhenVisible);
            dialog.close();
            break;
        case "failed":
            // The automatic attempts are over. A tab that gave up in the background tries again when it is looked at.
            open();
            retryButton.focus();
            document.addEventListener("visibilitychange", retryWhenVisible);
            break;
        case "rejected":
            // The server answered but has neither the circuit nor its saved state (it restarted): only a new page helps.
            open();
            reload();
            break;
    }
}

function open() {
    if (!dialog.open) dialog.showModal();
}

async function retry() {
    document.removeEventListener("visibilitychange", retryWhenVisible);
    try {
        // true: the circuit is back. false: the server answered but no longer has this circuit. Throws: no answer.
        if (await Blazor.reconnect()) return;
        // The circuit's state may have been saved when the server let it go: a resumed circuit keeps the page.
        if (!await Blazor.resumeCircuit()) reload();
    } catch {
        document.addEventListener("visibilitychange", retryWhenVisible);
    }
}

async function resume() {
    try {
        // false: the server no longer has the saved state, so the page starts afresh.
        if (!await Blazor.resumeCircuit()) reload();
    } catch {
        // No answer from the server: say so (class and event, as blazor.web.js does for its own states), keep Resume and Reload.
        dialog.classList.replace("components-reconnect-paused", "components-reconnect-resume-failed");
        dialog.dispatchEvent(new CustomEvent("components-reconnect-state-changed", { detail: { state: "resume-failed" } }));
    }
}

async function retryWhenVisible() {
    if (document.visibilityState === "visible") await busy(retry);
}

// One attempt at a time; the spinner shows while it runs. A disabled button loses the focus: it gets it back.
async function busy(action) {
    const focused = document.activeElement;
    dialog.setAttribute("aria-busy", "true");
    buttons.forEach(button => button.disabled = true);
    try {
        await action();
    } finally {
        dialog.removeAttribute("aria-busy");
        buttons.forEach(button => button.disabled = false);
        if (dialog.open && dialog.contains(focused)) focused.focus();
    }
}
