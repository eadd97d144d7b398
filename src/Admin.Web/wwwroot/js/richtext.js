// Interop for Components/Shared/RichTextEditor.razor: one TipTap editor (bundled into lib/tiptap at build time).
// The toolbar is rendered by Blazor; its buttons carry data-command and are wired here, so formatting needs no
// round trip. The HTML goes to .NET on every change (flushed at once when the editor loses the focus); pasted markup
// is reduced to the editor's schema, and the server's sanitiser remains the guard.
import { Editor, StarterKit } from "../lib/tiptap/tiptap.js";

// Schemes a link may use; besides them site paths (/…) and anchors (#…), as the server's sanitiser allows.
const schemes = ["http", "https", "mailto"];

export function isAllowedLink(url) {
    const value = (url || "").trim();
    if (value.startsWith("#")) return true;
    if (value.startsWith("/")) return !value.startsWith("//") && !value.startsWith("/\\");
    const match = /^([a-z][a-z0-9+.-]*):/i.exec(value);
    return match !== null && schemes.includes(match[1].toLowerCase());
}

export function create(host, dotnet, html, options) {
    const surface = host.querySelector("[data-part=surface]");
    const source = host.querySelector("[data-part=source]");
    const linkBar = host.querySelector("[data-part=linkbar]");
    const linkInput = host.querySelector("[data-part=link-input]");
    const message = host.querySelector("[data-part=message]");
    let sent = html ?? "";
    let timer = null;

    const send = () => {
        clearTimeout(timer);
        timer = null;
        const value = sourceMode() ? source.value : editor.isEmpty ? "" : editor.getHTML();
        if (value === sent) return;
        sent = value;
        dotnet.invokeMethodAsync("OnEditorChanged", value);
    };
    const sendSoon = () => {
        clearTimeout(timer);
        timer = setTimeout(send, 150);
    };
    const say = text => {
        message.textContent = text || "";
        message.hidden = !text;
    };

    const editor = new Editor({
        element: surface,
        extensions: [
            StarterKit.configure({
                heading: { levels: [2, 3, 4] },
                link: { openOnClick: false, autolink: false, linkOnPaste: false, isAllowedUri: url => isAllowedLink(url) },
            }),
        ],
        content: html ?? "",
        editable: !options.readOnly,
        editorProps: {
            attributes: {
                role: "textbox",
                "aria-multiline": "true",
                "aria-label": options.label,
                ...(options.describedBy ? { "aria-describedby": options.describedBy } : {}),
                "data-testid": options.testId || "rich-text",
                class: "rte-content",
            },
        },
        onUpdate: sendSoon,
        onBlur: send,
        onSelectionUpdate: () => refresh(),
        onTransaction: () => refresh(),
    });
    editor.view.dom.addEventListener("keydown", e => {
        if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "k") {
            e.preventDefault();
            openLinkBar();
        }
    });

    function sourceMode() { return !source.hidden; }

    function refresh() {
        for (const button of host.querySelectorAll("[data-command]")) {
            const name = button.dataset.command;
            let active = null;
            switch (name) {
                case "bold": case "italic": case "underline": case "strike": case "link":
                    active = editor.isActive(name); break;
                case "h2": case "h3": case "h4":
                    active = editor.isActive("heading", { level: Number(name[1]) }); break;
                case "paragraph": active = editor.isActive("paragraph"); break;
                case "bulletList": case "orderedList": active = editor.isActive(name); break;
                case "source": active = sourceMode(); break;
            }
            if (active !== null) button.setAttribute("aria-pressed", String(active));
            const inSource = sourceMode() && name !== "source";
            button.disabled = options.readOnly || inSource
                || (name === "undo" && !editor.can().undo()) || (name === "redo" && !editor.can().redo());
        }
    }

    function openLinkBar() {
        if (options.readOnly || sourceMode()) return;
        linkBar.hidden = false;
        linkInput.value = editor.getAttributes("link").href || "";
        say("");
        linkInput.focus();
    }

    function applyLink() {
        const url = linkInput.value.trim();
        if (url === "") {
            editor.chain().focus().extendMarkRange("link").unsetLink().run();
        } else if (!isAllowedLink(url)) {
            say("This link is not allowed: use an address starting with https://, http://, mailto: or /.");
            linkInput.focus();
            return;
        } else if (editor.state.selection.empty && !editor.isActive("link")) {
            editor.chain().focus().insertContent({ type: "text", text: url, marks: [{ type: "link", attrs: { href: url } }] }).run();
        } else {
            editor.chain().focus().extendMarkRange("link").setLink({ href: url }).run();
        }
        say("");
        linkBar.hidden = true;
    }

    function toggleSource() {
        if (sourceMode()) {
            editor.commands.setContent(source.value, { emitUpdate: true });
            source.hidden = true;
            surface.hidden = false;
            editor.commands.focus();
        } else {
            source.value = editor.isEmpty ? "" : editor.getHTML();
            source.hidden = false;
            surface.hidden = true;
            linkBar.hidden = true;
            source.focus();
        }
        refresh();
    }

    const commands = {
        undo: c => c.undo(),
        redo: c => c.redo(),
        paragraph: c => c.setParagraph(),
        h2: c => c.toggleHeading({ level: 2 }),
        h3: c => c.toggleHeading({ level: 3 }),
        h4: c => c.toggleHeading({ level: 4 }),
        bold: c => c.toggleBold(),
        italic: c => c.toggleItalic(),
        underline: c => c.toggleUnderline(),
        strike: c => c.toggleStrike(),
        bulletList: c => c.toggleBulletList(),
        orderedList: c => c.toggleOrderedList(),
        unlink: c => c.extendMarkRange("link").unsetLink(),
        clear: c => c.unsetAllMarks().clearNodes(),
    };

    const onClick = e => {
        const button = e.target.closest("[data-command]");
        if (!button || !host.contains(button) || button.disabled) return;
        e.preventDefault();
        const name = button.dataset.command;
        if (name === "source") toggleSource();
        else if (name === "link") openLinkBar();
        else if (name === "link-apply") applyLink();
        else if (name === "link-cancel") { linkBar.hidden = true; say(""); editor.commands.focus(); }
        else if (commands[name]) commands[name](editor.chain().focus()).run();
    };
    const onLinkKey = e => {
        if (e.key === "Enter") { e.preventDefault(); applyLink(); }
        else if (e.key === "Escape") { e.preventDefault(); linkBar.hidden = true; say(""); editor.commands.focus(); }
    };
    const onSourceInput = () => sendSoon();
    host.addEventListener("click", onClick);
    linkInput.addEventListener("keydown", onLinkKey);
    source.addEventListener("input", onSourceInput);
    source.addEventListener("blur", send);
    refresh();
    host.dataset.ready = "true";

    return {
        /** A value from .NET (discard, JSON view, another version): shown without counting as an edit. */
        setValue(value) {
            const next = value ?? "";
            if (next === sent) return;
            sent = next;
            if (sourceMode()) source.value = next;
            editor.commands.setContent(next, { emitUpdate: false });
            refresh();
        },
        setReadOnly(readOnly) {
            options.readOnly = readOnly;
            editor.setEditable(!readOnly);
            refresh();
        },
        dispose() {
            clearTimeout(timer);
            host.removeEventListener("click", onClick);
            linkInput.removeEventListener("keydown", onLinkKey);
            source.removeEventListener("input", onSourceInput);
            editor.destroy();
        },
    };
}
