// The TipTap bundle served as wwwroot/lib/tiptap/tiptap.js (built by esbuild in build/NpmAssets.targets, ESM).
// StarterKit 3 brings headings, bold, italic, underline, strike, lists, links and undo/redo.
export { Editor } from "@tiptap/core";
export { StarterKit } from "@tiptap/starter-kit";
